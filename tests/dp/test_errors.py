"""Bad parameters raise ValueError (pyppml.ParameterError) with the one-line message."""

import math

import numpy as np
import pytest

from pyppml import ParameterError, _core, dp


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
