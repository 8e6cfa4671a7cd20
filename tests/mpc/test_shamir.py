"""Shamir t-of-n sharing over p = 2^61 - 1: reconstruction from every t-subset (and larger
ones), known Lagrange coefficients, errors, and a statistical test that t - 1 shares are
uniform whatever the secret (false-failure rate 1e-6 per test)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from pyppml import ParameterError, _core
from pyppml.mpc import SHAMIR_PRIME, FixedPoint, additive_share, shamir_reconstruct, shamir_share, shamir_share_at

P = SHAMIR_PRIME
ALPHA = 1e-6


def test_prime_is_mersenne_61():
    assert P == 2**61 - 1


@pytest.mark.parametrize("n,t", [(1, 1), (3, 1), (3, 2), (3, 3), (5, 3), (6, 4), (7, 7)], ids=lambda v: str(v))
def test_every_t_subset_reconstructs(n, t):
    secrets = np.array([0, 1, 2, 12345, P - 1, P // 2], dtype=np.uint64)
    shares = shamir_share(secrets, n, t)
    assert len(shares) == n and all(s.shape == secrets.shape and s.dtype == np.uint64 for s in shares)
    assert all(int(s.max()) < P for s in shares)
    for k in range(t, n + 1):
        for subset in itertools.combinations(range(1, n + 1), k):
            got = shamir_reconstruct({i: shares[i - 1] for i in subset})
            np.testing.assert_array_equal(got, secrets)


def test_fewer_than_t_shares_give_a_wrong_value():
    secrets = np.arange(1, 200, dtype=np.uint64)
    shares = shamir_share(secrets, 5, 3)
    got = shamir_reconstruct({1: shares[0], 4: shares[3]})
    assert np.mean(got == secrets) < 0.05


def test_multidimensional_and_python_ints():
    secrets = np.arange(24, dtype=np.uint64).reshape(2, 3, 4)
    shares = shamir_share(secrets, 4, 2)
    np.testing.assert_array_equal(shamir_reconstruct({2: shares[1], 4: shares[3]}), secrets)
    sh = shamir_share([5, P - 1], 3, 2)
    assert shamir_reconstruct({1: sh[0], 3: sh[2]}).tolist() == [5, P - 1]


def test_lagrange_known_answer():
    # points {1, 2}: lambda_1 = 2 / (2 - 1) = 2, lambda_2 = 1 / (1 - 2) = -1
    got = _core.mpc.lagrange_at_zero(np.array([1, 2], dtype=np.uint64))
    assert got.tolist() == [2, P - 1]
    # points {1, 2, 3}: 3, -3, 1
    got = _core.mpc.lagrange_at_zero(np.array([1, 2, 3], dtype=np.uint64))
    assert got.tolist() == [3, P - 3, 1]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, P - 1), min_size=1, max_size=20), st.integers(1, 8), st.data())
def test_round_trip_property(values, n, data):
    t = data.draw(st.integers(1, n))
    subset = data.draw(st.permutations(range(1, n + 1)))[: data.draw(st.integers(t, n))]
    shares = shamir_share(np.array(values, dtype=np.uint64), n, t)
    assert shamir_reconstruct({i: shares[i - 1] for i in subset}).tolist() == values


@pytest.mark.parametrize(
    "call,needle",
    [
        (lambda: shamir_share([P], 3, 2), "expected every value < 2305843009213693951"),
        (lambda: shamir_share([-1], 3, 2), "negative"),
        (lambda: shamir_share([1], 3, 4), "t is out of range"),
        (lambda: shamir_share([1], 3, 0), "t is out of range"),
        (lambda: shamir_share([1], 0, 1), "n is out of range"),
        (lambda: shamir_reconstruct({}), "empty"),
        (lambda: shamir_reconstruct({0: np.array([1], dtype=np.uint64)}), "out of range"),
        (lambda: shamir_reconstruct({1: np.array([P], dtype=np.uint64)}), "value out of range"),
        (lambda: shamir_reconstruct({1: np.zeros(2, np.uint64), 2: np.zeros(3, np.uint64)}), "mismatched shapes"),
        (lambda: _core.mpc.lagrange_at_zero(np.array([2, 2], dtype=np.uint64)), "repeated point"),
    ],
    ids=["secret_p", "negative", "t_gt_n", "t_zero", "n_zero", "empty", "index0", "share_p", "shapes", "repeat"],
)
def test_errors(call, needle):
    with pytest.raises(ParameterError, match=needle):
        call()


@pytest.mark.parametrize(
    "index,problem",
    [
        (1.9, "that is not an integer"),  # int() made it 1: a wrong secret and no error
        (2.0, "that is not an integer"),
        ("1", "that is not an integer"),  # int() accepted it
        (True, "that is not an integer"),
        (np.float64(3.0), "that is not an integer"),
        (2**64 + 1, "out of range"),  # OverflowError converting to uint64
        (P, "out of range"),
        (-1, "out of range"),
    ],
    ids=["float_1.9", "float_2.0", "str", "bool", "np_float", "2^64+1", "p", "negative"],
)
def test_reconstruct_refuses_indices_that_are_not_integers_in_range(index, problem):
    """Review 6, finding 6: indices went through int(), so {1.9: f(2), 3: f(3)} gave a wrong
    secret with no error, '1' was accepted and 2**64 + 1 raised OverflowError. Only
    integers (int or NumPy, not bool) in [1, p) are taken; the message names the argument."""
    shares = shamir_share(np.array([42], dtype=np.uint64), n=3, t=2)
    with pytest.raises(ParameterError) as info:
        shamir_reconstruct({index: shares[1], 3: shares[2]})
    msg = str(info.value)
    assert msg.startswith(f"shamir_reconstruct: indices has a point {problem}; expected integers 1 <= index < "), msg
    assert "\n" not in msg


def test_reconstruct_takes_numpy_integer_indices():
    shares = shamir_share(np.array([42], dtype=np.uint64), n=3, t=2)
    got = shamir_reconstruct({np.int64(2): shares[1], np.uint64(3): shares[2]})
    assert got.tolist() == [42]


@pytest.mark.parametrize(
    "call,secret",
    [
        (lambda: shamir_share([5, -123456789], 3, 2), "123456789"),
        (lambda: shamir_share([P + 987654321], 3, 2), str(P + 987654321)),
        (lambda: shamir_share(np.array([2**64 + 4242424242], dtype=object), 3, 2), str(2**64 + 4242424242)),
        (lambda: shamir_reconstruct({1: np.array([P + 55555555], dtype=np.uint64)}), str(P + 55555555)),
        (lambda: shamir_reconstruct([np.array([777777777], dtype=np.uint64)]), "777777777"),
        (lambda: additive_share(np.array([1, -987654321], dtype=np.int32), 2), "987654321"),
        (lambda: FixedPoint(16).encode([0.5, 1.2345678e30]), "123456"),
        (lambda: FixedPoint(16).encode([0.5, -3.1415926535e20]), "314159"),
    ],
    ids=["shamir_negative", "shamir_ge_p", "shamir_object", "reconstruct_share", "reconstruct_list", "additive",
         "fixed_huge", "fixed_negative"],
)
def test_errors_never_show_private_values(call, secret):
    """Issue 12 (mpc audit): bad secrets were quoted in the error message."""
    with pytest.raises(ParameterError) as info:
        call()
    message = str(info.value)
    assert secret not in message and "e+30" not in message, message
    assert "expected" in message and "got" in message  # still says what is wrong


def _chi2_uniform(values, buckets):
    """Chi-square p-value for values uniform in [0, p), bucketed by their top bits."""
    idx = (values.astype(np.float64) / P * buckets).astype(np.int64).clip(0, buckets - 1)
    counts = np.bincount(idx, minlength=buckets)
    return stats.chisquare(counts).pvalue


@pytest.mark.parametrize("secret", [0, 1, P - 1], ids=["s0", "s1", "s_pm1"])
def test_t_minus_1_shares_are_uniform(secret):
    """n = 5, t = 3: any two shares of a fixed secret are jointly uniform on Z_p^2. Test the
    marginal of each share and the joint distribution of shares 2 and 5 (8 x 8 buckets);
    each chi-square test rejects at 1e-6 (Bonferroni over the 6 tests)."""
    m = 60000
    shares = shamir_share(np.full(m, secret, dtype=np.uint64), 5, 3)
    pvals = [_chi2_uniform(shares[i], 64) for i in range(5)]
    joint = (shares[1].astype(np.float64) / P * 8).astype(np.int64) * 8 + (
        shares[4].astype(np.float64) / P * 8).astype(np.int64)
    pvals.append(stats.chisquare(np.bincount(joint, minlength=64)).pvalue)
    assert min(pvals) > ALPHA / len(pvals), pvals


def test_t_minus_1_shares_do_not_depend_on_the_secret():
    """Two-sample test: share 1 of secret 0 vs share 1 of secret p - 1 (t = 2), 64 buckets."""
    m = 60000
    a = shamir_share(np.zeros(m, dtype=np.uint64), 3, 2)[0]
    b = shamir_share(np.full(m, P - 1, dtype=np.uint64), 3, 2)[0]
    ca = np.bincount((a.astype(np.float64) / P * 64).astype(np.int64), minlength=64)
    cb = np.bincount((b.astype(np.float64) / P * 64).astype(np.int64), minlength=64)
    p = stats.chi2_contingency(np.vstack([ca, cb]))[1]
    assert p > ALPHA


# -- shares at chosen points (SecAgg+ shares with a client's neighbours at their global ids) --

@pytest.mark.parametrize("points,t", [([1], 1), ([5000, 2, 70001], 2), ([9, 4097, 123456, P - 1], 3),
                                      (list(range(3, 4096 * 3, 3)), 40)], ids=["one", "t2", "t3_far", "4095pts"])
def test_share_at_points_reconstructs_from_any_t(points, t):
    secrets = np.array([0, 1, 12345, P - 1], dtype=np.uint64)
    shares = shamir_share_at(secrets, points, t)
    assert sorted(shares) == sorted(points) and all(int(s.max()) < P for s in shares.values())
    rng = np.random.default_rng(len(points))
    for _ in range(5):
        pick = rng.choice(len(points), size=t, replace=False)
        got = shamir_reconstruct({points[i]: shares[points[i]] for i in pick})
        np.testing.assert_array_equal(got, secrets)
    if t > 1:  # t - 1 shares: a wrong value (but for chance 1/p per secret)
        sub = {points[i]: shares[points[i]] for i in range(t - 1)}
        assert not np.array_equal(shamir_reconstruct(sub), secrets)


def test_share_at_points_lie_on_one_polynomial_of_degree_t_minus_1():
    """Any t shares determine the others: f(400) interpolated (Python integers) from the
    shares at 3, 10 and 11 is the share at 400."""
    shares = shamir_share_at(np.arange(50, dtype=np.uint64), [3, 10, 11, 400], 3)
    xs = [3, 10, 11]
    # Interpolate f(400) with Python integers from the first three shares.
    pred = np.zeros(50, dtype=object)
    for i, xi in enumerate(xs):
        num, den = 1, 1
        for m, xm in enumerate(xs):
            if m != i:
                num, den = num * (400 - xm) % P, den * (xi - xm) % P
        pred = (pred + shares[xi].astype(object) * (num * pow(den, -1, P) % P)) % P
    assert pred.tolist() == shares[400].tolist()


@pytest.mark.parametrize("secret", [0, P - 1], ids=["s0", "s_pm1"])
def test_share_at_points_t_minus_1_are_uniform(secret):
    """t = 3 at points {7, 5000, 123456}: shares at two of them are jointly uniform (8 x 8
    buckets) and each marginal too; rejects at 1e-6 with Bonferroni over the 4 tests."""
    m = 60000
    shares = shamir_share_at(np.full(m, secret, dtype=np.uint64), [7, 5000, 123456], 3)
    a, b = shares[5000], shares[123456]
    pvals = [_chi2_uniform(shares[x], 64) for x in (7, 5000, 123456)]
    joint = (a.astype(np.float64) / P * 8).astype(np.int64) * 8 + (b.astype(np.float64) / P * 8).astype(np.int64)
    pvals.append(stats.chisquare(np.bincount(joint, minlength=64)).pvalue)
    assert min(pvals) > ALPHA / len(pvals), pvals


@pytest.mark.parametrize(
    "call,needle",
    [
        (lambda: shamir_share_at([1], [0, 2], 1), "points has a point out of range; expected 1 <= point < p"),
        (lambda: shamir_share_at([1], [2, P], 1), "points has a value out of range"),
        (lambda: shamir_share_at([1], [2, 5, 2], 2), "points has a repeated point; expected distinct points"),
        (lambda: shamir_share_at([1], [2, 5], 3), "t is out of range; expected 1 <= t <= len\\(points\\) = 2"),
        (lambda: shamir_share_at([1], [2, 5], 0), "t is out of range"),
        (lambda: shamir_share_at([1], [], 1), "points has a count out of range"),
        (lambda: shamir_share_at([1], list(range(1, 4098)), 2), "expected 1 <= count <= 4096, got 4097"),
        (lambda: shamir_share_at([P], [1, 2], 1), "secrets has a value out of range"),
        (lambda: shamir_share_at([1], [[1, 2]], 1), "points is not one-dimensional"),
    ],
    ids=["zero", "p", "repeat", "t_gt_k", "t0", "empty", "too_many", "secret_p", "2d"],
)
def test_share_at_errors(call, needle):
    with pytest.raises(ParameterError, match=needle) as info:
        call()
    assert "\n" not in str(info.value)
