"""`pyppml bench dp` as pytest-benchmark tests: exact discrete Gaussian and Laplace noise and
the float mechanisms, a vector of samples per call."""

import numpy as np

from pyppml import dp

PARAMS = {"n": ((20_000,), (1_000_000,))}


def test_discrete_gaussian(ppml_bench, n):
    z = ppml_bench(lambda: dp.discrete_gaussian(3, n), scheme="dp", N=n, L=0, op="discrete_gaussian_sigma3")
    z = np.asarray(z)
    assert z.shape == (n,) and np.issubdtype(z.dtype, np.integer)
    # Variance of N_Z(0, 9) is 9 - 1e-9ish; the sample variance has sd 9 * sqrt(2 / n) (0.09 at
    # n = 20000), so |s^2 - 9| < 0.7 fails with probability < 1e-6 (Gaussian tail at 7.8 sd,
    # the fourth moment of a discrete Gaussian is that of the continuous one to 1e-9);
    # it catches a sigma off by 5 % (s^2 off by 0.9).
    assert abs(float(np.var(z)) - 9.0) < 0.7


def test_discrete_laplace(ppml_bench, n):
    z = np.asarray(ppml_bench(lambda: dp.discrete_laplace(3, n), scheme="dp", N=n, L=0, op="discrete_laplace_scale3"))
    assert z.shape == (n,) and np.issubdtype(z.dtype, np.integer)


def test_laplace_mechanism(ppml_bench, n):
    zeros = np.zeros(n)
    out = ppml_bench(lambda: dp.laplace_mechanism(zeros, 1.0, 1.0 / 3.0), scheme="dp", N=n, L=0,
                     op="laplace_mechanism_float")
    assert np.asarray(out).shape == (n,) and np.all(np.isfinite(out))


def test_gaussian_mechanism(ppml_bench, n):
    zeros = np.zeros(n)
    out = ppml_bench(lambda: dp.gaussian_mechanism(zeros, 1.0, 1.0, 1e-5), scheme="dp", N=n, L=0,
                     op="gaussian_mechanism_float")
    assert np.asarray(out).shape == (n,) and np.all(np.isfinite(out))
