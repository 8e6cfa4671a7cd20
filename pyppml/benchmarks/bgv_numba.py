"""BGV written in Python + numba on pyppml.numba (examples/bgv) beside the same algorithm in
pure NumPy and pyppml's C++ BFV, at the parameter sets of the BFV benchmark: n = 2^13
(4 x 39-bit q) and 2^14 (8 x 47-bit q), one 60-bit special prime, one key-switching digit
per q prime, t = 786433, single thread.

The timed op is ``multiply_relin`` (ciphertext product + relinearization, NTT-form
ciphertexts in and out) for lib ``pyppml-numba`` (numba kernels, NTTs through the C ABI when
it is built), ``numpy`` (no numba) and ``pyppml`` (C++ BFV, whose multiply also does BFV's
base extensions and scale-and-round). ``multiply``, ``relinearize`` and ``mod_switch`` lines
show where the numba time goes. A ``_check`` line per n decrypts the numba product against
NumPy's negacyclic product mod t and compares the numba and NumPy ciphertexts bit for bit.

    pyppml bench bgv_numba [--quick] [--runs R]
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

from pyppml.benchmarks import bfv
from pyppml.benchmarks.harness import emit, measure, result


def _examples_dir() -> pathlib.Path:
    import pyppml

    return pathlib.Path(pyppml.__file__).resolve().parents[1] / "examples"


def _skip(note: str) -> None:
    emit({"lib": "pyppml-numba", "scheme": "bgv", "op": "_skipped", "note": note})


def _bench_set(ps, runs, target_ms, numpy_runs):
    from bgv import BgvContext, negacyclic_mul, steps_numba, steps_numpy

    from pyppml import numba as pn
    from pyppml import ring
    from pyppml._core import Prng

    n, L = ps["N"], ps["L"]
    qs = ring.find_ntt_primes(ps["bits"], n, L)
    sp = ring.find_ntt_primes(ps["special"], n, 1)
    ctx = BgvContext(n, bfv.BFV_T, qs, sp)
    ctx.keygen()
    prng = Prng()
    x = np.asarray(prng.uniform_mod(bfv.BFV_T, n), dtype=np.int64)
    y = np.asarray(prng.uniform_mod(bfv.BFV_T, n), dtype=np.int64)
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    extra = {"q_bits": [ps["bits"]] * L, "p_bits": [ps["special"]], "t": bfv.BFV_T, "capi": pn.capi_available()}
    plan, conv, ksc, msc = ctx.plan, ctx.conv, ctx.ksc, ctx.msc
    k0, k1 = ctx.relin_key
    records = []

    def run(lib, op, fn, note, r=runs):
        rec = result(lib, "bgv", n, L, op, measure(fn, runs=r, target_ms=target_ms), **extra, note=note)
        emit(rec)
        records.append(rec)

    def mul_relin(steps):
        return lambda: steps.relinearize(plan, conv, ksc, steps.multiply(plan, a, b), k0, k1)

    d = steps_numba.multiply(plan, a, b)
    c = steps_numba.relinearize(plan, conv, ksc, d, k0, k1)
    run("pyppml-numba", "multiply_relin", mul_relin(steps_numba), "tensor + key switch, njit")
    run("pyppml-numba", "multiply", lambda: steps_numba.multiply(plan, a, b), "size-3 tensor in NTT form")
    run("pyppml-numba", "relinearize", lambda: steps_numba.relinearize(plan, conv, ksc, d, k0, k1),
        f"{L} digits x {L + 1} limbs, mod-down by P")
    run("pyppml-numba", "mod_switch", lambda: steps_numba.mod_switch(plan, msc, c), "drop one q prime")
    run("numpy", "multiply_relin", mul_relin(steps_numpy), "same algorithm, NumPy only", r=numpy_runs)
    ops, _, _ = bfv._ops_pyppml(ps)
    for name, fn, setup, note in ops:
        if name == "multiply_relin":
            rec = result("pyppml", "bfv", n, L, name, bfv._time(fn, runs, target_ms, setup), **extra, note="C++ BFV " + note)
            emit(rec)
            records.append(rec)
    ok = bool(np.array_equal(ctx.decrypt(c), negacyclic_mul(x, y, bfv.BFV_T)))
    same = bool(np.array_equal(c, mul_relin(steps_numpy)()))
    emit(result("pyppml-numba", "bgv", n, L, "_check", {}, ok=ok, numpy_bit_identical=same))
    return records


def _table(records) -> None:
    by = {}
    for r in records:
        if r["op"] == "multiply_relin":
            by.setdefault(r["N"], {})[r["lib"]] = r["median_us"] / 1e3
    for n, v in by.items():
        ratio = v["pyppml-numba"] / v["pyppml"] if "pyppml" in v else float("nan")
        cells = ", ".join(f"{lib} {ms:.2f} ms" for lib, ms in v.items())
        print(f"n = {n} multiply_relin: {cells}; numba / C++ BFV = {ratio:.2f}", file=sys.stderr)


def run(args) -> None:
    quick = bool(getattr(args, "quick", False))
    runs = int(getattr(args, "runs", 10) or 10)
    try:
        import numba  # noqa: F401
    except ImportError:
        _skip('numba not installed (pip install "pyppml[numba]")')
        return
    examples = _examples_dir()
    if not (examples / "bgv" / "scheme.py").is_file():
        _skip(f"examples/bgv not found at {examples} (run from a source checkout)")
        return
    if str(examples) not in sys.path:
        sys.path.insert(0, str(examples))
    logns = getattr(args, "logn", None) or (13, 14)
    records = []
    for ps in bfv.BFV_SETS:
        if ps["N"].bit_length() - 1 in logns:
            records += _bench_set(ps, runs, 2.0 if quick else 5.0, 3 if quick else 5)
    _table(records)
