"""Results are bit-identical for 1, 2, 3 and 4 threads: key generation and encryption
(from a seeded test generator), CKKS multiply+relinearize+rescale, rotations, hoisted
rotations, BFV products, NTTs, base conversion and MPC matrix products. The parameter
sets split work over several limbs, one-prime and multi-prime digits, one and two
special primes, and target-limb counts that do and do not divide among the threads, so
every parallel path of the key switch runs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pyppml import _core, bfv, ckks, ring
from threads_helpers import assert_all_equal

SEED = bytes(range(32))

# (name, coeff_mod_bits, special_mod_bits, dnum): insecure small rings, fast tests.
CKKS_SETS = [
    ("one_prime_digits_one_special", [50, 40, 40, 40, 40], [50], 0),
    ("two_prime_digits_two_special", [50, 40, 40, 40, 40], [50, 50], 3),
    # Target limbs not a multiple of the thread count: the last ones split over the digits.
    ("one_prime_digits_odd_targets", [50, 40, 40, 40], [50], 0),
]


def _quiet(factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return factory()


def _ckks_context(q_bits, p_bits, dnum):
    return _quiet(lambda: ckks.Context(poly_degree=4096, coeff_mod_bits=q_bits, special_mod_bits=p_bits,
                                       scale_bits=40, dnum=dnum, security=None))


def _ckks_run(q_bits, p_bits, dnum):
    """Everything seeded from SEED on this thread: keys, encryptions, then evaluation."""
    ctx = _ckks_context(q_bits, p_bits, dnum)
    _core._seed_thread_prng_for_tests(SEED)
    ctx.keygen(rotations=[1, 2, 5])
    rng = np.random.default_rng(7)
    x, y = rng.uniform(-1, 1, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    prod = a * b  # multiply, relinearize, rescale
    rot = a.rotate(1)
    many = a.rotate_many([1, 2, 5])
    out = {
        "secret_key": ctx.export_secret_key(),
        "keys": ctx.to_bytes(),
        "encrypt": a.to_bytes() + b.to_bytes(),
        "mult_relin_rescale": prod.to_bytes(),
        "rotate": rot.to_bytes(),
        "hoisted": b"".join(c.to_bytes() for c in many),
        "decrypt": ctx.decrypt(prod).tobytes(),
    }
    # Sanity: the objects compared are correct, not merely equal.
    assert np.max(np.abs(ctx.decrypt(prod) - x * y)) < 1e-4
    assert np.max(np.abs(ctx.decrypt(many[2])[:-5] - x[5:])) < 1e-4
    return out


@pytest.mark.parametrize("name,q_bits,p_bits,dnum", CKKS_SETS, ids=[s[0] for s in CKKS_SETS])
def test_ckks_bit_identical(at_threads, name, q_bits, p_bits, dnum):
    results = at_threads(lambda: _ckks_run(q_bits, p_bits, dnum))
    for key in results[1]:
        assert_all_equal({t: r[key] for t, r in results.items()}, key)


def test_public_key_encryption_bit_identical(at_threads):
    ctx = _ckks_context([50, 40, 40, 40], [50], 0)
    ctx.keygen(rotations=[])
    x = np.linspace(-1, 1, ctx.slots)

    def run():
        _core._seed_thread_prng_for_tests(SEED)
        return ctx.encrypt(x, symmetric=False).to_bytes()

    assert_all_equal(at_threads(run), "public-key encryption")


def test_bfv_multiply_bit_identical(at_threads):
    ctx = _quiet(lambda: bfv.Context(poly_degree=4096, plain_modulus=65537, coeff_mod_bits=[40, 40, 40],
                                     special_mod_bits=[50], security=None))
    ctx.keygen(rotations=[1])
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 65537, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)

    def run():
        p = a * b
        r = a.rotate(1)
        return p.to_bytes() + r.to_bytes()

    results = at_threads(run)
    assert_all_equal(results, "BFV multiply")
    assert np.array_equal(ctx.decrypt(a * b), (x * y) % 65537)


def test_ntt_and_rns_ops_bit_identical(at_threads):
    n = 8192
    primes = ring.find_ntt_primes(50, n, 6)
    base = ring.RnsBase(primes)
    rng = np.random.default_rng(5)
    data = np.stack([rng.integers(0, q, n, dtype=np.uint64) for q in primes])

    def run():
        p = ring.RnsPoly(n, base)
        np.asarray(p)[:] = data
        p.ntt()
        f = np.array(p, copy=True).tobytes()
        prod = p * p
        prod.intt()
        return f + np.array(prod, copy=True).tobytes()

    assert_all_equal(at_threads(run), "RnsPoly NTT and product")


@pytest.mark.parametrize("exact", [False, True], ids=["approx", "exact"])
def test_base_conversion_bit_identical(at_threads, exact):
    n = 8192
    primes = ring.find_ntt_primes(45, n, 9)
    src, dst = ring.RnsBase(primes[:5]), ring.RnsBase(primes[5:])
    rng = np.random.default_rng(6)
    x = np.stack([rng.integers(0, q, n, dtype=np.uint64) for q in primes[:5]])
    conv = ring.BaseConverter(src, dst)
    assert_all_equal(at_threads(lambda: conv.convert(x, exact=exact).tobytes()), "base conversion")


@pytest.mark.parametrize("shape", [(300, 200, 150), (2000, 300, 1), (1, 400, 500)], ids=["matmul", "matvec", "row"])
def test_mpc_matmul_bit_identical(at_threads, shape):
    m, k, n = shape
    rng = np.random.default_rng(8)
    a = rng.integers(0, 2**64, (m, k), dtype=np.uint64)
    b = rng.integers(0, 2**64, (k, n), dtype=np.uint64)
    results = at_threads(lambda: _core.mpc.matmul_u64(a, b).tobytes())
    assert_all_equal(results, "matmul_u64")
    with np.errstate(over="ignore"):
        assert results[1] == (a @ b).tobytes()
    at = np.ascontiguousarray(a.T)
    tn = at_threads(lambda: _core.mpc.matmul_tn_u64(at, b).tobytes())
    assert_all_equal(tn, "matmul_tn_u64")
    assert tn[1] == results[1]


def test_prng_keystream_bit_identical(at_threads):
    # Long draws (SecAgg mask expansion, seeded uniform polynomials) are split over the pool
    # by ChaCha20 block counter: the same bytes as the keystream drawn in small pieces.
    words = 1 << 20
    results = at_threads(lambda: ring.Prng(SEED, 1).uint64(words).tobytes())
    assert_all_equal(results, "Prng.uint64")
    g = ring.Prng(SEED, 1)
    pieces = b"".join(g.uint64(1000).tobytes() for _ in range(-(-words // 1000)))
    assert pieces[: 8 * words] == results[1]
