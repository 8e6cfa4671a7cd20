"""`pyppml bench bgv_numba` as pytest-benchmark tests: BGV multiply + relinearize written in
Python + numba on pyppml.numba (examples/bgv), beside the same algorithm in NumPy and
pyppml's C++ BFV multiply + relinearize at the same n and moduli, in one group. Skipped
without numba or outside a source checkout (examples/ is not in the wheel)."""

import sys

import numpy as np
import pytest

pytest.importorskip("numba", reason='numba not installed (pip install "pyppml[numba]")')

from pyppml.benchmarks import bfv
from pyppml.benchmarks import bgv_numba as suite

PARAMS = {"logn": ((13,), (13, 14))}


@pytest.fixture(scope="module")
def bgv():
    examples = suite._examples_dir()
    if not (examples / "bgv" / "scheme.py").is_file():
        pytest.skip(f"examples/bgv not found at {examples} (run from a source checkout)")
    if str(examples) not in sys.path:
        sys.path.insert(0, str(examples))
    import bgv
    import bgv.steps_numba  # submodules: the package does not import them
    import bgv.steps_numpy

    return bgv


@pytest.fixture(scope="module")
def contexts():
    return {}


@pytest.fixture
def setup(bgv, contexts, logn):
    if logn not in contexts:
        from pyppml._core import Prng

        from pyppml import ring

        ps = next(p for p in bfv.BFV_SETS if p["N"] == 1 << logn)
        n, L = ps["N"], ps["L"]
        ctx = bgv.BgvContext(n, bfv.BFV_T, ring.find_ntt_primes(ps["bits"], n, L),
                             ring.find_ntt_primes(ps["special"], n, 1))
        ctx.keygen()
        prng = Prng()
        x = np.asarray(prng.uniform_mod(bfv.BFV_T, n), dtype=np.int64)
        y = np.asarray(prng.uniform_mod(bfv.BFV_T, n), dtype=np.int64)
        contexts[logn] = (ps, ctx, x, y, ctx.encrypt(x), ctx.encrypt(y))
    return contexts[logn]


@pytest.mark.parametrize("impl", ["numba", "numpy"])
def test_bgv_multiply_relin(ppml_bench, bgv, setup, impl):
    ps, ctx, x, y, a, b = setup
    steps = bgv.steps_numba if impl == "numba" else bgv.steps_numpy
    k0, k1 = ctx.relin_key

    def mul_relin():
        return steps.relinearize(ctx.plan, ctx.conv, ctx.ksc, steps.multiply(ctx.plan, a, b), k0, k1)

    c = ppml_bench(mul_relin, lib="pyppml-numba" if impl == "numba" else "numpy", scheme="bgv", N=ps["N"], L=ps["L"],
                   op="multiply_relin", t=bfv.BFV_T)
    assert np.array_equal(ctx.decrypt(c), bgv.negacyclic_mul(x, y, bfv.BFV_T))


def test_bfv_multiply_relin(ppml_bench, setup):
    ps = setup[0]
    ops, check, _ = bfv._ops_pyppml(ps)
    fn = next(fn for name, fn, _, _ in ops if name == "multiply_relin")
    ppml_bench(fn, scheme="bgv", N=ps["N"], L=ps["L"], op="multiply_relin", note="C++ BFV, same n and moduli")
    assert check()["ok"]
