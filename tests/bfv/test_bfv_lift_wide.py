"""The IFMA lift and scaling kernels for data primes of 51..61 bits (SEAL's 54- and 60-bit
chains; csrc/he/bfv/lift_wide_avx512ifma.cpp) against the scalar HPS conversion and
Python integers: the lifts bit-identical, the scaling exact up to its 104-bit fraction
(the scalar one keeps 64 bits, so the two may differ by its rounding error); and the whole
product + relinearization at a 54-bit chain under every backend."""

import warnings

import numpy as np
import pytest

from pyppml import _core, bfv, ring

from bfv_reference import T, mulmod

IFMA = "avx512" in ring.available_backends() and "avx512ifma" in _core.cpu_features()
needs_ifma = pytest.mark.skipif(not IFMA, reason="the wide kernels need AVX-512 IFMA52")

# (data-prime bits, ring degree): each chain also has narrow primes where noted.
CHAINS = {
    "54x4": ([54] * 4, 1024),
    "55x3": ([55] * 3, 1024),
    "60x5": ([60] * 5, 2048),
    "61x2": ([61] * 2, 1024),
    "61x26": ([61] * 26, 1024),  # |B| = 33 > 32: the B -> Q sums take an intermediate reduction
    "mixed": ([60, 30, 54, 45, 61], 1024),  # narrow primes among wide ones, a 30-bit target
}


def _context(bits, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # security=None warns
        return bfv.Context(poly_degree=n, plain_modulus=T, coeff_mod_bits=bits, special_mod_bits=[60], security=None)


@pytest.fixture(scope="module", params=sorted(CHAINS))
def chain(request):
    return _context(*CHAINS[request.param])


def _crt(residues, moduli):
    M = 1
    for m in moduli:
        M *= m
    x = 0
    for r, m in zip(residues, moduli):
        Mi = M // m
        x += int(r) * Mi * pow(Mi, -1, m)
    return x % M, M


def _random_residues(rng, moduli, n):
    vals = np.stack([rng.integers(0, m, n, dtype=np.uint64) for m in moduli])
    vals[:, 0] = 0                        # x = 0
    vals[:, 1] = [m - 1 for m in moduli]  # x = -1
    return vals


def _under(backend, fn):
    with ring.use_backend(backend):
        return fn()


@needs_ifma
def test_lifts_bit_identical_to_scalar_and_python(chain):
    nat, n = chain._bfv, chain.poly_degree
    rng = np.random.default_rng(7)
    levels = sorted({0, chain.max_level // 2, chain.max_level})
    for level in levels:
        q, b = chain.coeff_moduli[: level + 1], chain.aux_moduli
        for src, dst, to_aux in ((q, b, True), (b, q, False)):
            vals = _random_residues(rng, src, n)
            simd = _under("avx512", lambda: nat._lift(level, to_aux, vals.reshape(-1)))
            scalar = _under("scalar", lambda: nat._lift(level, to_aux, vals.reshape(-1)))
            assert np.array_equal(simd, scalar), (level, to_aux)
            simd = simd.reshape(len(dst), n)
            for k in [0, 1] + list(rng.integers(2, n, 24)):
                x, Q = _crt(vals[:, k], src)
                if x >= (Q + 1) // 2:
                    x -= Q
                assert [int(v) for v in simd[:, k]] == [x % p for p in dst], (level, to_aux, k)


@needs_ifma
def test_scaling_exact_and_within_scalar_rounding(chain):
    nat, n = chain._bfv, chain.poly_degree
    rng = np.random.default_rng(11)
    b = chain.aux_moduli
    for level in sorted({0, chain.max_level}):
        q = chain.coeff_moduli[: level + 1]
        vals = _random_residues(rng, list(q) + list(b), n)
        simd = _under("avx512", lambda: nat._scale_to_aux(level, vals.reshape(-1))).reshape(len(b), n)
        scalar = _under("scalar", lambda: nat._scale_to_aux(level, vals.reshape(-1))).reshape(len(b), n)
        # round(t x / Q) for x in [0, QB) from all residues, exactly.
        Q = 1
        for m in q:
            Q *= m
        for k in [0, 1] + list(rng.integers(2, n, 24)):
            x, _ = _crt(vals[:, k], list(q) + list(b))
            r = (2 * T * x + Q) // (2 * Q)
            assert [int(v) for v in simd[:, k]] == [r % p for p in b], (level, k)
        # The scalar fraction floor(2^64 r_i / q_i) is low by less than (l+1) max(q) / 2^64.
        bound = -(-(level + 1) * max(q) // 2**64)
        bm = np.array(b, dtype=object)[:, None]
        diff = (simd.astype(object) - scalar.astype(object)) % bm
        diff = np.minimum(diff, bm - diff)
        assert diff.max() <= bound, (level, diff.max(), bound)


def test_multiply_relinearize_54_bit_chain_under_each_backend():
    ctx = _context([54] * 4, 4096)
    ctx.keygen()
    rng = np.random.default_rng(3)
    x, y, z = rng.integers(0, T, (3, ctx.slots))
    a, b, c = ctx.encrypt(x), ctx.encrypt(y), ctx.encrypt(z)
    budgets = {}
    for backend in ring.available_backends():
        with ring.use_backend(backend):
            prod = a.multiply(b).relinearize()
            deep = prod * c
            sq = a.square()
        assert np.array_equal(ctx.decrypt(prod), mulmod(x, y)), backend
        assert np.array_equal(ctx.decrypt(deep), mulmod(mulmod(x, y), z)), backend
        assert np.array_equal(ctx.decrypt(sq), mulmod(x, x)), backend
        budgets[backend] = ctx.noise_budget(deep)
    assert max(budgets.values()) - min(budgets.values()) <= 1, budgets
