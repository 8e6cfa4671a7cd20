"""NTT and eltwise kernels: bit-identical to pyppml.ring's NttTables (C++) on the njit path
and, when the C ABI is present, on the C-ABI path; the NTT is the negacyclic transform
(checked against an O(n^2) product mod x^n + 1); eltwise ops exact against Python ints."""

import pytest

pytest.importorskip("numba", reason='numba is optional: pip install "pyppml[numba]"')

import numpy as np
from pyppml._core import Prng

from pyppml import numba as pn
from pyppml import ring

BACKENDS = ["njit"] + (["capi"] if pn.capi_available() else [])
CASES = [(16, 30), (1024, 50), (1024, 61), (4096, 40)]


def _rows(moduli, n, seed):
    prng = Prng(seed.to_bytes(4, "little") * 8, 0)
    return np.stack([np.asarray(prng.uniform_mod(q, n), dtype=np.uint64) for q in moduli])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n,bits", CASES, ids=[f"n{n}_q{b}" for n, b in CASES])
def test_ntt_bit_identical_to_nttables(n, bits, backend):
    moduli = ring.find_ntt_primes(bits, n, 2)
    plan = pn.RingPlan(n, moduli, backend=backend)
    a = _rows(moduli, n, n + bits)
    f = pn.ntt_forward(plan, a)
    for i, q in enumerate(moduli):
        assert np.array_equal(f[i], ring.NttTables(n, q).forward(a[i]))
        assert np.array_equal(ring.NttTables(n, q).inverse(f[i]), a[i])
    assert np.array_equal(pn.ntt_inverse(plan, f), a)
    assert np.array_equal(pn.ntt_inverse(plan, a)[0], ring.NttTables(n, moduli[0]).inverse(a[0]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_ntt_product_is_negacyclic(backend):
    n, q = 16, ring.find_ntt_primes(40, 16, 1)[0]
    plan = pn.RingPlan(n, [q], backend=backend)
    a, b = _rows([q], n, 1), _rows([q], n, 2)
    got = pn.ntt_inverse(plan, pn.mul_mod(plan, pn.ntt_forward(plan, a), pn.ntt_forward(plan, b)))[0]
    want = [0] * n
    for i in range(n):
        for j in range(n):
            k, sign = (i + j, 1) if i + j < n else (i + j - n, -1)
            want[k] += sign * int(a[0, i]) * int(b[0, j])
    assert got.tolist() == [w % q for w in want]


@pytest.mark.parametrize("backend", BACKENDS)
def test_eltwise_exact(backend):
    n = 256
    moduli = ring.find_ntt_primes(61, n, 1) + ring.find_ntt_primes(30, n, 1)
    plan = pn.RingPlan(n, moduli, backend=backend)
    a, b = _rows(moduli, n, 3), _rows(moduli, n, 4)
    a[:, 0], b[:, 0] = np.array(moduli, dtype=np.uint64) - 1, np.array(moduli, dtype=np.uint64) - 1
    for fn, op in ((pn.add_mod, lambda x, y: x + y), (pn.sub_mod, lambda x, y: x - y), (pn.mul_mod, lambda x, y: x * y)):
        got = fn(plan, a, b)
        for i, q in enumerate(moduli):
            assert got[i].tolist() == [op(x, y) % q for x, y in zip(a[i].tolist(), b[i].tolist())]
    got = pn.mul_scalar_mod(plan, a, [-3, 1 << 70])
    for i, (q, s) in enumerate(zip(moduli, [-3, 1 << 70])):
        assert got[i].tolist() == [x * s % q for x in a[i].tolist()]


def test_capi_and_njit_paths_agree():
    if not pn.capi_available():
        pytest.skip("the C ABI library (libpyppml_capi.so) is not built here")
    n = 2048
    moduli = ring.find_ntt_primes(55, n, 3)
    a, b = _rows(moduli, n, 5), _rows(moduli, n, 6)
    pc, pj = pn.RingPlan(n, moduli, backend="capi"), pn.RingPlan(n, moduli, backend="njit")
    assert len(pc.handles) == 3 and len(pj.handles) == 0
    assert np.array_equal(pn.ntt_forward(pc, a), pn.ntt_forward(pj, a))
    assert np.array_equal(pn.ntt_inverse(pc, a), pn.ntt_inverse(pj, a))
    assert np.array_equal(pn.mul_mod(pc, a, b), pn.mul_mod(pj, a, b))
