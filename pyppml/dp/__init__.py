"""Differential privacy: exact discrete noise from the CSPRNG, floating-point-safe
mechanisms on a fixed grid, L2 clipping for DP-SGD / DP-FedAvg, and privacy accounting.

No floating point touches the sampling: the discrete Gaussian and Laplace samplers are
exact for rational parameters (C++ core, fed only by ChaCha20 keyed from the OS), and the
continuous mechanisms add integer noise on a grid of step 2**-k, so their outputs cannot
leak the input through floating-point artefacts (Mironov 2012; Jin et al. 2022). The
mechanisms clamp the private input to public bounds instead of refusing it: no error
depends on, or quotes, a private value. ``grid_gaussian_mechanism`` is the form with a
noise multiplier (DP-SGD, DP-FedAvg), the grid's rounding counted in the sensitivity.
``count``, ``sum``, ``mean`` and ``histogram`` release the common statistics with integer
noise on integer quantities; every mechanism and helper charges an optional
``PrivacyAccountant`` with the noise it really adds (``accountant.charges``).

>>> from pyppml import dp
>>> dp.discrete_gaussian(3.0, 5).dtype
dtype('int64')
"""

from pyppml.dp.accountant import Charge, PrivacyAccountant
from pyppml.dp.calibration import analytic_gaussian_sigma, calibrate_noise_multiplier
from pyppml.dp.clipping import clip_l2, clipped_sum
from pyppml.dp.mechanisms import (
    GranularityWarning,
    default_granularity,
    gaussian_mechanism,
    grid_gaussian_mechanism,
    laplace_mechanism,
)
from pyppml.dp.noise import (
    discrete_gaussian,
    discrete_laplace,
    exact_scale,
    exact_variance,
)
from pyppml.dp.releases import count, histogram, mean, sum


def __getattr__(name):
    # DPLogisticRegression needs scikit-learn (a second to import): loaded on first use, so
    # that `import pyppml.dp` (and pyppml.fl, which accounts with it) stays light.
    if name == "DPLogisticRegression":
        from pyppml.dp.logistic_regression import DPLogisticRegression

        return DPLogisticRegression
    raise AttributeError(f"module 'pyppml.dp' has no attribute {name!r}")

__all__ = [
    "Charge",
    "DPLogisticRegression",
    "GranularityWarning",
    "PrivacyAccountant",
    "analytic_gaussian_sigma",
    "calibrate_noise_multiplier",
    "clip_l2",
    "clipped_sum",
    "count",
    "default_granularity",
    "discrete_gaussian",
    "discrete_laplace",
    "exact_scale",
    "exact_variance",
    "gaussian_mechanism",
    "grid_gaussian_mechanism",
    "histogram",
    "laplace_mechanism",
    "mean",
    "sum",
]
