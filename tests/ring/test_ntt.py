"""NTT: scalar against a naive negacyclic convolution, known-answer vectors, every SIMD
backend bit-identical to scalar, round trips, and the error messages."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pyppml import ring

SEAL_Q = 0x0FFFFFFFFFFC0001  # SECURITY.md 5a


def naive_negacyclic(a, b, q):
    n = len(a)
    out = [0] * n
    for i in range(n):
        for j in range(n):
            k = i + j
            if k < n:
                out[k] = (out[k] + int(a[i]) * int(b[j])) % q
            else:
                out[k - n] = (out[k - n] - int(a[i]) * int(b[j])) % q
    return np.array(out, dtype=np.uint64)


def mulmod(x, y, q):
    return np.array([int(u) * int(v) % q for u, v in zip(x, y)], dtype=np.uint64)


def bitrev(i, bits):
    return int(format(i, f"0{bits}b")[::-1], 2) if bits else 0


def test_seal_known_answer_n2():
    t = ring.NttTables(2, SEAL_Q)
    assert t.psi == 288794978602139552
    out = t.forward(np.array([1, 1], dtype=np.uint64))
    assert out.tolist() == [288794978602139553, 864126526004445282]


def test_seal_root_powers_n4():
    t = ring.NttTables(4, SEAL_Q)
    assert t.root_powers.tolist() == [1, 288794978602139552, 178930308976060547, 748001537669050592]


def test_hand_checked_q17():
    # SECURITY.md 5a: q = 17, n = 4, psi = 2; natural-order evaluations at psi^(2i+1).
    t = ring.NttTables(4, 17)
    assert t.psi == 2
    a = np.array([1, 2, 3, 4], dtype=np.uint64)
    b = np.array([5, 6, 7, 8], dtype=np.uint64)
    fa, fb = t.forward(a), t.forward(b)
    natural = lambda v: [int(v[bitrev(i, 2)]) for i in range(4)]
    assert natural(fa) == [15, 13, 11, 16]
    assert natural(fb) == [7, 7, 8, 15]
    assert t.inverse(mulmod(fa, fb, 17)).tolist() == [12, 15, 2, 9]


@pytest.mark.parametrize("n", [8, 16, 64, 256])
@pytest.mark.parametrize("bits", [20, 30, 40, 50, 55, 60, 61])
def test_scalar_matches_naive_convolution(n, bits):
    q = ring.find_ntt_primes(bits, n, 1)[0]
    t = ring.NttTables(n, q)
    rng = np.random.default_rng(n * 100 + bits)
    for a, b in [
        (rng.integers(0, q, n, dtype=np.uint64), rng.integers(0, q, n, dtype=np.uint64)),
        (np.full(n, q - 1, dtype=np.uint64), np.full(n, q - 1, dtype=np.uint64)),
        (np.zeros(n, dtype=np.uint64), rng.integers(0, q, n, dtype=np.uint64)),
    ]:
        with ring.use_backend("scalar"):
            got = t.inverse(mulmod(t.forward(a), t.forward(b), q))
        assert np.array_equal(got, naive_negacyclic(a, b, q))


@pytest.mark.parametrize("logn", [3, 4, 5, 10, 12, 14, 16])
@pytest.mark.parametrize("bits", [30, 40, 49, 50, 52, 60, 61])
def test_backends_bit_identical_to_scalar(logn, bits):
    n = 1 << logn
    q = ring.find_ntt_primes(bits, n, 1)[0]
    t = ring.NttTables(n, q)
    rng = np.random.default_rng(logn * 1000 + bits)
    a = rng.integers(0, q, (3, n), dtype=np.uint64)
    a[1, :] = q - 1
    a[2, : n // 2] = 0
    with ring.use_backend("scalar"):
        ref_f = t.forward(a)
        ref_i = t.inverse(a)
    for backend in ring.available_backends():
        with ring.use_backend(backend):
            assert np.array_equal(t.forward(a), ref_f), (backend, t.kernel)
            assert np.array_equal(t.inverse(a), ref_i), (backend, t.kernel)
            assert np.array_equal(t.inverse(t.forward(a)), a)
    assert ref_f.max() < q and ref_i.max() < q


@settings(max_examples=40, deadline=None)
@given(logn=st.integers(1, 11), bits=st.integers(30, 61), seed=st.integers(0, 2**32 - 1))
def test_round_trip_property(logn, bits, seed):
    n = 1 << logn
    q = ring.find_ntt_primes(max(bits, logn + 3), n, 1)[0]
    t = ring.NttTables(n, q)
    a = np.random.default_rng(seed).integers(0, q, n, dtype=np.uint64)
    b = a.copy()
    t.forward_inplace(b)
    assert b.max() < q
    t.inverse_inplace(b)
    assert np.array_equal(a, b)


def test_errors_name_argument_constraint_value():
    q = ring.find_ntt_primes(50, 1024, 1)[0]
    with pytest.raises(ValueError, match=r"n is not a supported ring degree; expected a power of two .* got 1000"):
        ring.NttTables(1000, q)
    with pytest.raises(ValueError, match=r"q is not prime"):
        ring.NttTables(1024, 2049 * 4097)
    with pytest.raises(ValueError, match=r"q is not NTT-friendly; expected q = 1 mod 4096"):
        ring.NttTables(2048, 7681)  # prime, 7681 = 1 mod 512 only
    with pytest.raises(ValueError, match=r"q is too large; expected q < 2\^61"):
        ring.NttTables(1024, (1 << 62) + 1)
    with pytest.raises(ValueError, match=r"n is not a supported ring degree"):
        ring.NttTables(1 << 18, q)
    t = ring.NttTables(1024, q)
    with pytest.raises(ValueError, match=r"a has the wrong dtype; expected uint64, got int64"):
        t.forward(np.zeros(1024, dtype=np.int64))
    with pytest.raises(ValueError, match=r"a has the wrong shape; expected \(\.\.\., 1024,\), got \(512,\)"):
        t.forward(np.zeros(512, dtype=np.uint64))
    with pytest.raises(ValueError, match=r"a is not C-contiguous"):
        t.forward(np.zeros((1024, 2), dtype=np.uint64)[:, 0])
    bad = np.zeros(1024, dtype=np.uint64)
    bad[7] = q
    with pytest.raises(ValueError, match=r"a has a coefficient out of range; expected every value < q = \d+, got \d+ at flat index 7"):
        t.inverse(bad)
    bad[7] = 2 * q  # forward reduces values below 2q on load
    with pytest.raises(ValueError, match=r"a has a coefficient out of range; expected every value < 2q = \d+, got \d+ at flat index 7"):
        t.forward(bad)
    with pytest.raises(ValueError, match="read-only"):
        ro = np.zeros(1024, dtype=np.uint64)
        ro.flags.writeable = False
        t.forward_inplace(ro)


def test_use_backend_restores_and_rejects_unknown():
    before = ring.get_backend()
    with ring.use_backend("scalar"):
        assert ring.get_backend() == "scalar"
    assert ring.get_backend() == before
    with pytest.raises(ValueError, match="name is unknown"):
        ring.set_backend("avx9000")
