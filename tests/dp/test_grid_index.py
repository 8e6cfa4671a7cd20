"""The mechanisms round private values to their grid exactly, whatever the input type.

Review 2026-12-08: int64 inputs were converted to float64 before rounding. Above 2^53
that moves a value by up to a quarter step, which the sensitivity allowance does not
count: two answers 778 apart (granularity 1024, values near 2^60, nanosecond timestamps)
landed 2 grid indices apart where 1 was charged, a release at twice its epsilon. Each
test compares ``grid_index`` with exact rational rounding; the end-to-end test shows the
charged sensitivity covering the index shift of the reviewer's pair.
"""

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from pyppml import dp
from pyppml.dp._checks import private_values
from pyppml.dp.grid_index import grid_index


def exact_index(v, step, lo, hi):
    """round(clamp(v) / step), ties to even, in rational arithmetic; NaN -> nearest 0."""
    if isinstance(v, float) and math.isnan(v):
        v = min(max(0.0, lo), hi)
    if isinstance(v, float) and math.isinf(v):
        v = hi if v > 0 else lo
    v = min(max(Fraction(v), Fraction(lo)), Fraction(hi))
    return round(v / Fraction(step))


def check(values, step, lo, hi, cells):
    x, _ = private_values("t", values)
    got = grid_index(values, x, step, lo, hi)
    want = [exact_index(c, step, lo, hi) for c in cells]
    assert got.dtype == np.int64 and got.shape == x.shape
    assert got.reshape(-1).tolist() == want


@pytest.mark.parametrize("k", [2, 3, 10, 20, 61, 62, 63])
def test_int64_near_the_top_of_the_range_rounds_exactly(k):
    step = 2.0**k
    limit = min(step * 2.0**51, 2.0**63)
    rng = np.random.default_rng(k)
    top = 2**62
    v = np.concatenate([rng.integers(-top, top, 2000), np.array([top - 1, -top, 2**63 - 1, -(2**63)]),
                        (rng.integers(-2**40, 2**40, 200) << k) + (1 << (k - 1))]).astype(np.int64)  # ties
    check(v, step, -limit, limit, [int(a) for a in v])
    check(v, step, -3.0 * step + 2.5, 7.0 * step - 1.5, [int(a) for a in v])  # bounds off the grid


def test_uint64_above_2_to_the_63_rounds_exactly():
    v = np.array([2**64 - 1, 2**63 + 12345, 2**62 + 3, 0, 5], dtype=np.uint64)
    for step, hi in [(2.0**10, 2.0**61), (2.0**12, 2.0**63), (2.0**2, 100.0)]:
        check(v, step, -hi, hi, [int(a) for a in v])


def test_small_steps_of_integers_use_the_exact_float_image():
    v = np.array([2**60 + 1, -(2**60) - 1, 2**53 + 1, 7, -3], dtype=np.int64)
    for step in (2.0**-5, 0.5, 1.0, 2.0):
        lim = step * 2.0**51
        check(v, step, -lim, lim, [int(a) for a in v])


def test_long_double_rounds_in_its_own_precision():
    if np.finfo(np.longdouble).nmant <= 52:
        pytest.skip("long double is float64 on this platform")
    base = np.longdouble(2**60)
    v = np.array([base + np.longdouble(635), base + np.longdouble(1413), base + np.longdouble(512)],
                 dtype=np.longdouble)
    step = 2.0**10
    cells = [2**60 + 635, 2**60 + 1413, 2**60 + 512]
    check(v, step, -step * 2.0**51, step * 2.0**51, cells)


def test_list_entries_round_exactly():
    cells = [2**60 + 635, Fraction(2**61 + 3, 3), Decimal("1152921504606847611.5"), 0.1, float("nan"), -5, True]
    check(cells, 2.0**10, -(2.0**61), 2.0**61, cells)


def test_float64_paths_are_unchanged():
    rng = np.random.default_rng(1)
    x = rng.normal(size=500) * 1e6
    x[:3] = [np.nan, np.inf, -np.inf]
    for step in (2.0**-10, 1.0, 2.0**8):
        lim = step * 2.0**51
        check(x, step, -lim, lim, [float(a) for a in x])


def test_reviewers_pair_is_charged_for_its_index_shift():
    """Two int64 answers 778 apart near 2^60, granularity 1024, sensitivity 778: the
    charged grid sensitivity (floor(778/1024) + 1 = 1) covers the shift of the indices
    the mechanism noises (it was 2). At epsilon 60 the discrete Laplace noise (scale
    1/60) is 0 with probability 1 - 2e-26, so each release is its index."""
    step, n = 2**10, 2**50 + 1234 * 2
    a = np.array([n * step + 635], dtype=np.int64)
    b = np.array([n * step + 1413], dtype=np.int64)
    acc = dp.PrivacyAccountant("rdp")
    with pytest.warns(dp.GranularityWarning):
        ra = dp.laplace_mechanism(a, int(b[0] - a[0]), 60.0, granularity=step, accountant=acc)
        rb = dp.laplace_mechanism(b, int(b[0] - a[0]), 60.0, granularity=step)
    shift = abs(int(rb[0]) - int(ra[0])) // step
    assert (int(ra[0]), int(rb[0])) == (n * step + step, n * step + step)  # both round to index n + 1
    assert shift <= acc.charges[-1].sensitivity
