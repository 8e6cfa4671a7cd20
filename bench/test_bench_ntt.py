"""`pyppml bench ntt` as pytest-benchmark tests: in-place negacyclic NTT, forward and inverse,
per backend present here, one limb and a stack of limbs."""

import numpy as np
import pytest

from pyppml import ring

BACKENDS = ring.available_backends()
PARAMS = {"logn": ((12, 14), (12, 13, 14, 15, 16)), "bits": ((50,), (30, 40, 50, 60))}
LIMBS = 8


@pytest.fixture(params=BACKENDS)
def backend(request):
    with ring.use_backend(request.param):
        yield request.param


@pytest.mark.parametrize("direction", ["forward", "inverse"])
def test_ntt(ppml_bench, backend, logn, bits, direction):
    n = 1 << logn
    q = ring.find_ntt_primes(bits, n, 1)[0]
    tables = ring.NttTables(n, q)
    a = np.random.default_rng(logn).integers(0, q, n, dtype=np.uint64)  # public test data
    work = a.copy()
    fn = tables.forward_inplace if direction == "forward" else tables.inverse_inplace
    # Each direction maps [0, q) onto [0, q): repeated calls keep the input valid.
    ppml_bench(lambda: fn(work), scheme="ring", N=n, L=1, op=f"ntt_{direction}", q_bits=bits, backend=backend,
               kernel=tables.kernel)
    # Whatever number of calls ran, the inverse of the forward is the identity.
    b = a.copy()
    tables.forward_inplace(b)
    tables.inverse_inplace(b)
    assert np.array_equal(b, a)
    assert int(work.max()) < q


def test_ntt_limbs(ppml_bench, backend, logn):
    n = 1 << logn
    q = ring.find_ntt_primes(50, n, 1)[0]
    tables = ring.NttTables(n, q)
    stack = np.random.default_rng(7).integers(0, q, (LIMBS, n), dtype=np.uint64)
    work = stack.copy()
    ppml_bench(lambda: tables.forward_inplace(work), scheme="ring", N=n, L=LIMBS, op="ntt_forward_limbs", q_bits=50,
               backend=backend)
    # Row by row, the stacked transform equals the one-limb transform.
    one = stack[3].copy()
    tables.forward_inplace(one)
    both = stack.copy()
    tables.forward_inplace(both)
    assert np.array_equal(both[3], one)
