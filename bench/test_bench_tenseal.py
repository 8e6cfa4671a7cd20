"""`pyppml bench tenseal` as pytest-benchmark tests: the TenSEAL user's first workloads
(mean and dot product of a 10,000-value encrypted column, a 64 x 16 encrypted-inference
layer) in pyppml and, when TenSEAL is installed, in TenSEAL at the same parameters, both
in group "tenseal" so one table shows them side by side (pyppml.benchmarks.tenseal)."""

import numpy as np
import pytest

from pyppml.benchmarks import tenseal as suite

OPS = ("mean", "dot", "matvec_64x16")


@pytest.fixture(scope="module")
def data():
    x, y, f, W = suite._data()
    return (x, y, f, W), suite._expected(x, y, f, W)


@pytest.fixture(scope="module")
def cases(data):
    (x, y, f, W), _ = data
    out = {"pyppml": suite._pyppml_cases(x, y, f, W)}
    try:
        import tenseal  # noqa: F401
    except ImportError:
        return out
    with suite._stdout_to_stderr():  # TenSEAL prints warnings on the C++ stdout
        out["tenseal"] = suite._tenseal_cases(x, y, f, W)
    return out


@pytest.mark.parametrize("lib", ["pyppml", "tenseal"])
@pytest.mark.parametrize("op", OPS)
def test_workload(ppml_bench, data, cases, lib, op):
    if lib not in cases:
        pytest.skip("TenSEAL is not installed (pip install tenseal)")
    ops, decrypt = cases[lib]
    fn, ct_bytes = ops[op]
    out = ppml_bench(fn, lib=lib, scheme="tenseal", N=suite.N, L=len(suite.Q_BITS) - 1, op=op, ct_bytes=ct_bytes)
    want = data[1][op]
    got = np.asarray(decrypt(out))[: len(want)]
    assert np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))) < 1e-3
