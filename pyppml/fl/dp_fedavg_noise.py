"""The noise of DP-FedAvg (:mod:`pyppml.fl.dp_fedavg`), on a grid, so that the released
sum's low bits carry nothing: the server's or each client's share of discrete Gaussian
noise on a power-of-two grid (``grid_gaussian``, central and CKKS), and each client's
integer noise on the SecAgg+ quantization grid (``quantized_noise``).

Grid noise (``grid_gaussian``, on :func:`pyppml.dp.grid_gaussian_mechanism`): the values
are first rounded to a grid of step 2**-k (``grid_step``) and integer noise is added in
grid units, so the output is a multiple of
the step whatever the input: its position inside a grid cell carries nothing (a noise
grid that is not a power of two, with unrounded values, leaks the sum through
``output mod step``). Rounding moves each of d coordinates by at most step / 2, so the
noise is calibrated for the L2 sensitivity ``clip + ceil(sqrt(d)) * step`` (at most
1/1024 above ``clip``, as in :func:`pyppml.dp.gaussian_mechanism`). The SecAgg+
quantization (step 1 / scale) is counted the same way: distributed, in the clients'
integer noise (:func:`quantized_noise`); central, in the sensitivity the server's noise
is calibrated for, ``clip + sqrt(d) / (2 scale)`` (:func:`quantized_sensitivity`), as it
rounds each client's update before the sum.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from pyppml.dp import grid_gaussian_mechanism
from pyppml.dp.mechanisms import GranularityWarning, check_share_width, default_granularity
from pyppml.fl.common.errors import ParameterError


def grid_step(clip: float, dim: int) -> float:
    """The power-of-two grid of :func:`grid_gaussian` (that of
    :func:`pyppml.dp.grid_gaussian_mechanism`): the largest 2**k at most
    clip / (sqrt(dim) * 1024), so that rounding adds at most clip / 1024 to the L2
    sensitivity.

    >>> grid_step(1.0, 1)
    0.0009765625
    """
    return default_granularity(clip, max(int(dim), 1), "l2")


def grid_gaussian(values, noise_multiplier: float, clip: float, *, shares: int = 1) -> np.ndarray:
    """``values`` rounded to the power-of-two grid ``grid_step(clip, d)`` plus one share of
    discrete Gaussian noise on that grid: :func:`pyppml.dp.grid_gaussian_mechanism` with
    L2 sensitivity ``clip`` and noise multiplier ``noise_multiplier / sqrt(shares)``.

    The noise of ``shares`` such calls summed (one per client, distributed DP) has
    standard deviation ``noise_multiplier * (clip + ceil(sqrt(d)) * step)``: noise
    multiplier ``noise_multiplier`` for the L2 sensitivity of the rounded sum. Every output
    entry is an integer multiple of the step, so it carries no trace of where ``values``
    sat inside a grid cell.

    Parameters
    ----------
    values : array_like of float, shape (d,)
    noise_multiplier : float, > 0
    clip : float, > 0
        L2 sensitivity of the (unrounded) sum.
    shares : int, >= 1
        Number of clients splitting the noise (1: all of it here).

    Returns
    -------
    numpy.ndarray of float64, shape (d,)

    Raises
    ------
    ValueError
        noise_multiplier or clip not finite and > 0, shares < 1, a noise width beyond
        the sampler's range (from :func:`pyppml.dp.grid_gaussian_mechanism`).

    Examples
    --------
    >>> y = grid_gaussian([0.3, -0.7], noise_multiplier=1.0, clip=1.0)
    >>> step = grid_step(1.0, 2)
    >>> bool(all((v / step).is_integer() for v in y))
    True
    """
    if isinstance(shares, bool) or not isinstance(shares, (int, np.integer)) or shares < 1:
        raise ParameterError(f"grid_gaussian: shares is out of range; expected an integer >= 1, got {shares}")
    if not (isinstance(noise_multiplier, (int, float, np.integer, np.floating)) and math.isfinite(noise_multiplier)
            and noise_multiplier > 0):
        raise ParameterError(f"grid_gaussian: noise_multiplier is out of range; expected > 0, got {noise_multiplier}")
    return grid_gaussian_mechanism(values, clip, float(noise_multiplier), shares=int(shares))


def share_sigma_steps(noise_multiplier: float, clip: float, dim: int, shares: int, scale: float | None = None) -> float:
    """Standard deviation, in grid steps, of one client's share of distributed noise:
    ``grid_gaussian(..., shares=shares)`` (``scale`` None) or ``quantized_noise`` at that
    quantization ``scale``; what :func:`pyppml.dp.mechanisms.check_share_width` bounds
    below, so that a protocol can refuse narrow shares before any round.

    >>> round(share_sigma_steps(1.0, 1.0, 1, 4), 1)  # 1024 + 1 steps / sqrt(4)
    512.5
    """
    d = max(int(dim), 1)
    rounding = math.isqrt(d - 1) + 1
    steps = float(clip) / grid_step(clip, d) if scale is None else float(clip) * float(scale)
    return float(noise_multiplier) * (steps + rounding) / math.sqrt(int(shares))


def check_noise_shares(api: str, noise_multiplier: float, clip: float, dim: int, shares: int,
                       scale: float | None = None) -> None:
    """Before any round: with DP noise, each of ``shares`` clients' share
    (``grid_gaussian``, or ``quantized_noise`` at the SecAgg+ quantizer's ``scale``) is at
    least 2 grid steps wide (:func:`pyppml.dp.mechanisms.check_share_width`), so that no
    client fails a round for it and the sum is as wide as the accounting says."""
    if noise_multiplier > 0:
        check_share_width(api, share_sigma_steps(noise_multiplier, clip, dim, shares, scale), shares,
                          noise_multiplier)


def check_grid_encodes(api: str, params, clip: float, dim: int) -> None:
    """Before any round of distributed DP over one-time CKKS keys: the clients' noisy
    entries (multiples of ``grid_step(clip, dim)``) must encode exactly under the plan
    (:meth:`pyppml.fl.ckks.onetime.OneTimeParams.holds_grid`), or each client's rounding
    would stay in the decrypted sum beside it."""
    step = grid_step(clip, dim)
    if not params.holds_grid(step):
        raise ParameterError(f"{api}: precision_bits is too low for the DP grid; expected a plan whose scale "
                             f"2^{params.scale_bits} is at least 1 / step = {1 / step:g} (raise precision_bits), "
                             f"got precision_bits {params.precision_bits}")


def quantized_sensitivity(clip: float, scale: float, dim: int) -> float:
    """L2 sensitivity of a sum of SecAgg+-quantized updates to one client's update of L2
    norm <= ``clip``: rounding to the step 1 / ``scale`` moves each of the ``dim``
    entries by <= half a step, so ``clip + sqrt(dim) / (2 scale)``.

    >>> quantized_sensitivity(1.0, 50, 100)
    1.1
    """
    return float(clip) + math.sqrt(int(dim)) / (2 * float(scale))


def quantized_noise(noise_multiplier: float, clip: float, scale: float, dim: int, shares: int = 1) -> np.ndarray:
    """One client's integer noise for SecAgg+ distributed DP, in units of the quantization
    step 1 / ``scale`` (not a power of two, so the noise is drawn on the integer grid of
    the quantized values): :func:`pyppml.dp.grid_gaussian_mechanism` at granularity 1 with
    L2 sensitivity ``clip * scale`` and multiplier ``noise_multiplier / sqrt(shares)``.
    Its sensitivity counts the quantization (each coordinate moves by <= half a step:
    ``clip * scale + ceil(sqrt(dim))``), so ``shares`` such vectors sum to noise multiplier
    ``noise_multiplier`` for the quantized sum.

    Returns an int64 vector of length ``dim``.

    >>> quantized_noise(1.0, 1.0, 1000, 3).dtype
    dtype('int64')
    """
    if isinstance(shares, bool) or not isinstance(shares, (int, np.integer)) or shares < 1:
        raise ParameterError(f"quantized_noise: shares is out of range; expected an integer >= 1, got {shares}")
    # The integer grid is the quantization itself, its rounding counted on purpose (see
    # above): the granularity warning meant for users who pick a grid does not apply.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GranularityWarning)
        z = grid_gaussian_mechanism(np.zeros(int(dim)), float(clip) * float(scale), float(noise_multiplier),
                                    granularity=1.0, shares=int(shares))
    return z.astype(np.int64)  # integers exactly (|z| < 2**52)
