"""Bad parameters raise ValueError (pyppml.ParameterError) with the one-line message."""

import math

import numpy as np
import pytest

from pyppml import ParameterError, _core, dp
from pyppml.dp.objective_perturbation import perturbation_vector
from pyppml.dp.sgd import dp_sgd


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: dp.discrete_gaussian(0, 3), r"dp.discrete_gaussian: sigma is not positive; expected sigma > 0, got 0"),
        (lambda: dp.discrete_gaussian(-1.5, 3), r"sigma is not positive"),
        (lambda: dp.discrete_gaussian(math.nan, 3), r"sigma is not finite"),
        (lambda: dp.discrete_gaussian(math.inf, 3), r"sigma is not finite"),
        (lambda: dp.discrete_gaussian(2.0**40, 3), r"sigma is too large"),
        (lambda: dp.discrete_gaussian("3", 3), r"sigma is not a real number"),
        (lambda: dp.discrete_gaussian(3, -1), r"size is negative"),
        (lambda: dp.discrete_gaussian(3, 2.5), r"size is not an integer"),
        (lambda: dp.discrete_laplace(0.0, 3), r"dp.discrete_laplace: scale is not positive"),
        (lambda: dp.discrete_laplace(2.0**50, 3), r"scale is too large"),
        (lambda: dp.laplace_mechanism([1.0], 1.0, 0.0), r"dp.laplace_mechanism: epsilon is not positive"),
        (lambda: dp.laplace_mechanism([1.0], -1.0, 1.0), r"sensitivity is not positive"),
        # NaN and huge values are private data: clamped, never refused (test_mechanisms.py).
        (lambda: dp.laplace_mechanism([1.0], 1.0, 1.0, granularity=0.3), r"granularity is not a power of two"),
        (lambda: dp.laplace_mechanism([1.0], 1.0, 1.0, bounds=(2, 1)),
         r"dp.laplace_mechanism: bounds is not an ordered pair of finite reals; expected \(lo, hi\) with lo <= hi, got \(2, 1\)"),
        (lambda: dp.laplace_mechanism([1.0], 1.0, 1.0, bounds=(0, 1, 2)), r"bounds is not a pair of reals"),
        (lambda: dp.laplace_mechanism([1.0], 1.0, 1.0, bounds=(0, 1e300)), r"bounds exceed the exact grid"),
        (lambda: dp.laplace_mechanism([1.0], 1.0, 1e-12), r"epsilon is too small for the grid"),
        (lambda: dp.laplace_mechanism("x", 1.0, 1.0), r"values are not an array of numbers; expected an array_like of numbers, got 'str'"),
        (lambda: dp.gaussian_mechanism([1.0], 1.0, 1.0, 1e-5, granularity=0.5), r"granularity is too coarse for the noise"),
        (lambda: dp.gaussian_mechanism([1.0], 1.0, 1.0, 1e-5, bounds=(-math.inf, 0)), r"bounds is not an ordered pair"),
        (lambda: dp.grid_gaussian_mechanism([1.0], 1.0, 0.0), r"dp.grid_gaussian_mechanism: noise_multiplier is not positive"),
        (lambda: dp.grid_gaussian_mechanism([1.0], 1.0, 1e9), r"noise_multiplier is too large for the grid"),
        (lambda: dp.grid_gaussian_mechanism([1.0], -1.0, 1.0), r"l2_sensitivity is not positive"),
        (lambda: dp.grid_gaussian_mechanism([1.0], 1.0, 1.0, granularity=3.0), r"granularity is not a power of two"),
        (lambda: dp.clip_l2(5.0, 1.0), r"dp.clip_l2: per_example has no example axis"),
        (lambda: dp.gaussian_mechanism([1.0], 1.0, 1.0, 0.0), r"delta is outside \(0, 1\)"),
        (lambda: dp.gaussian_mechanism([1.0], 1.0, 1.0, 1.0), r"delta is outside \(0, 1\)"),
        (lambda: dp.gaussian_mechanism([1.0], 1.0, math.inf, 1e-5), r"epsilon is not finite"),
        (lambda: dp.gaussian_mechanism([1.0], 0.0, 1.0, 1e-5), r"l2_sensitivity is not positive"),
        (lambda: dp.analytic_gaussian_sigma(1.0, 2.0), r"delta is outside"),
        (lambda: dp.clip_l2([[1.0, 2.0]], 0), r"max_norm is not positive"),
        (lambda: dp.clip_l2([[1.0, np.inf]], 1.0), r"contains NaN or infinity"),
        (lambda: dp.PrivacyAccountant("moments"), r"method is unknown"),
        (lambda: dp.PrivacyAccountant().step(0.0, 0.1), r"noise_multiplier is not positive"),
        (lambda: dp.PrivacyAccountant().step(1.0, 1.5), r"sample_rate is above 1"),
        (lambda: dp.PrivacyAccountant().step(1.0, 0.1, steps=0), r"steps is not a positive integer"),
        (lambda: dp.PrivacyAccountant().get_epsilon(0.0), r"delta is outside"),
        (lambda: dp.PrivacyAccountant(sampling="shuffle"), r"dp.PrivacyAccountant: sampling is unknown"),
        (lambda: dp.PrivacyAccountant().record_gaussian(0.0, 1.0),
         r"dp.PrivacyAccountant.record_gaussian: sigma is not positive; expected sigma > 0, got 0.0"),
        (lambda: dp.PrivacyAccountant().record_gaussian(1.0, 1.0, count=0), r"count is not a positive integer"),
        (lambda: dp.PrivacyAccountant("pld").record_gaussian(4.0, 0.5, integer_shift=True),
         r"l2_sensitivity is not an integer"),
        (lambda: dp.PrivacyAccountant().record_laplace(1.0, math.inf), r"record_laplace: sensitivity is not finite"),
        (lambda: dp.PrivacyAccountant("pld").record_epsilon_delta(1.0, 1.0), r"record_epsilon_delta: delta is outside \(0, 1\)"),
        (lambda: dp.PrivacyAccountant().record_epsilon_delta(-1.0), r"record_epsilon_delta: epsilon is not positive"),
        (lambda: dp.laplace_mechanism([1.0], 1.0, 1.0, accountant=object()),
         r"dp.laplace_mechanism: accountant is not a PrivacyAccountant; expected None or dp.PrivacyAccountant, got 'object'"),
        (lambda: dp.grid_gaussian_mechanism([1.0], 1.0, 1.0, accountant="rdp"), r"accountant is not a PrivacyAccountant"),
        (lambda: _core.dp_discrete_gaussian(0, 1, 3), r"dp.discrete_gaussian: sigma\^2 numerator is not positive"),
        (lambda: _core.dp_discrete_gaussian(9, 2**33, 3), r"sigma\^2 denominator is out of range"),
        (lambda: _core.dp_discrete_laplace(1, 0, 3), r"scale denominator is out of range"),
    ],
)
def test_bad_parameters_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match) as info:
        call()
    assert isinstance(info.value, ParameterError)
    assert "\n" not in str(info.value)


def _release_helper_gaussian(eps):
    """A release helper of pyppml.dp.releases (the IntegerNoise path), Gaussian noise."""
    return dp.count(range(5), eps, delta=1e-5, mechanism="gaussian")


ABSURD = {
    "ten_to_400": 10**400,  # OverflowError in float()
    "fraction_1e-400": __import__("fractions").Fraction(1, 10**400),  # rounds to 0.0
    "float_1e308": 1e308,
    "subnormal": 5e-324,
}
CENTRAL = {
    "dp.gaussian_mechanism": lambda e: dp.gaussian_mechanism([0.5], 1.0, e, 1e-5, bounds=(0, 1)),
    "dp.laplace_mechanism": lambda e: dp.laplace_mechanism([0.5], 1.0, e, bounds=(0, 1)),
    "dp.analytic_gaussian_sigma": lambda e: dp.analytic_gaussian_sigma(e, 1e-5),
    "dp.calibrate_noise_multiplier": lambda e: dp.calibrate_noise_multiplier(e, 1e-5, steps=10, sample_rate=0.1),
    "dp.PrivacyAccountant.record_epsilon_delta": lambda e: dp.PrivacyAccountant().record_epsilon_delta(e),
}


@pytest.mark.parametrize("eps", ABSURD.values(), ids=ABSURD.keys())
@pytest.mark.parametrize("api", CENTRAL)
def test_absurd_epsilon_is_a_parameter_error_naming_the_api_and_epsilon(api, eps):
    """Review 6, finding 5: gaussian_mechanism raised OverflowError for 10**400 and, for a
    Fraction that rounds to 0.0, a ParameterError under another API's name
    (dp.analytic_gaussian_sigma) quoting 0.0. Every central entry point now refuses epsilon
    outside [2**-1000, 2**1000] under its own name, with a short one-line message."""
    with pytest.raises(ParameterError) as info:
        CENTRAL[api](eps)
    msg = str(info.value)
    assert msg.startswith(f"{api}: epsilon is out of range; expected 2**-1000 <= epsilon <= 2**1000, got "), msg
    assert "\n" not in msg and len(msg) < 200, msg


@pytest.mark.parametrize(
    "call,api,arg",
    [
        (lambda: dp.gaussian_mechanism([0.5], 10**400, 1.0, 1e-5, bounds=(0, 1)), "dp.gaussian_mechanism",
         "l2_sensitivity"),
        (lambda: dp.laplace_mechanism([0.5], 1e308, 1.0, bounds=(0, 1)), "dp.laplace_mechanism", "sensitivity"),
        (lambda: dp.grid_gaussian_mechanism([0.5], 1.0, 10**400), "dp.grid_gaussian_mechanism", "noise_multiplier"),
        (lambda: dp.grid_gaussian_mechanism([0.5], 2.0**1000, 1.0, bounds=(0, 2.0**-60), granularity=2.0**-110),
         "dp.grid_gaussian_mechanism", "l2_sensitivity"),
        (lambda: dp.analytic_gaussian_sigma(1.0, 1e-5, 1e-300 * 1e-10), "dp.analytic_gaussian_sigma", "l2_sensitivity"),
        (lambda: dp.analytic_gaussian_sigma(2.0**-1000, 1e-300, 2.0**1000), "dp.analytic_gaussian_sigma",
         "l2_sensitivity"),
        (lambda: dp.gaussian_mechanism([0.5], 1.0, 2.0**-1000, 1e-20, bounds=(0, 1)), "dp.gaussian_mechanism",
         "epsilon"),
        (lambda: _release_helper_gaussian(10**400), "dp.count", "epsilon"),
    ],
    ids=["gauss_sens_huge", "laplace_sens_1e308", "grid_mult_huge", "grid_sens_over_granularity", "sigma_sens_tiny",
         "sigma_overflows", "gauss_sigma_overflows", "release_helper"],
)
def test_extreme_parameters_never_raise_overflow_or_zero_division(call, api, arg):
    """The same path for the other parameters: OverflowError, ZeroDivisionError, 'math
    domain error' or a release of inf before; now a ParameterError naming the API and argument."""
    with pytest.raises(ParameterError) as info:
        call()
    msg = str(info.value)
    assert msg.startswith(f"{api}: {arg} "), msg
    assert "\n" not in msg and len(msg) < 200, msg


@pytest.mark.parametrize("eps", [np.float32(1.0), np.float16(1.0), np.longdouble(1.0), np.int64(1)],
                         ids=["float32", "float16", "longdouble", "int64"])
def test_numpy_scalars_are_accepted_as_the_python_number(eps):
    """np.float32(1.0) was refused as 'not finite' (Fraction() does not take it); NumPy
    scalars are real numbers, converted exactly, and give the same calibration as 1.0."""
    assert dp.analytic_gaussian_sigma(eps, 1e-5) == dp.analytic_gaussian_sigma(1.0, 1e-5)
    assert dp.gaussian_mechanism([0.5], 1.0, eps, 1e-5, bounds=(0, 1)).shape == (1,)
    assert dp.laplace_mechanism([0.5], 1.0, eps, bounds=(0, 1)).shape == (1,)


def test_not_finite_only_for_values_that_are_not_finite():
    from pyppml.dp._checks import positive_real

    for value in (math.nan, math.inf, np.float32("inf"), np.longdouble("nan")):
        with pytest.raises(ParameterError, match="x is not finite"):
            positive_real("api", "x", value)
    for value in (np.float32(0.5), np.float64(0.5), 0.5, 1, np.uint8(3), 10**400):
        assert positive_real("api", "x", value) > 0


# -- review 6, LOW-5: every API x {0, -1, nan, inf, 10**400, 5e-324} ----------------------------

BAD = {"zero": 0, "negative": -1, "nan": math.nan, "inf": math.inf, "ten_to_400": 10**400, "subnormal": 5e-324}


def _grads(w, idx):
    return np.ones((len(idx), 2))


def _dp_sgd(**kw):
    args = dict(steps=1, batch_size=10, clip=1.0, noise_multiplier=1.0, learning_rate=0.1)
    n = kw.pop("n_examples", 100)
    args.update(kw)
    return dp_sgd(_grads, np.zeros(2), n, **args)


def _stepped():
    acc = dp.PrivacyAccountant()
    acc.step(1.0, 0.01, 10)
    return acc


# (api, argument, call, values for which it is not an error)
LOW5 = [
    ("dp.default_granularity", "sensitivity", lambda v: dp.default_granularity(v, 1), ()),
    ("dp.PrivacyAccountant.step", "noise_multiplier", lambda v: dp.PrivacyAccountant().step(v, 0.01), ()),
    ("dp.PrivacyAccountant.step", "sample_rate", lambda v: dp.PrivacyAccountant().step(1.0, v), ()),
    ("dp.PrivacyAccountant.record_gaussian", "sigma", lambda v: dp.PrivacyAccountant().record_gaussian(v, 1.0), ()),
    ("dp.PrivacyAccountant.record_laplace", "scale", lambda v: dp.PrivacyAccountant().record_laplace(v, 1.0), ()),
    ("dp.PrivacyAccountant.get_delta", "epsilon", lambda v: _stepped().get_delta(v), ("zero",)),
    ("dp.PrivacyAccountant", "pld_discretization", lambda v: dp.PrivacyAccountant("pld", pld_discretization=v), ()),
    ("dp.calibrate_noise_multiplier", "tolerance",
     lambda v: dp.calibrate_noise_multiplier(1.0, 1e-5, steps=10, sample_rate=0.1, tolerance=v), ("subnormal",)),
    ("dp.dp_sgd", "steps", lambda v: _dp_sgd(steps=v), ()),
    ("dp.dp_sgd", "n_examples", lambda v: _dp_sgd(n_examples=v), ()),
    ("dp.dp_sgd", "batch_size", lambda v: _dp_sgd(batch_size=v), ()),
    ("dp.dp_sgd", "clip", lambda v: _dp_sgd(clip=v), ()),
    ("dp.dp_sgd", "noise_multiplier", lambda v: _dp_sgd(noise_multiplier=v), ()),
    ("dp.dp_sgd", "learning_rate", lambda v: _dp_sgd(learning_rate=v), ()),
    ("dp.dp_sgd", "l2_penalty", lambda v: _dp_sgd(l2_penalty=v), ("zero",)),
    ("dp.DPLogisticRegression", "delta", lambda v: dp.DPLogisticRegression(delta=v).fit([[0.0], [1.0]], [0, 1]),
     ("subnormal",)),
    ("dp.DPLogisticRegression", "alpha", lambda v: dp.DPLogisticRegression(alpha=v).fit([[0.0], [1.0]], [0, 1]),
     ("zero",)),
    ("dp.perturbation_vector", "epsilon_prime", lambda v: perturbation_vector(2, v), ()),
]


@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("api,arg,call,valid", LOW5, ids=[f"{a}.{b}" for a, b, _, _ in LOW5])
def test_every_parameter_is_refused_by_name(api, arg, call, valid, value):
    """Review 6, LOW-5: these raised ZeroDivisionError (step at 1e-300, dp_sgd with
    n_examples 0), OverflowError (get_delta(10**400), alpha and delta 10**400, the
    accountant's Fractions), TypeError, 'math domain error' (default_granularity(5e-324)),
    hung (calibrate_noise_multiplier at tolerance <= 0, LOW-6) or ran on (dp_sgd with
    steps -1 returned the start, a NaN learning rate NaN weights). Each is now a one-line
    ParameterError '<api>: <argument> ...'."""
    name = next(k for k, v in BAD.items() if v is value)
    if name in valid:
        call(value)
        return
    with pytest.raises(ParameterError) as info:
        call(value)
    msg = str(info.value)
    assert msg.startswith(f"{api}: {arg} "), msg
    assert "\n" not in msg and len(msg) < 250, msg


def test_dp_sgd_refuses_an_unknown_sampling_and_a_mismatched_accountant():
    """Review 6, LOW-5: sampling='Poisson' (a typo) ran the fixed-batch path at
    sensitivity 2C; an accountant sampling otherwise was charged the wrong analysis."""
    with pytest.raises(ParameterError, match=r"^dp\.dp_sgd: sampling is unknown; expected 'poisson' or 'fixed'"):
        _dp_sgd(sampling="Poisson")
    with pytest.raises(ParameterError, match=r"^dp\.dp_sgd: accountant samples batches differently"):
        _dp_sgd(sampling="poisson", accountant=dp.PrivacyAccountant(sampling="fixed"))
    with pytest.raises(ParameterError, match=r"^dp\.dp_sgd: batch_size exceeds n_examples"):
        _dp_sgd(sampling="fixed", batch_size=101)
    acc = dp.PrivacyAccountant()
    assert _dp_sgd(accountant=acc).shape == (2,) and acc.steps == 1


@pytest.mark.parametrize("call,api", [
    (lambda d: dp.gaussian_mechanism([0.5], 1.0, 0.1, d, bounds=(0, 1)), "dp.gaussian_mechanism"),
    (lambda d: dp.count(np.ones(10), 0.1, delta=d, mechanism="gaussian"), "dp.count"),
])
def test_gaussian_delta_below_the_verified_range_is_refused(call, api):
    """Review 2026-12-08: the sigma >= 64 calibration (continuous sigma at delta (1 - 1e-3))
    missed its delta by 2e-4 at 1e-30 and 1.4% at 5e-324 (exact sums); a scan at 1e-20
    and 1e-25 stayed below it. Deltas below 1e-20 are refused by name; 1e-20 is served."""
    for d in (1e-21, 1e-300, 5e-324):
        with pytest.raises(ParameterError, match=rf"^{api}: delta is below the calibration's verified range"):
            call(d)
    call(1e-20)
