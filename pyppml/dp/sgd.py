"""DP-SGD [Abadi et al. 2016] on the project's exact noise: per-example L2 clipping
(``clip_l2``), the clipped sum released by ``grid_gaussian_mechanism`` (discrete Gaussian
on a power-of-two grid, its rounding counted in the sensitivity), batches from the CSPRNG
(``pyppml.dp.sampling``) and every step charged to a ``PrivacyAccountant``.

The model only ever sees noisy sums: the loop is post-processing of one subsampled
Gaussian mechanism per step, which is what the accountant composes. The data set size n
sets the sample rate and the normalisation of the sum, as in Opacus and TF Privacy; it is
treated as public.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from pyppml import ParameterError
from pyppml.dp._checks import check_prng, fail, nonnegative_float, positive_float, positive_int
from pyppml.dp.accountant import PrivacyAccountant
from pyppml.dp.clipping import clip_l2
from pyppml.dp.mechanisms import check_accountant, grid_gaussian_mechanism
from pyppml.dp.sampling import fixed_size_sample, poisson_sample


def sgd_schedule(n_examples: int, epochs: float, batch_size: int) -> tuple[float, int]:
    """(sample rate, number of steps) for ``epochs`` passes with expected batch
    ``batch_size`` (capped at the data set): q = min(1, b / n), T = ceil(epochs / q).

    >>> sgd_schedule(1000, 10, 100)
    (0.1, 100)
    """
    q = min(1.0, batch_size / n_examples)
    return q, max(1, math.ceil(epochs / q - 1e-9))


def charge_steps(accountant: PrivacyAccountant, noise_multiplier: float, steps: int, n_examples: int,
                 batch_size: int, sampling: str = "poisson") -> None:
    """Charge ``steps`` DP-SGD steps to ``accountant``: Poisson batches at rate
    min(1, batch_size / n_examples), or fixed batches of ``batch_size`` out of ``n_examples``."""
    if sampling == "poisson":
        accountant.step(noise_multiplier, min(1.0, batch_size / n_examples), steps)
    else:
        accountant.step(noise_multiplier, None, steps, dataset_size=n_examples, batch_size=batch_size)


def _clipped_sum(per_example, batch: int, shape: tuple, clip: float) -> np.ndarray:
    """The sum of the clipped gradients of a batch. The shape is public and checked: a
    batch aggregate of shape (d,) clipped as one example would carry every example at
    the sensitivity of one. A gradient that is not finite (an extreme record overflowing
    a dot product) counts as zero, a vector inside the ball: raising there would tell
    whether that record is in the data."""
    g = np.asarray(per_example, dtype=np.float64)
    if g.shape != (batch, *shape):
        raise ParameterError(f"dp.dp_sgd: per_example_gradients returned the wrong shape; expected one gradient per "
                             f"example, {(batch, *shape)}, got {g.shape}")
    finite = np.isfinite(g).reshape(batch, -1).all(axis=1)
    g = np.where(finite.reshape((batch,) + (1,) * len(shape)), g, 0.0)
    return clip_l2(g, clip).sum(axis=0)


def dp_sgd(per_example_gradients: Callable[[np.ndarray, np.ndarray], np.ndarray], initial: np.ndarray,
           n_examples: int, *, steps: int, batch_size: int, clip: float, noise_multiplier: float,
           learning_rate: float, l2_penalty: float = 0.0, sampling: str = "poisson",
           accountant: PrivacyAccountant | None = None, prng=None) -> np.ndarray:
    """Run ``steps`` DP-SGD steps from ``initial`` and return the last iterate.

    Parameters
    ----------
    per_example_gradients : callable (weights, indices) -> array (len(indices),) + weights.shape
        Gradient of the loss of each selected example; each row is clipped to ``clip``
        (another shape is refused; a row that is not finite counts as zero).
    initial : array (d,)
        Public starting point.
    n_examples : int
        Size of the data set (public).
    steps, batch_size : int
        Number of steps; expected batch size (Poisson) or exact batch size (fixed).
    clip : float
        L2 bound C of each example's gradient.
    noise_multiplier : float
        Poisson sampling: noise std / C on the clipped sum (add/remove-one neighbours).
        Fixed batches: noise std / (2C) (replace-one neighbours, sensitivity 2C).
    learning_rate : float
    l2_penalty : float
        Gradient of (l2_penalty / 2) ||w||^2 added after the noise (data-independent).
    sampling : {"poisson", "fixed"}
    accountant : PrivacyAccountant, optional
        Charged with every step (its ``sampling`` must match).
    prng : pyppml._core.Prng, optional
        Only for reproducible tests: batches and noise then come from this stream.

    Raises
    ------
    ValueError (pyppml.ParameterError)
        Before anything is charged or drawn: n_examples, steps or batch_size not an
        integer >= 1 (steps <= 2**32, n_examples and batch_size <= 2**53;
        batch_size <= n_examples for fixed batches); clip,
        noise_multiplier or learning_rate not finite or outside [2**-1000, 2**1000];
        l2_penalty not 0 or in that range; sampling not "poisson" or "fixed" (a typo
        ran the fixed path); initial not a finite 1-D array; accountant not a
        PrivacyAccountant with this sampling; prng neither None nor a
        ``pyppml._core.Prng``. During the run: a gradient of the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml.dp.sgd import dp_sgd
    >>> grads = lambda w, idx: np.ones((len(idx), 2))
    >>> w = dp_sgd(grads, np.zeros(2), 1000, steps=3, batch_size=1000, clip=1.0,
    ...            noise_multiplier=1.0, learning_rate=0.1)
    >>> w.shape
    (2,)
    """
    api = "dp.dp_sgd"
    if sampling not in ("poisson", "fixed"):
        fail(api, "sampling", "is unknown", "'poisson' or 'fixed'", sampling)
    # Caps far above any real run: the loop runs `steps` times, a batch draw takes
    # n_examples CSPRNG words, and n / b must be an exact float.
    n_examples = positive_int(api, "n_examples", n_examples, 2**53)
    steps = positive_int(api, "steps", steps, 2**32)
    batch_size = positive_int(api, "batch_size", batch_size, 2**53)
    if sampling == "fixed" and batch_size > n_examples:
        fail(api, "batch_size", "exceeds n_examples", f"batch_size <= {n_examples} with sampling='fixed'", batch_size)
    clip = positive_float(api, "clip", clip)
    noise_multiplier = positive_float(api, "noise_multiplier", noise_multiplier)
    learning_rate = positive_float(api, "learning_rate", learning_rate)
    l2_penalty = nonnegative_float(api, "l2_penalty", l2_penalty)
    check_accountant(api, accountant)
    if accountant is not None and accountant.sampling != sampling:
        fail(api, "accountant", "samples batches differently", f"an accountant with sampling={sampling!r}",
             accountant.sampling)
    check_prng(api, prng)
    if not callable(per_example_gradients):
        fail(api, "per_example_gradients", "is not callable", "a function (weights, indices) -> gradients",
             type(per_example_gradients).__name__)
    try:
        w = np.array(initial, dtype=np.float64)
    except (TypeError, ValueError):
        fail(api, "initial", "is not an array of numbers", "a finite 1-D array", type(initial).__name__)
    if w.ndim != 1 or not np.all(np.isfinite(w)):
        fail(api, "initial", "is not a finite 1-D array", "a finite 1-D array (public)", f"shape {w.shape}")
    q = min(1.0, batch_size / n_examples)
    sensitivity = clip if sampling == "poisson" else 2.0 * clip
    divisor = q * n_examples if sampling == "poisson" else batch_size
    # Charged before the first release: a run stopped half-way has still spent its budget.
    if accountant is not None:
        charge_steps(accountant, noise_multiplier, steps, n_examples, batch_size, sampling)
    for _ in range(steps):
        if sampling == "poisson":
            idx = np.flatnonzero(poisson_sample(n_examples, q, prng=prng))
        else:
            idx = fixed_size_sample(n_examples, batch_size, prng=prng)
        total = _clipped_sum(per_example_gradients(w, idx), idx.size, w.shape, clip) if idx.size else np.zeros_like(w)
        noisy = grid_gaussian_mechanism(total, l2_sensitivity=sensitivity, noise_multiplier=noise_multiplier,
                                        prng=prng)
        w -= learning_rate * (noisy / divisor + l2_penalty * w)
    return w
