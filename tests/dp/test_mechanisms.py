"""Grid mechanisms: outputs on the documented grid, the noise scale they promise, and no
dependence on the input beyond its grid point; clipping."""

import math

import numpy as np
import pytest

from pyppml import _core, dp
from pyppml.dp.mechanisms import default_granularity

from dp_stats import Z_TWO_SIDED

SEED = bytes(range(32))


def on_grid(y, step):
    scaled = np.asarray(y) / step
    return np.array_equal(scaled, np.rint(scaled))


@pytest.mark.parametrize("step", [2.0**-10, 2.0**-3, 1.0, 4.0])
def test_laplace_output_on_grid(step):
    x = np.random.default_rng(1).normal(size=1000) * 100
    y = dp.laplace_mechanism(x, 1.0, 0.5, granularity=step)
    assert y.shape == x.shape and on_grid(y, step)


def test_gaussian_output_on_default_grid():
    x = np.linspace(-3, 3, 257).reshape(257, 1)
    y = dp.gaussian_mechanism(x, 1.0, 1.0, 1e-5)
    assert y.shape == x.shape
    assert on_grid(y, default_granularity(1.0, x.size, "l2"))


def test_inputs_on_same_grid_point_give_identical_outputs():
    # Same seed, inputs differing below half a step: bit-identical outputs, so the output
    # carries nothing of the input but its grid point.
    step = 2.0**-8
    x = np.array([25.0, 435.0, -819.0]) * step
    y1 = dp.gaussian_mechanism(x + 0.2 * step, 1.0, 1.0, 1e-6, granularity=step, prng=_core.Prng(SEED))
    y2 = dp.gaussian_mechanism(x - 0.3 * step, 1.0, 1.0, 1e-6, granularity=step, prng=_core.Prng(SEED))
    assert np.array_equal(y1, y2)


def test_laplace_noise_scale():
    n, step = 100_000, 2.0**-10
    y = dp.laplace_mechanism(np.zeros(n), 1.0, 1.0, granularity=step)
    # Grid sensitivity floor(1/step) + n, scale in value units = that * step / eps.
    scale = (math.floor(1 / step) + n) * step
    var = 2 * scale**2  # discrete Laplace ~ continuous at this resolution
    assert abs(y.var() / var - 1) < Z_TWO_SIDED * math.sqrt(5 / n) + 1e-3


def test_gaussian_noise_matches_analytic_calibration():
    n = 50_000
    step = default_granularity(1.0, n, "l2")
    y = dp.gaussian_mechanism(np.zeros(n), 1.0, 1.0, 1e-5)
    sigma = dp.analytic_gaussian_sigma(1.0, 1e-5, 1.0 / step + math.isqrt(n - 1) + 1) * step
    assert abs(y.std() / sigma - 1) < Z_TWO_SIDED * math.sqrt(0.5 / n)


def test_analytic_gaussian_published_values():
    # Balle & Wang 2018: eps = 1, delta = 1e-5, sensitivity 1 -> sigma ~ 3.73 (classical
    # bound sqrt(2 ln(1.25/delta)) = 4.84).
    assert dp.analytic_gaussian_sigma(1.0, 1e-5) == pytest.approx(3.7306, abs=1e-3)
    s = dp.analytic_gaussian_sigma(0.5, 1e-6, 2.0)
    from pyppml.dp.calibration import gaussian_delta

    assert gaussian_delta(s, 0.5, 2.0) <= 1e-6 < gaussian_delta(s * (1 - 1e-9), 0.5, 2.0)


def test_clip_l2_bounds_norms_and_keeps_small_rows():
    g = np.random.default_rng(0).normal(size=(64, 3, 5)) * np.linspace(0.01, 10, 64)[:, None, None]
    c = dp.clip_l2(g, 1.5)
    norms = np.linalg.norm(c.reshape(64, -1), axis=1)
    assert np.all(norms <= 1.5)
    small = np.linalg.norm(g.reshape(64, -1), axis=1) <= 1.5
    assert np.array_equal(c[small], g[small])
    total, sens = dp.clipped_sum(g, 1.5)
    assert sens == 1.5 and total.shape == (3, 5)


def discrete_gaussian_delta(sigma, eps, shift):
    """Exact delta(eps) of N_Z(0, sigma^2) against N_Z(shift, sigma^2), integer shift."""
    r = int(40 * sigma) + shift
    k = np.arange(-r, r + 1, dtype=np.float64)
    logw = -(k**2) / (2 * sigma**2)
    logz = np.log(np.exp(logw - logw.max()).sum()) + logw.max()
    p = np.exp(logw - logz)
    q = np.exp(-((k - shift) ** 2) / (2 * sigma**2) - logz)
    return float(np.maximum(p - np.exp(eps) * q, 0).sum())


@pytest.mark.parametrize("eps,delta,step_exp", [(1.0, 1e-5, -6), (0.5, 1e-6, -5), (2.0, 1e-5, -7)])
def test_scalar_gaussian_mechanism_meets_delta_exactly(eps, delta, step_exp):
    # One coordinate, sensitivity 1: the rounded query moves by at most 2^-step_exp + 1
    # steps; the discrete Gaussian actually used must meet delta at that shift.
    step = 2.0**step_exp
    shift = int(1 / step) + 1
    sigma = dp.analytic_gaussian_sigma(eps, delta * (1 - 1e-3), shift)
    assert discrete_gaussian_delta(sigma, eps, shift) <= delta
