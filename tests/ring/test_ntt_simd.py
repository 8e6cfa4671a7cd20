"""SIMD NTT kernels (AVX2, AVX-512 DQ, AVX-512 IFMA52) bit-identical to the scalar
reference over every supported size from 2^3 to 2^17, primes of 30 to 61 bits including
the largest below the IFMA bound 2^50 and below 2^61, and the extreme inputs 0 and q - 1."""

import numpy as np
import pytest

from pyppml import ring

SIMD = [b for b in ring.available_backends() if b != "scalar"]
# 49/50: IFMA path (q < 2^50); 51/52: just above it (DQ path); 61: largest supported.
# 46/47 and 57/58 straddle the bounds below which the forward kernels skip every lazy
# reduction ((1 + 2 log n) q < 2^52 for IFMA, < 2^63 for 64-bit lanes).
BITS = [30, 40, 46, 47, 49, 50, 51, 52, 55, 57, 58, 60, 61]
LOGN = list(range(3, 18))


def _inputs(n, q, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, q, (4, n), dtype=np.uint64)
    a[1, :] = q - 1
    a[2, :] = 0
    a[3, ::2] = q - 1  # alternate extremes: largest lazy values in every lane
    a[3, 1::2] = 0
    return a


def _reference(t, a):
    with ring.use_backend("scalar"):
        assert t.kernel == "scalar"
        return t.forward(a), t.inverse(a)


@pytest.mark.skipif(not SIMD, reason="no SIMD backend on this machine")
@pytest.mark.parametrize("bits", BITS, ids=lambda b: f"q{b}")
@pytest.mark.parametrize("logn", LOGN, ids=lambda l: f"n{1 << l}")
def test_simd_bit_identical_to_scalar(logn, bits):
    n = 1 << logn
    q = ring.find_ntt_primes(bits, n, 1)[0]
    t = ring.NttTables(n, q)
    a = _inputs(n, q, logn * 100 + bits)
    ref_f, ref_i = _reference(t, a)
    assert ref_f.max() < q and ref_i.max() < q
    for backend in SIMD:
        with ring.use_backend(backend):
            kept = a.copy()
            got_f, got_i = t.forward(a), t.inverse(a)  # inverse: out of place, no copy first
            assert np.array_equal(a, kept), (backend, t.kernel, "input written")
            assert np.array_equal(got_f, ref_f), (backend, t.kernel, "forward")
            assert np.array_equal(got_i, ref_i), (backend, t.kernel, "inverse")
            in_place = a.copy()
            for row in in_place:
                t.inverse_inplace(row)
            assert np.array_equal(in_place, ref_i), (backend, t.kernel, "inverse in place")
            b = a.copy()
            for row in b:
                t.forward_inplace(row)
                t.inverse_inplace(row)
            assert np.array_equal(b, a), (backend, t.kernel, "round trip")


@pytest.mark.skipif("avx512" not in SIMD, reason="no AVX-512 on this machine")
@pytest.mark.parametrize("logn", [4, 5, 12, 16])
def test_avx512_kernel_choice_follows_modulus_bound(logn):
    n = 1 << logn
    below = ring.find_ntt_primes(50, n, 1)[0]  # largest NTT prime < 2^50
    above = ring.find_ntt_primes(51, n, 1)[0]
    with ring.use_backend("avx512"):
        assert ring.NttTables(n, below).kernel in ("avx512ifma", "avx512")
        assert ring.NttTables(n, above).kernel == "avx512"


@pytest.mark.skipif(not SIMD, reason="no SIMD backend on this machine")
@pytest.mark.parametrize("bits", [50, 61], ids=lambda b: f"q{b}")
def test_simd_many_random_vectors_n1024(bits):
    n = 1024
    q = ring.find_ntt_primes(bits, n, 1)[0]
    t = ring.NttTables(n, q)
    a = np.random.default_rng(bits).integers(0, q, (64, n), dtype=np.uint64)
    ref_f, ref_i = _reference(t, a)
    for backend in SIMD:
        with ring.use_backend(backend):
            assert np.array_equal(t.forward(a), ref_f), (backend, t.kernel)
            assert np.array_equal(t.inverse(a), ref_i), (backend, t.kernel)


@pytest.mark.parametrize("bits", [30, 40, 47, 50, 55, 60], ids=lambda b: f"q{b}")
@pytest.mark.parametrize("logn", [3, 4, 10, 12, 13, 15], ids=lambda l: f"n{1 << l}")
def test_forward_with_shift_is_forward_of_shifted_input(logn, bits):
    """The out-of-place forward with an added constant (the key-switching raise) equals the
    in-place forward of (a + shift) mod q on every backend, including shifts 0, 1, q - 1
    and inputs at both ends."""
    n = 1 << logn
    q = ring.find_ntt_primes(bits, n, 1)[0]
    t = ring.NttTables(n, q)
    a = _inputs(n, q, logn * 7 + bits)
    for backend in ["scalar"] + SIMD:
        with ring.use_backend(backend):
            for shift in (1, q - 1, (q - 1) // 2, int(np.random.default_rng(bits).integers(2, q - 1))):
                shifted = (a + np.uint64(shift)) % np.uint64(q)  # < 2^62: no wrap-around
                got = t.forward(a, shift=shift)
                assert np.array_equal(got, t.forward(shifted)), (backend, t.kernel, shift)
                assert got.max() < q


@pytest.mark.parametrize("bits", [30, 40, 50, 55, 60], ids=lambda b: f"q{b}")
@pytest.mark.parametrize("logn", [3, 4, 12, 15], ids=lambda l: f"n{1 << l}")
def test_forward_reduces_inputs_below_2q(logn, bits):
    """Inputs in [q, 2q) (a slightly wider prime's residues, as key switching raises its
    digits without a separate reduction) give the forward of a mod q on every backend, with
    and without a shift, the extremes 2q - 1 and q included."""
    n = 1 << logn
    q = ring.find_ntt_primes(bits, n, 1)[0]
    t = ring.NttTables(n, q)
    rng = np.random.default_rng(logn * 11 + bits)
    a = rng.integers(0, 2 * q, n, dtype=np.uint64)
    a[:4] = [2 * q - 1, q, q - 1, 0]
    for backend in ["scalar"] + SIMD:
        with ring.use_backend(backend):
            for shift in (0, 1, q - 1, int(rng.integers(2, q - 1))):
                expect = t.forward((a % np.uint64(q) + np.uint64(shift)) % np.uint64(q))
                got = t.forward(a, shift=shift)
                assert np.array_equal(got, expect), (backend, t.kernel, shift)


def test_forward_shift_must_be_reduced():
    t = ring.NttTables(16, ring.find_ntt_primes(30, 16, 1)[0])
    with pytest.raises(ValueError, match="shift"):
        t.forward(np.zeros(16, dtype=np.uint64), shift=t.q)
    with pytest.raises(ValueError, match="2q"):
        t.forward(np.full(16, 2 * t.q, dtype=np.uint64), shift=1)
    with pytest.raises(ValueError, match="2q"):
        t.forward(np.full(16, 2 * t.q, dtype=np.uint64))
