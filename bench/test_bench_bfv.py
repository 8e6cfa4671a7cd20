"""`pyppml bench bfv` as pytest-benchmark tests: the suite's own operations (encrypt,
multiply + relinearize, rotate, ...) on its parameter sets (t = 786433), each timed object
checked against NumPy mod t by the suite's ``_check``."""

import pytest

from pyppml.benchmarks import bfv

PARAMS = {"logn": ((13,), (13, 14, 15))}
OPS = ("encrypt", "add", "multiply_relin", "multiply_plain", "rotate", "decrypt_decode")


@pytest.fixture(scope="module")
def suites():
    return {}


@pytest.fixture
def suite(suites, logn):
    if logn not in suites:
        ps = next(p for p in bfv.BFV_SETS if p["N"] == 1 << logn)
        ops, check, extra = bfv._ops_pyppml(ps)
        suites[logn] = (ps, {name: (fn, setup) for name, fn, setup, _ in ops}, check, extra)
    return suites[logn]


@pytest.mark.parametrize("op", OPS)
def test_bfv(ppml_bench, suite, op):
    ps, ops, check, extra = suite
    fn, setup = ops[op]
    assert setup is None  # keygen-like ops (fresh state per call) are not in OPS
    ppml_bench(fn, scheme="bfv", N=ps["N"], L=ps["L"], op=op, q_bits=extra["q_bits"])
    rec = check()
    assert rec["ok"], rec
