"""Sigmoid approximations: shape, accuracy, depth, automatic interval."""

import numpy as np
import pytest

from pyppml.ml.sigmoid import SigmoidApproximation, choose_bound, choose_degree, sigmoid


@pytest.mark.parametrize("method", ["least_squares", "chebyshev"])
@pytest.mark.parametrize("degree,bound,max_err", [(3, 8.0, 0.12), (7, 8.0, 0.035), (7, 16.0, 0.11)])
def test_error_on_interval(method, degree, bound, max_err):
    approx = SigmoidApproximation.fit(degree, bound, method)
    assert approx.max_error() < max_err
    # odd around 1/2: p(t) + p(-t) = 1
    t = np.linspace(-bound, bound, 101)
    np.testing.assert_allclose(approx(t) + approx(-t), 1.0, atol=1e-12)


@pytest.mark.parametrize("degree,depth", [(1, 1), (3, 2), (5, 3), (7, 3), (15, 4)])
def test_depth_is_log2_degree_plus_one(degree, depth):
    assert SigmoidApproximation.fit(degree, 8.0).depth == depth


def test_exact_sigmoid_no_overflow():
    out = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


def test_bound_follows_data_range():
    assert choose_bound(np.full(10, 4.0)) == 8.0
    assert choose_bound(np.full(10, 10.0)) == 16.0
    assert choose_bound(np.full(10, 1000.0)) == 32.0
    assert choose_degree(8.0) == 3 and choose_degree(16.0) == 7


@pytest.mark.parametrize("kwargs", [{"degree": 4, "bound": 8.0}, {"degree": 3, "bound": 0.0}, {"degree": 3, "bound": 8.0, "method": "pade"}])
def test_bad_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        SigmoidApproximation.fit(**kwargs)
