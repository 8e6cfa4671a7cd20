"""`pyppml bench eltwise` as pytest-benchmark tests: the element-wise modular product and
the key-switching inner product on one limb, per backend present here."""

import numpy as np
import pytest

from pyppml import _core, ring

PARAMS = {"bits": ((40, 60), (40, 60))}
N = 1 << 14
TERMS = 9


@pytest.fixture(params=ring.available_backends())
def backend(request):
    with ring.use_backend(request.param):
        yield request.param


def _operands(q, shape, seed):
    return np.random.default_rng(seed).integers(0, q, shape, dtype=np.uint64)


def test_eltwise_mul(ppml_bench, backend, bits):
    q = ring.find_ntt_primes(bits, N, 1)[0]
    a, b = _operands(q, N, 1), _operands(q, N, 2)
    out = np.empty(N, dtype=np.uint64)
    ppml_bench(lambda: _core.eltwise("mul", q, a, b, out, kernel="auto", repeat=1), scheme="ring", N=N, L=1,
               op="eltwise_mul", q_bits=bits, backend=backend)
    # Exact reference in Python integers on a sample of positions.
    for i in range(0, N, 997):
        assert int(out[i]) == int(a[i]) * int(b[i]) % q


def test_inner_product(ppml_bench, backend, bits):
    q = ring.find_ntt_primes(bits, N, 1)[0]
    sa, sb = _operands(q, (TERMS, N), 3), _operands(q, (TERMS, N), 4)
    got = ppml_bench(lambda: _core.inner_product_mod(q, sa, sb, kernel="auto", repeat=1), scheme="ring", N=N, L=1,
                     op="inner_product", q_bits=bits, backend=backend, terms=TERMS)
    got = np.asarray(got)
    for i in range(0, N, 1999):
        assert int(got[i]) == sum(int(sa[k, i]) * int(sb[k, i]) for k in range(TERMS)) % q
