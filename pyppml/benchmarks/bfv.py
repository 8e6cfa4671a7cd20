"""BFV benchmark: pyppml.bfv beside Microsoft SEAL (and OpenFHE) in the same run.

Op names, parameter sets and timing rules are those of ../shared/peers/bench_seal.py:
n = 2^13, 2^14 (and 2^15 unless --quick; 2^16 with --logn 16) with Q = L primes of
`bits` bits, one 60-bit special prime, one key-switching digit per data prime,
t = 786433, single thread. Every
timed pyppml object is checked against NumPy afterwards (an ``_check`` line).
With --compare, SEAL (seal-python, ``import seal``) runs the same ops in this process,
and OpenFHE's peer script runs in a python3.10 that has ``openfhe``, when there is one.

    pyppml bench bfv [--quick] [--compare] [--runs R] [--logn 13 14]
"""

from __future__ import annotations

import sys

import numpy as np

from pyppml.benchmarks import peers
from pyppml.benchmarks.harness import emit, measure, result

# ../shared/peers/common.py: BFV_SETS and BFV_T (same chains for every library).
BFV_SETS = [
    dict(N=1 << 13, bits=39, L=4, special=60),
    dict(N=1 << 14, bits=47, L=8, special=60),
    dict(N=1 << 15, bits=54, L=15, special=60),
    # Beyond SEAL's defaults (only with --logn 16): 31 x 54 + 60 = 1734 bits, within the
    # 1,747 of the HE standard's extension to 2^16 (SEAL's own table stops at 2^15, so its
    # context is built without a security level there).
    dict(N=1 << 16, bits=54, L=31, special=60),
]
OPENFHE_LOGNS = (13, 14, 15)  # the BFV sets of peer_openfhe.py
BFV_T = 786433


def _time(fn, runs, target_ms, setup=None):
    if setup is None:
        return measure(fn, runs=runs, target_ms=target_ms)
    # keygen-like ops: one call per run, fresh state from setup outside the timing.
    import gc
    import statistics
    import time

    samples = []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        fn(*setup())
        for _ in range(runs):
            args = setup()
            t0 = time.perf_counter_ns()
            r = fn(*args)
            samples.append(time.perf_counter_ns() - t0)
            del r
    finally:
        if gc_was:
            gc.enable()
    samples.sort()
    return {"median_us": round(statistics.median(samples) / 1e3, 3), "runs": runs, "inner": 1,
            "min_us": round(samples[0] / 1e3, 3)}


def _ops_pyppml(ps):
    """(ops, check, extra): ops = [(name, fn, setup, note)], check() -> _check record."""
    from pyppml import bfv

    n, L = ps["N"], ps["L"]
    ctx = bfv.Context(poly_degree=n, plain_modulus=BFV_T, coeff_mod_bits=[ps["bits"]] * L,
                      special_mod_bits=[ps["special"]], security_standard="2018")
    ctx.keygen(rotations=[1], columns=False)
    rng = np.random.default_rng(2)
    x = rng.integers(0, 1000, n, dtype=np.int64)
    y = rng.integers(0, 1000, n, dtype=np.int64)
    pt, pty = ctx.encode(x), ctx.encode(y)
    ct = ctx.encrypt(pt, symmetric=False)
    ct2 = ctx.encrypt(pty, symmetric=False)
    sk = ctx.secret_key
    nat = ctx._native
    extra = dict(q_bits=[ps["bits"]] * L, p_bits=[ps["special"]], aux_bits=[m.bit_length() for m in ctx.aux_moduli])
    ops = []

    def op(name, fn, setup=None, note=None):
        ops.append((name, fn, setup, note))

    op("keygen", lambda: (lambda s: nat.keygen_public(s))(nat.keygen_secret()), setup=tuple,
       note="secret key + public key")
    op("relin_keygen", lambda: nat.keygen_relin(sk), setup=tuple)
    op("galois_keygen", lambda: nat.keygen_galois(sk, [3]), setup=tuple, note="one key: row rotation step 1 (galois elt 3)")
    op("encode", lambda: ctx.encode(x), note="N int64 from numpy")
    op("encrypt", lambda: ctx.encrypt(pt, symmetric=False), note="public key")
    op("decrypt", lambda: ctx.decrypt_plaintext(ct), note="with the noise check")
    ptd = ctx.decrypt_plaintext(ct)
    c3 = ct.multiply(ct2)
    op("decode", lambda: ctx.decode(ptd), note="to numpy int64")
    op("decrypt_decode", lambda: ctx.decrypt(ct))
    op("add", lambda: ct + ct2)
    op("multiply", lambda: ct.multiply(ct2), note="ct*ct -> size 3, no relin (HPS)")
    op("relinearize", lambda: c3.relinearize())
    op("multiply_plain", lambda: ct.multiply_plain(pty), note="one plaintext reused: its evaluation form is kept after the first call (as OpenFHE converts its plaintext once)")
    op("rotate", lambda: ct.rotate_rows(1), note="rotate_rows by 1")
    op("multiply_relin", lambda: ct * ct2, note="a * b: multiply and relinearize in one call")

    def check():
        h = n // 2
        m = ctx.decrypt(ct * ct2)
        r = ctx.decrypt(ct.rotate_rows(1))
        mp = ctx.decrypt(ct.multiply_plain(pty))
        ok = bool(np.array_equal(m, x * y % BFV_T) and np.array_equal(mp, x * y % BFV_T)
                  and np.array_equal(r[:h - 1], x[1:h]))
        return result("pyppml", "bfv", n, L, "_check", {}, ok=ok, noise_budget_after_mul=ctx.noise_budget(ct * ct2))

    return ops, check, extra


def _ops_seal(ps):
    import seal

    n, L = ps["N"], ps["L"]
    sctx = peers._seal_context(seal, seal.scheme_type.bfv, n, [ps["bits"]] * L + [ps["special"]], BFV_T)
    kg = seal.KeyGenerator(sctx)
    sk = kg.secret_key()
    pk = kg.create_public_key()
    be = seal.BatchEncoder(sctx)
    ev = seal.Evaluator(sctx)
    encr = seal.Encryptor(sctx, pk)
    decr = seal.Decryptor(sctx, sk)
    rng = np.random.default_rng(2)
    x = rng.integers(0, 1000, n, dtype=np.int64)
    y = rng.integers(0, 1000, n, dtype=np.int64)
    pt, pty = be.encode(x), be.encode(y)
    ct, ct2 = encr.encrypt(pt), encr.encrypt(pty)
    ops = []

    def op(name, fn, setup=None, note=None):
        ops.append((name, fn, setup, note))

    op("keygen", lambda: (lambda k: (k, k.create_public_key()))(seal.KeyGenerator(sctx)), setup=tuple)
    op("relin_keygen", lambda: kg.create_relin_keys(), setup=tuple)
    op("galois_keygen", lambda g: kg.create_galois_keys([1], g), setup=lambda: (seal.GaloisKeys(),))
    rk = kg.create_relin_keys()
    gk = seal.GaloisKeys()
    kg.create_galois_keys([1], gk)
    op("encode", lambda: be.encode(x))
    op("encrypt", lambda: encr.encrypt(pt))
    op("decrypt", lambda: decr.decrypt(ct))
    ptd = decr.decrypt(ct)
    op("decode", lambda: be.decode(ptd))
    op("decrypt_decode", lambda: be.decode(decr.decrypt(ct)))
    op("add", lambda: ev.add(ct, ct2))
    op("multiply", lambda: ev.multiply(ct, ct2), note="BEHZ")
    c3 = ev.multiply(ct, ct2)
    op("relinearize", lambda: ev.relinearize(c3, rk))
    op("multiply_plain", lambda: ev.multiply_plain(ct, pty))
    op("rotate", lambda: ev.rotate_rows(ct, 1, gk))
    op("multiply_relin", lambda: ev.relinearize(ev.multiply(ct, ct2), rk))

    def check():
        m = be.decode(decr.decrypt(ev.relinearize(ev.multiply(ct, ct2), rk)))
        return result("seal", "bfv", n, L, "_check", {}, ok=bool(np.array_equal(m % BFV_T, x * y % BFV_T)))

    return ops, check, dict(q_bits=[ps["bits"]] * L, p_bits=[ps["special"]])


def _bench_openfhe(logns, runs):
    """OpenFHE's BFV on the same chains (its wheel runs in a Python 3.10 subprocess)."""
    out = []
    for logn in (x for x in logns if x in OPENFHE_LOGNS):
        out += peers.openfhe(["--scheme", "bfv", "--logn", str(logn), "--runs", str(runs)])
    return out


def _table(records) -> None:
    """Same-run table on stderr: median ms per op and library, and the speed-up of pyppml
    over the faster peer."""
    by = {}
    for r in records:
        if "median_us" in r and not r["op"].startswith("_"):
            by.setdefault(r["N"], {}).setdefault(r["op"], {})[r["lib"]] = r["median_us"] / 1e3
    for n, ops in by.items():
        libs = sorted({lib for v in ops.values() for lib in v}, key=lambda s: (s != "pyppml", s))
        print(f"\nBFV n = {n}  (median ms)", file=sys.stderr)
        print("| op | " + " | ".join(libs) + " | best peer / pyppml |", file=sys.stderr)
        print("|---|" + "---:|" * (len(libs) + 1), file=sys.stderr)
        for name, v in ops.items():
            peers = [v[l] for l in libs if l != "pyppml" and l in v]
            ratio = f"{min(peers) / v['pyppml']:.2f}x" if peers and "pyppml" in v else ""
            cells = " | ".join(f"{v[l]:.3f}" if l in v else "-" for l in libs)
            print(f"| {name} | {cells} | {ratio} |", file=sys.stderr)


def run(args) -> None:
    quick = bool(getattr(args, "quick", False))
    runs = int(getattr(args, "runs", 10) or 10)
    compare = bool(getattr(args, "compare", False))
    target_ms = 2.0 if quick else 5.0
    logns = getattr(args, "logn", None) or ((13, 14) if quick else (13, 14, 15))
    sets = [ps for ps in BFV_SETS if ps["N"].bit_length() - 1 in logns]
    records = []
    for ps in sets:
        libs = [("pyppml", _ops_pyppml(ps))]
        if compare:
            try:
                libs.append(("seal", _ops_seal(ps)))
            except ImportError:
                emit({"lib": "seal", "scheme": "bfv", "op": "_skipped", "note": "seal-python not installed (pip install seal-python)"})
        # Interleaved: each op is timed for every library back to back, so that a busy
        # period of a shared machine hits all of them alike.
        names = [o[0] for o in libs[0][1][0]]
        for name in names:
            for lib, (ops, _, extra) in libs:
                for op_name, fn, setup, note in ops:
                    if op_name != name:
                        continue
                    rec = result(lib, "bfv", ps["N"], ps["L"], name, _time(fn, runs, target_ms, setup), **extra)
                    if note:
                        rec["note"] = note
                    emit(rec)
                    records.append(rec)
        for lib, (_, check, _) in libs:
            emit(check())
    if compare:
        records += _bench_openfhe([ps["N"].bit_length() - 1 for ps in sets], runs)
    _table(records)
