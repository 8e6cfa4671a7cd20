"""Beaver multiplication kernels, simulated for both parties in one process with a local
dealer: products exact against NumPy's uint64 wraparound arithmetic; the blocked uint64
matmul against NumPy; argument checks."""

import numpy as np
import pytest

from pyppml import ParameterError, _core
from pyppml.mpc import additive_share
from pyppml.mpc._random import prng

K = _core.mpc


def rand(*shape):
    return prng().uint64(int(np.prod(shape))).reshape(shape)


def split(v):
    s = additive_share(v, 2)
    return np.ascontiguousarray(s[0]), np.ascontiguousarray(s[1])


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 5, 1), (7, 3, 9), (70, 130, 200), (1, 300, 1), (128, 64, 129)],
                         ids=lambda v: str(v))
def test_matmul_u64_matches_numpy(m, k, n):
    a, b = rand(m, k), rand(k, n)
    np.testing.assert_array_equal(K.matmul_u64(a, b), a @ b)
    np.testing.assert_array_equal(K.matmul_tn_u64(np.ascontiguousarray(a.T), b), a @ b)


def test_elementwise_product_exact():
    x, y = rand(1000), rand(1000)
    a, b = rand(1000), rand(1000)
    x0, x1 = split(x)
    y0, y1 = split(y)
    a0, a1 = split(a)
    b0, b1 = split(b)
    c0, c1 = split(a * b)
    d = K.beaver_mask(x0, a0) + K.beaver_mask(x1, a1)
    e = K.beaver_mask(y0, b0) + K.beaver_mask(y1, b1)
    z = K.beaver_mul_finish(0, d, e, a0, b0, c0) + K.beaver_mul_finish(1, d, e, a1, b1, c1)
    np.testing.assert_array_equal(z, x * y)


@pytest.mark.parametrize("m,k,n", [(4, 3, 2), (50, 20, 1), (33, 65, 17)], ids=lambda v: str(v))
def test_matrix_product_exact(m, k, n):
    x, y, a, b = rand(m, k), rand(k, n), rand(m, k), rand(k, n)
    x0, x1 = split(x)
    y0, y1 = split(y)
    a0, a1 = split(a)
    b0, b1 = split(b)
    c0, c1 = split(a @ b)
    d, e = x - a, y - b
    z = K.beaver_matmul_finish(0, d, e, a0, b0, c0) + K.beaver_matmul_finish(1, d, e, a1, b1, c1)
    np.testing.assert_array_equal(z, x @ y)


@pytest.mark.parametrize("k,m,n", [(50, 20, 1), (9, 4, 3)], ids=lambda v: str(v))
def test_transposed_matrix_product_exact(k, m, n):
    x, y, a, b = rand(k, m), rand(k, n), rand(k, m), rand(k, n)
    a0, a1 = split(a)
    b0, b1 = split(b)
    c0, c1 = split(a.T @ b)
    d, e = x - a, y - b
    z = K.beaver_matmul_tn_finish(0, d, e, a0, b0, c0) + K.beaver_matmul_tn_finish(1, d, e, a1, b1, c1)
    np.testing.assert_array_equal(z, x.T @ y)


def test_boolean_and_exact():
    x, y, a, b = rand(500), rand(500), rand(500), rand(500)
    r = rand(500)
    c0 = rand(500)
    c1 = (a & b) ^ c0
    a0, b0 = r, rand(500)
    a1, b1 = a ^ a0, b ^ b0
    x0 = rand(500)
    y0 = rand(500)
    x1, y1 = x ^ x0, y ^ y0
    d = (x0 ^ a0) ^ (x1 ^ a1)
    e = (y0 ^ b0) ^ (y1 ^ b1)
    z = K.beaver_and_finish(0, d, e, a0, b0, c0) ^ K.beaver_and_finish(1, d, e, a1, b1, c1)
    np.testing.assert_array_equal(z, x & y)


def test_argument_checks():
    z = np.zeros((2, 3), np.uint64)
    with pytest.raises(ParameterError, match="wrong shape"):
        K.matmul_u64(z, z)
    with pytest.raises(ParameterError, match="dtype"):
        K.matmul_u64(z.astype(np.int64), z.T.copy())
    with pytest.raises(ParameterError, match="party"):
        K.beaver_mul_finish(2, z, z, z, z, z)
    with pytest.raises(ParameterError, match="wrong shape"):
        K.beaver_mul_finish(0, z, z, z, z, np.zeros(6, np.uint64))
    with pytest.raises(ParameterError, match="C-contiguous"):
        K.beaver_mask(z.T, z.T)


@pytest.mark.parametrize("last", [False, True], ids=["inner_level", "last_level"])
def test_and_monomials_exact(last):
    """Multi-input Beaver ANDs of one 4-ary tree level against plain ANDs of the words."""
    from pyppml.mpc.triples import TREE4_VARS, tree4_monomials, tree4_subsets

    m = 300
    v = rand(TREE4_VARS, m)
    alpha = rand(TREE4_VARS, m)
    ids = tree4_subsets(last)
    alpha_s = np.empty((len(ids), m), dtype=np.uint64)
    for j, sub in enumerate(ids):
        acc = np.full(m, ~np.uint64(0), dtype=np.uint64)
        for i in range(TREE4_VARS):
            if sub >> i & 1:
                acc &= alpha[i]
        alpha_s[j] = acc
    s0 = rand(len(ids), m)
    s1 = alpha_s ^ s0
    deltas = v ^ alpha
    mons = np.array(tree4_monomials(last), dtype=np.uint64)
    idv = np.array(ids, dtype=np.uint64)
    z = K.beaver_and_monomials(0, deltas, idv, s0, mons) ^ K.beaver_and_monomials(1, deltas, idv, s1, mons)
    for j, mono in enumerate(tree4_monomials(last)):
        want = np.full(m, ~np.uint64(0), dtype=np.uint64)
        for i in range(TREE4_VARS):
            if mono >> i & 1:
                want &= v[i]
        np.testing.assert_array_equal(z[j], want)
    with pytest.raises(ParameterError, match="lacks a subset"):
        K.beaver_and_monomials(0, deltas, idv[1:], s0[1:], mons)


def test_pack_unpack_strided_round_trip():
    x = rand(1000)
    for lf in range(7):
        mask = np.uint64(sum(1 << p for p in range(0, 64, 1 << lf)))
        for shift in (0, 1, 5):
            w = K.pack_strided(x, lf, shift)
            assert w.size == -(-1000 // (1 << lf))
            np.testing.assert_array_equal(K.unpack_strided(w, 1000, lf), (x >> np.uint64(shift)) & mask)


def _mul_fixed_locally(x, y, f):
    """Both parties' mul_fixed (Beaver product with a local dealer, then SecureML
    truncation), opened: float64 like rt.decode(rt.open(rt.mul_fixed(x, y)))."""
    from pyppml.mpc import FixedPoint

    fp = FixedPoint(f)
    ex, ey = fp.encode(x), fp.encode(y)
    a, b = rand(ex.size), rand(ex.size)
    a0, a1 = split(a)
    b0, b1 = split(b)
    c0, c1 = split(a * b)
    d, e = ex - a, ey - b
    z0 = K.beaver_mul_finish(0, d, e, a0, b0, c0)
    z1 = K.beaver_mul_finish(1, d, e, a1, b1, c1)
    return fp.decode(FixedPoint.truncate(z0, 0, f) + FixedPoint.truncate(z1, 1, f))


def test_mul_fixed_safe_input_range_is_stated_in_terms_of_the_inputs():
    """Review 6, finding 7: encode accepts |x| < 2^46 at f = 16, but a product that encodes
    fine (70000 * 70000) opened as 6.05e8 with no error, and no docstring said which
    inputs are safe. The stated range |x y| < 2^(63 - 2f - s) for failure <= 2^-s holds
    (checked at s = 6 with a 1e-6 false-failure rate), products past 2^(63 - 2f) are
    always wrong, and FixedPoint, mul_fixed and matmul_fixed state the range."""
    from scipy import stats

    from pyppml.mpc import FixedPoint, SecureRuntime

    f, s, n = 16, 6, 100_000
    bound = FixedPoint(f).max_product(s)
    assert bound == 2.0 ** (63 - 2 * f - s)
    v = np.floor(np.sqrt(bound) * 2.0**f) / 2.0**f  # on the grid, |x y| just inside the bound
    got = _mul_fixed_locally(np.full(n, v), np.full(n, -v), f)
    bad = np.abs(got + v * v) > 2.0**-f  # truncation is within one ulp unless it fails
    assert np.count_nonzero(bad) <= stats.binom.isf(1e-6, n, 2.0**-s), np.count_nonzero(bad)
    # Past 2^(63 - 2f) = 2^31 at f = 16 the product wraps the ring: wrong every time.
    got = _mul_fixed_locally(np.full(1000, 70000.0), np.full(1000, 70000.0), f)
    assert np.all(np.abs(got - 4.9e9) > 1e8)
    for doc in (FixedPoint.__doc__, SecureRuntime.mul_fixed.__doc__, SecureRuntime.matmul_fixed.__doc__):
        assert doc and "2^(63 - 2f - s)" in doc, doc


def test_triples_docstring_names_the_prime_count_the_he_source_uses():
    """The HE source uses CRT_PRIMES (four) plaintext primes; triples.py said three."""
    from pyppml.mpc import he_triples, triples

    words = {3: "three", 4: "four", 5: "five"}
    assert f"CRT of {words[he_triples.CRT_PRIMES]} 59-bit" in triples.__doc__
    assert "three 59-bit" not in triples.__doc__ or he_triples.CRT_PRIMES == 3
