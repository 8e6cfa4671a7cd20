"""clip_l2 / clipped_sum against a reference written for clarity (math.hypot on rows
scaled by a power of two, so no overflow or underflow): 1-D input is one vector, huge
and tiny finite rows keep their direction, empty inputs keep their shape."""

import math

import numpy as np
import pytest

from pyppml import dp


def reference_clip(g, c):
    """Row by row: scale by 2**-e (exact) so that math.hypot works in range, then
    row * min(1, c / norm) with row / norm = scaled / hypot(scaled)."""
    g = np.asarray(g, dtype=np.float64)
    rows = g.reshape(1, -1) if g.ndim == 1 else g.reshape(len(g), -1)
    out = rows.copy()
    for i, row in enumerate(rows):
        peak = float(np.max(np.abs(row))) if row.size else 0.0
        if peak == 0.0:
            continue
        e = math.frexp(peak)[1]
        scaled = [math.ldexp(float(v), -e) for v in row]
        h = math.hypot(*scaled)  # the row's norm is h * 2**e
        if h > math.ldexp(c, -e):
            out[i] = np.array(scaled) * (c / h)
    return out.reshape(g.shape)


def norms(a):
    a = np.asarray(a)
    rows = a.reshape(1, -1) if a.ndim == 1 else a.reshape(len(a), -1)
    return np.array([math.hypot(*(math.ldexp(float(v), 600) for v in r)) * 2.0**-600
                     if np.max(np.abs(r)) < 2.0**-500 else math.hypot(*r) for r in rows])


CASES = {
    "random_3d": (np.random.default_rng(0).normal(size=(64, 3, 5)) * np.linspace(0.01, 10, 64)[:, None, None], 1.5),
    "huge_rows": (np.array([[1e200, 1e200, 0.0], [1e308, -1e308, 1e308], [1.7e308, 3.0, -4.0],
                            [3e-300, 4e-300, 0.0], [3.0, 4.0, 0.0]]), 1.0),
    "tiny_rows_tiny_bound": (np.array([[3e-300, 4e-300], [3e-310, 4e-310], [1e-320, 0.0], [0.0, 0.0]]), 1e-300),
    "huge_bound": (np.array([[1e300, 1e300], [1e307, 1e307], [1.0, 2.0]]), 1e300),
    "one_vector": (np.array([3.0, 4.0, 12.0]), 2.0),
    "one_huge_vector": (np.array([1e300] * 9 + [-1e300]), 5.0),
}


@pytest.mark.parametrize("case", CASES)
def test_clip_l2_matches_reference(case):
    g, c = CASES[case]
    got = dp.clip_l2(g, c)
    want = reference_clip(g, c)
    assert got.shape == g.shape
    np.testing.assert_allclose(got, want, rtol=4e-15, atol=0)
    # Every example inside the ball (by the reference's norm, to rounding), untouched if it was.
    n_got, n_in = norms(got), norms(g)
    assert np.all(n_got <= c * (1 + 4e-16))
    inside = n_in <= c
    flat_got, flat_in = got.reshape(len(n_in), -1), g.reshape(len(n_in), -1)
    assert np.array_equal(flat_got[inside], flat_in[inside])
    # Clipped examples keep their direction and land on the sphere, not at 0.
    assert np.all(n_got[~inside] >= c * (1 - 1e-14))


def test_one_dimensional_input_is_one_vector():
    # Not per coordinate: [3, 4] has norm 5, clipped to norm 1 as a whole.
    np.testing.assert_allclose(dp.clip_l2([3.0, 4.0], 1.0), [0.6, 0.8], rtol=1e-15)
    total, sens = dp.clipped_sum([3.0, 4.0], 1.0)
    np.testing.assert_allclose(total, [0.6, 0.8], rtol=1e-15)
    assert sens == 1.0


@pytest.mark.parametrize("shape", [(0, 4), (0, 3, 2), (0,), (5, 0)])
def test_empty_inputs_keep_their_shape(shape):
    out = dp.clip_l2(np.zeros(shape), 1.0)
    assert out.shape == shape and out.dtype == np.float64


def test_clipped_sum_of_no_examples_is_zero():
    total, sens = dp.clipped_sum(np.zeros((0, 3, 2)), 1.5)
    assert total.shape == (3, 2) and not total.any() and sens == 1.5


def test_clipped_sum_bounds_norms_and_keeps_small_rows():
    g = CASES["random_3d"][0]
    total, sens = dp.clipped_sum(g, 1.5)
    assert sens == 1.5 and total.shape == (3, 5)
    np.testing.assert_allclose(total, reference_clip(g, 1.5).sum(axis=0), rtol=1e-12)
