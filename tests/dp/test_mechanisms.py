"""Grid mechanisms: outputs on the documented grid; the noise variance each docstring
documents, computed here independently (Balle & Wang's formula through SciPy, the
discrete Laplace's closed-form moments), at several epsilon, delta, sensitivities and
grids, with the power to catch a 3% error in the noise scale or a noise that ignores
epsilon; no dependence on the input beyond its clamped grid point; and errors that never
depend on, or quote, a private value."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from pyppml import ParameterError, _core, dp
from pyppml.dp import default_granularity

from dp_stats import (
    assert_second_moment,
    discrete_laplace_moments,
    gaussian_moments,
    samples_for_scale_error,
)

SEED = bytes(range(32))
# One call releases N coordinates, i.e. N independent noise draws. The variance tests
# need N >= samples_for_scale_error(...) (about 53,000 for Gaussian noise, 133,000 for
# Laplace noise: sd(X^2) = sqrt(2) m2 resp. sqrt(5) m2, a 3% scale error moves m2 by
# about 6%, and (4.89 + 4.75 * 1.06) * sqrt(5 / N) <= 0.061 needs N >= 133,000); each test
# asserts it, so a smaller N fails instead of silently losing power.
N = 200_000


def on_grid(y, step):
    scaled = np.asarray(y) / step
    return np.array_equal(scaled, np.rint(scaled))


def balle_wang_sigma(epsilon, delta, sensitivity):
    """Independent oracle for the documented calibration: the sigma solving Balle & Wang
    (2018), Thm. 8, Phi(D/(2s) - eps s/D) - e^eps Phi(-D/(2s) - eps s/D) = delta."""

    def excess(s):
        a, b = sensitivity / (2 * s), epsilon * s / sensitivity
        return math.exp(norm.logcdf(a - b)) - math.exp(epsilon + norm.logcdf(-a - b)) - delta

    return brentq(excess, sensitivity * 1e-3, sensitivity * 1e4, xtol=1e-300, rtol=1e-14)


def test_oracle_reproduces_published_sigma():
    # Balle & Wang 2018: eps = 1, delta = 1e-5, sensitivity 1 -> sigma ~ 3.73 (the
    # classical bound sqrt(2 ln(1.25/delta)) = 4.84); the oracle scales linearly in D.
    assert balle_wang_sigma(1.0, 1e-5, 1.0) == pytest.approx(3.7306, abs=1e-4)
    assert balle_wang_sigma(1.0, 1e-5, 7.0) == pytest.approx(7 * balle_wang_sigma(1.0, 1e-5, 1.0), rel=1e-10)


def private_inputs(lo, hi):
    """N coordinates, most inside [lo, hi], some outside (clamped by the mechanism)."""
    x = np.random.default_rng(7).uniform(lo - 1.0, hi + 1.0, size=N)
    return x, np.clip(x, lo, hi)


# (epsilon, sensitivity, granularity): several epsilons at the same sensitivity (noise
# that ignored epsilon fails), other sensitivities, a fine explicit grid and a coarse one
# where the rounding term d dominates the grid sensitivity.
LAPLACE_CASES = {
    "eps1_sens1": (1.0, 1.0, None),
    "eps0.25_sens1": (0.25, 1.0, None),
    "eps3_sens2": (3.0, 2.0, None),
    "eps1_sens0.5_step2-4": (1.0, 0.5, 2.0**-4),
}


@pytest.mark.parametrize("case", LAPLACE_CASES)
def test_laplace_noise_variance_matches_documented_scale(case):
    eps, sens, gran = LAPLACE_CASES[case]
    x, clamped = private_inputs(-3.0, 3.0)
    y = dp.laplace_mechanism(x, sens, eps, bounds=(-3.0, 3.0), granularity=gran)
    step = gran if gran is not None else 2.0 ** math.floor(math.log2(sens / (N * 1024)))
    assert on_grid(y, step)
    # Docstring: P(k) ∝ exp(-|k|/b), b = (floor(sensitivity/step) + d) / epsilon.
    b = (math.floor(sens / step) + N) / eps
    assert N >= samples_for_scale_error(discrete_laplace_moments, b)
    assert_second_moment(y / step - np.rint(clamped / step), *discrete_laplace_moments(b), case)


# (epsilon, delta, l2_sensitivity, granularity)
GAUSSIAN_CASES = {
    "eps1_delta1e-5_sens1": (1.0, 1e-5, 1.0, None),
    "eps2_delta1e-5_sens1": (2.0, 1e-5, 1.0, None),
    "eps0.5_delta1e-6_sens1": (0.5, 1e-6, 1.0, None),
    "eps1_delta1e-9_sens4_step2-16": (1.0, 1e-9, 4.0, 2.0**-16),
    "eps8_delta1e-3_sens0.25": (8.0, 1e-3, 0.25, None),
}


@pytest.mark.parametrize("case", GAUSSIAN_CASES)
def test_gaussian_noise_variance_matches_documented_calibration(case):
    eps, delta, sens, gran = GAUSSIAN_CASES[case]
    x, clamped = private_inputs(-2.0, 5.0)
    y = dp.gaussian_mechanism(x, sens, eps, delta, bounds=(-2.0, 5.0), granularity=gran)
    step = gran if gran is not None else 2.0 ** math.floor(math.log2(sens / (math.sqrt(N) * 1024)))
    assert on_grid(y, step)
    # Docstring: Balle-Wang sigma at delta (1 - 1e-3) for D' = D/step + ceil(sqrt(d)).
    sigma = balle_wang_sigma(eps, delta * (1 - 1e-3), sens / step + math.ceil(math.sqrt(N)))
    assert N >= samples_for_scale_error(gaussian_moments, sigma)
    assert_second_moment(y / step - np.rint(clamped / step), *gaussian_moments(sigma), case)


# (noise_multiplier, l2_sensitivity, granularity)
GRID_GAUSSIAN_CASES = {
    "mult1.1_sens1": (1.1, 1.0, None),
    "mult0.5_sens1": (0.5, 1.0, None),
    "mult2_sens3_step2-12": (2.0, 3.0, 2.0**-12),
    "mult0.3_sens0.01": (0.3, 0.01, None),
    "mult1_sens1_step2-6": (1.0, 1.0, 2.0**-6),  # the rounding term ceil(sqrt(d)) dominates
}


@pytest.mark.parametrize("case", GRID_GAUSSIAN_CASES)
def test_grid_gaussian_noise_variance_counts_the_rounding(case):
    mult, sens, gran = GRID_GAUSSIAN_CASES[case]
    x, clamped = private_inputs(-1.0, 1.0)
    y = dp.grid_gaussian_mechanism(x, sens, mult, bounds=(-1.0, 1.0), granularity=gran)
    step = gran if gran is not None else 2.0 ** math.floor(math.log2(sens / (math.sqrt(N) * 1024)))
    assert on_grid(y, step)
    # Docstring: sd = noise_multiplier * (l2_sensitivity + step * ceil(sqrt(d))), in steps:
    sigma = mult * (sens / step + math.ceil(math.sqrt(N)))
    assert N >= samples_for_scale_error(gaussian_moments, sigma)
    assert_second_moment(y / step - np.rint(clamped / step), *gaussian_moments(sigma), case)


def test_grid_gaussian_distributed_sum_has_central_variance():
    # Four parties, each with noise_multiplier / 2 on the shared default grid: the sum's
    # noise has the central call's variance and stays on the grid.
    mult, sens, parties = 1.0, 1.0, 4
    x = np.random.default_rng(3).normal(size=(parties, N)) * 0.01
    total = sum(dp.grid_gaussian_mechanism(x[i], sens, mult / math.sqrt(parties)) for i in range(parties))
    step = default_granularity(sens, N, "l2")
    assert on_grid(total, step)
    sigma = mult * (sens / step + math.ceil(math.sqrt(N)))
    noise = total / step - np.rint(x / step).sum(axis=0)
    assert_second_moment(noise, *gaussian_moments(sigma), "sum of 4 parties")


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


MECHANISMS = {
    "laplace": lambda v, **kw: dp.laplace_mechanism(v, 1.0, kw.pop("epsilon", 1.0), **kw),
    "gaussian": lambda v, **kw: dp.gaussian_mechanism(v, 1.0, kw.pop("epsilon", 1.0), 1e-6, **kw),
    "grid_gaussian": lambda v, **kw: dp.grid_gaussian_mechanism(v, 1.0, kw.pop("epsilon", 1.0), **kw),
}


@pytest.mark.parametrize("name", MECHANISMS)
def test_inputs_on_same_grid_point_give_identical_outputs(name):
    # Same seed, inputs differing below half a step: bit-identical outputs, so the output
    # carries nothing of the input but its grid point.
    step = 2.0**-8
    x = np.array([25.0, 435.0, -819.0]) * step
    y1 = MECHANISMS[name](x + 0.2 * step, granularity=step, prng=_core.Prng(SEED))
    y2 = MECHANISMS[name](x - 0.3 * step, granularity=step, prng=_core.Prng(SEED))
    assert np.array_equal(y1, y2)


# Private values a row may hold: ordinary, huge, tiny, non-finite.
PRIVATE = [0.75, -3.5, 1e300, -1e300, 2.0**60, 5e-324, math.inf, -math.inf, math.nan,
           10**400, -10**400, "patient-4711", "3.5", None]
# Distinctive spellings of the finite private values; none may appear in a message.
SPELLINGS = ["0.75", "3.5", "1e+300", "1e300", "1152921504606846976", "1.15292e+18", "5e-324", "4.94066e-324",
             "4711", "10000000000"]
PUBLIC = {
    "valid_default_bounds": {},
    "valid_bounds": {"bounds": (-1.0, 1.0)},
    "bad_epsilon": {"epsilon": 0.0},
    "bad_granularity": {"granularity": 0.3},
    "bad_bounds_order": {"bounds": (1.0, -1.0)},
    "bad_bounds_beyond_grid": {"bounds": (0.0, 2.0**80), "granularity": 2.0**-10},
    "bad_bounds_nan": {"bounds": (math.nan, 1.0)},
}


def outcome(call):
    try:
        y = call()
    except Exception as err:  # the type and the message are the behaviour under test
        return type(err), str(err)
    return "ok", y.shape


@pytest.mark.parametrize("public", PUBLIC)
@pytest.mark.parametrize("name", MECHANISMS)
def test_error_behaviour_never_depends_on_a_private_value(name, public):
    # Inputs that differ only in one private coordinate: the same outcome (success with
    # the same shape, or the same exception with the same message) for every value.
    seen = {outcome(lambda: MECHANISMS[name]([0.5, v, -2.0], **dict(PUBLIC[public]))) for v in PRIVATE}
    assert len(seen) == 1, seen
    (kind, detail), = seen
    assert (kind == "ok") == public.startswith("valid"), detail
    if kind != "ok":
        assert issubclass(kind, ParameterError) and "\n" not in detail
        assert not any(s in detail for s in SPELLINGS), detail


@pytest.mark.parametrize("name", MECHANISMS)
def test_entries_that_are_not_floats_are_released_like_nan_or_infinity(name):
    """Review: an int past the float range raised OverflowError and a non-numeric entry a
    ParameterError, where the neighbour without it was released: the exception told them
    apart. Such entries now count as +-inf (clamped) and NaN (the point nearest 0); only
    the container's type, which is public, can be refused."""
    run = lambda v: MECHANISMS[name](v, bounds=(-1.0, 2.0), prng=_core.Prng(SEED))  # noqa: E731
    assert np.array_equal(run([0.5, 10**400, -10**400]), run([0.5, math.inf, -math.inf]))
    assert np.array_equal(run([0.5, "patient-4711", None]), run([0.5, math.nan, math.nan]))
    with pytest.raises(ParameterError, match=r"values are not an array of numbers; .* got 'str'"):
        MECHANISMS[name]("patient-4711")


@pytest.mark.parametrize("name", MECHANISMS)
def test_integer_path_is_the_schema_never_the_values(name):
    """Review: for a list, integer-ness was inferred from the values (NumPy's dtype), so one
    fractional record changed the rounding term, the noise scale and the accountant's
    charge. A list now takes the float path whatever it holds; an integer ndarray (the
    caller's schema) the integer path."""
    charged = []
    for values in ([23, 35, 41], [23, 35.5, 41], np.array([23.0, 35.0, 41.0])):
        acc = dp.PrivacyAccountant("rdp")
        MECHANISMS[name](values, bounds=(0.0, 100.0), accountant=acc)
        charged.append(repr(acc.charges))
    assert len(set(charged)) == 1, charged
    acc = dp.PrivacyAccountant("rdp")
    MECHANISMS[name](np.array([23, 35, 41]), bounds=(0.0, 100.0), accountant=acc)
    assert repr(acc.charges) != charged[0]  # the power half: the schema does select the integer path


@pytest.mark.parametrize("name", MECHANISMS)
def test_values_are_clamped_to_public_bounds(name):
    # Same seed: a value beyond the bounds is released exactly as the bound, NaN as the
    # point of the bounds nearest 0; the default bounds are the grid's exact range.
    step = 2.0**-10
    run = lambda v, **kw: MECHANISMS[name](v, granularity=step, prng=_core.Prng(SEED), **kw)  # noqa: E731
    box = {"bounds": (-1.0, 2.0)}
    assert np.array_equal(run([1e300, -math.inf, 7.0], **box), run([2.0, -1.0, 2.0], **box))
    assert np.array_equal(run([math.nan], **box), run([0.0], **box))
    assert np.array_equal(run([math.nan], bounds=(0.5, 2.0)), run([0.5], bounds=(0.5, 2.0)))
    edge = 2.0**51 * step
    assert np.array_equal(run([1e300, -1e300]), run([edge, -edge]))


def test_analytic_gaussian_published_values():
    # Balle & Wang 2018: eps = 1, delta = 1e-5, sensitivity 1 -> sigma ~ 3.73.
    assert dp.analytic_gaussian_sigma(1.0, 1e-5) == pytest.approx(3.7306, abs=1e-3)
    s = dp.analytic_gaussian_sigma(0.5, 1e-6, 2.0)
    assert s == pytest.approx(balle_wang_sigma(0.5, 1e-6, 2.0), rel=1e-9)
    from pyppml.dp.calibration import gaussian_delta

    assert gaussian_delta(s, 0.5, 2.0) <= 1e-6 < gaussian_delta(s * (1 - 1e-9), 0.5, 2.0)


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


# Issue 18: granularity 1 on a 10-bin integer histogram gave std 15.5 instead of ~1.4, as
# the rounding of the 10 coordinates entered the sensitivity. Integer-dtype values on a
# grid dividing 1 are not moved by rounding: the noise is the textbook one.
@pytest.mark.parametrize("gran", [1.0, 2.0**-3])
def test_integer_values_get_textbook_laplace_noise(gran):
    eps = 1.0
    b = 1.0 / (eps * gran)  # sensitivity 1 = 1/gran steps, no "+ d" rounding term
    assert N >= samples_for_scale_error(discrete_laplace_moments, b)
    x = np.random.default_rng(5).integers(0, 50, size=N)
    y = dp.laplace_mechanism(x, 1.0, eps, granularity=gran, bounds=(0, 100))
    assert on_grid(y, gran)
    # Catches a scale 3% off and, a fortiori, the inflated scale (1 + N) / eps.
    assert_second_moment(y / gran - x / gran, *discrete_laplace_moments(b), f"integer data, step {gran}")


def test_integer_values_get_textbook_gaussian_noise():
    x = np.random.default_rng(6).integers(-5, 5, size=N)
    y = dp.grid_gaussian_mechanism(x, 1.0, 2.0, granularity=1.0, bounds=(-10, 10))
    sigma = 2.0  # noise_multiplier * l2_sensitivity: no ceil(sqrt(d)) term
    # E[X^2] of N_Z(0, 4) is within 1e-30 relative of 4 (Poisson summation at sigma 2).
    assert N >= samples_for_scale_error(gaussian_moments, sigma)
    assert_second_moment(y - x, *gaussian_moments(sigma), "integer data, grid gaussian")


def test_integer_values_off_grid_bounds_keep_the_rounding_term():
    # Bounds (0.5, 9.5) clamp integers off the grid: rounding moves them again, so the
    # inflated sensitivity stays (and the caller is warned).
    acc = dp.PrivacyAccountant()
    with pytest.warns(dp.GranularityWarning):
        dp.laplace_mechanism(np.arange(10), 1.0, 1.0, granularity=1.0, bounds=(0.5, 9.5), accountant=acc)
    assert acc.charges[-1].sensitivity == 11.0


def test_granularity_warning_names_the_inflation_and_the_remedy():
    with pytest.warns(dp.GranularityWarning, match=r"granularity 1.0 inflates the sensitivity 1 to 11 \(x11 the noise\)"
                      r".*integer-dtype values.*dp.default_granularity\(1, 10, 'l1'\)"):
        dp.laplace_mechanism(np.arange(10.0), 1.0, 1.0, granularity=1.0)
    with pytest.warns(dp.GranularityWarning, match=r"dp.grid_gaussian_mechanism: granularity 0.125 .*x1.25"):
        dp.grid_gaussian_mechanism(np.zeros(4), 1.0, 1.0, granularity=0.125)  # 8 + ceil(sqrt(4)) steps
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: default grid, integer data, or <= 10% inflation
        dp.laplace_mechanism(np.arange(10.0), 1.0, 1.0)
        dp.laplace_mechanism(np.arange(10), 1.0, 1.0, granularity=1.0)
        dp.gaussian_mechanism(np.zeros(4), 1.0, 1.0, 1e-5, granularity=2.0**-6)  # 64 + 2 steps: x1.03


# -- review 6, LOW-3: the grid stays inside the float range --------------------------------------

@pytest.mark.parametrize("call,arg", [
    (lambda: dp.laplace_mechanism([1.0], 1.0, 1.0, granularity=2.0**1000), "granularity"),
    (lambda: dp.laplace_mechanism([1.0], 1.0, 1.0, granularity=2.0**972), "granularity"),
    (lambda: dp.grid_gaussian_mechanism([1.0], 1.0, 1.0, granularity=2.0**972), "granularity"),
    (lambda: dp.gaussian_mechanism([1.0], 1.0, 1.0, 1e-5, granularity=2.0**972), "granularity"),
    (lambda: dp.laplace_mechanism([1.0], 1e308, 1.0), "sensitivity"),
    (lambda: dp.laplace_mechanism([1.0], 2.0**1000, 1.0), "sensitivity"),
    (lambda: dp.grid_gaussian_mechanism([1.0], 2.0**1000, 1.0), "l2_sensitivity"),
    (lambda: dp.default_granularity(2.0**1000, 1), "sensitivity"),
    (lambda: dp.default_granularity(5e-324, 1), "sensitivity"),
], ids=["laplace_g1000", "laplace_g972", "grid_g972", "gauss_g972", "laplace_sens_1e308", "laplace_sens_2e1000",
        "grid_sens_2e1000", "default_2e1000", "default_subnormal"])
def test_a_grid_past_the_float_range_is_refused(call, arg):
    """Review 6, LOW-3: at a step of 2**973 or more (given, or the default for a
    sensitivity near 1e296 and above) the default bounds were +-inf, so nothing was
    clamped and an infinite input came out as +-inf (told apart from every finite input
    with certainty), off the grid, with RuntimeWarnings only when it was there. A step
    with step * 2**52 past the float range is refused, naming granularity, or the
    sensitivity when the step is the default."""
    with pytest.raises(ParameterError) as info:
        call()
    assert f": {arg} " in str(info.value), str(info.value)


def test_the_coarsest_grid_clamps_infinite_inputs_without_warnings():
    """At the largest step taken (2**971) an infinite input is clamped like any other:
    the outputs are finite multiples of the step, and no warning depends on the input."""
    import warnings

    step = 2.0**971
    for mechanism in (lambda x: dp.laplace_mechanism(x, 1.0, 1.0, granularity=step),
                      lambda x: dp.grid_gaussian_mechanism(x, 1.0, 1.0, granularity=step)):
        for x in ([math.inf], [-math.inf], [1e308], [0.0], [math.nan]):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                warnings.simplefilter("ignore", dp.GranularityWarning)  # public: the step is coarse
                y = mechanism(x)
            assert np.all(np.isfinite(y)) and on_grid(y, step), (x, y)
            assert abs(y[0]) <= 2.0**52 * step
