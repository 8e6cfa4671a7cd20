"""Differentially private federated averaging (McMahan et al. 2018): each client's
update is clipped to L2 norm ``clip``; Gaussian noise of standard deviation
``noise_multiplier * clip`` (times the rounding inflation below) is added to the sum,
either by the server (central) or split among the clients inside the secure sum
(distributed; Kairouz et al. 2021): discrete Gaussian noise on the quantization grid for
SecAgg+, discrete Gaussian noise on a power-of-two grid before encryption for CKKS under
one-time keys; either way the server never sees an un-noised sum. Privacy spent is
tracked by :class:`pyppml.dp.PrivacyAccountant`.

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

The average divides the noisy sum by a fixed public denominator (the fixed-denominator
estimator of McMahan et al. 2018, ``denominator``, default ``n_clients``: every client at
the maximum weight 1), never by the clients' weights: their sum is not sent at all.

Accounting: the accountant is stepped once per round with sample rate ``sample_rate`` and
noise multiplier ``noise_multiplier`` (central), or, distributed, with
``noise_multiplier * sqrt(min(min_survivors, k) / n_clients)`` where ``k`` is the number of
clients whose noise reached the sum: each of the ``n_clients`` adds variance
sigma^2 / n_clients, so k survivors carry sigma^2 k / n_clients.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from pyppml.dp import PrivacyAccountant, clip_l2, grid_gaussian_mechanism
from pyppml.dp.mechanisms import GranularityWarning, default_granularity
from pyppml.fl.ckks.onetime import OneTimeAggregator
from pyppml.fl.common.errors import ParameterError
from pyppml.fl.common.rounds import check_updates
from pyppml.fl.secagg.quantize import noise_headroom
from pyppml.fl.secagg.simulator import SecureAggregator

# Headroom of a CKKS plan's max_abs_value for a client's noisy entries, in standard
# deviations of its noise: an entry beyond it (probability ~1e-19) makes the client fail
# the round rather than clip its noise.
NOISE_TAIL = 9.0


class DPFedAvg:
    """Weighted federated averaging with client-level DP.

    Parameters
    ----------
    n_clients, dim : int
    clip : float
        L2 bound of each (weighted) client update.
    noise_multiplier : float
        sigma / clip of the Gaussian noise on the sum (0: no DP).
    mode : {"central", "distributed", "none"}
        Who adds the noise: the server after aggregation, or the clients inside secure
        aggregation (discrete Gaussian).
    secure : bool
        Aggregate securely (always true for "distributed").
    backend : {"secagg", "ckks"}
        The secure sum: SecAgg+ (:class:`SecureAggregator`, quantized) or CKKS under
        one-time committee keys (:class:`OneTimeAggregator`; ``members`` and
        ``threshold`` then size the committee).
    sample_rate : float
        Fraction of the population taking part in a round (for the accountant).
    min_survivors : int, optional
        Smallest survivor count for which the round is accounted (distributed mode).
    threshold, neighbours, mod_bits :
        With ``backend="secagg"``, see :class:`pyppml.fl.secagg.SecAggParams` (a
        threshold below the honest majority is refused); with ``"ckks"``, ``threshold``
        sizes the committee.
    denominator : float, optional
        Public total weight the noisy sum is divided by (with DP; default ``n_clients``).
        Without DP (``mode="none"``) the average divides by the survivors' exact total
        weight, which then rides in the secure sum as one more entry.

    Examples
    --------
    >>> import numpy as np
    >>> fa = DPFedAvg(n_clients=4, dim=3, clip=1.0, noise_multiplier=0.0, mode="none")
    >>> np.round(fa.aggregate([np.full(3, 0.1)] * 4, weights=[1, 1, 1, 1]), 4).tolist()
    [0.1, 0.1, 0.1]
    """

    def __init__(self, n_clients: int, dim: int, clip: float = 1.0, noise_multiplier: float = 1.0,
                 mode: str = "distributed", secure: bool = True, sample_rate: float = 1.0,
                 min_survivors: int | None = None, threshold: int | None = None, neighbours: int | None = None,
                 mod_bits: int = 32, accountant: str = "rdp", backend: str = "secagg", members: int = 3,
                 denominator: float | None = None):
        if backend not in ("secagg", "ckks"):
            raise ParameterError(f"DPFedAvg: backend is unknown; expected 'secagg' or 'ckks', got {backend!r}")
        if mode not in ("central", "distributed", "none"):
            raise ParameterError(f"DPFedAvg: mode is unknown; expected 'central', 'distributed' or 'none', got {mode!r}")
        if mode != "none" and not noise_multiplier > 0:
            raise ParameterError(f"DPFedAvg: noise_multiplier is out of range; expected > 0, got {noise_multiplier}")
        self.n_clients, self.dim = int(n_clients), int(dim)
        self.clip = float(clip)
        self.noise_multiplier = float(noise_multiplier)
        self.mode = mode
        self.sample_rate = float(sample_rate)
        self.min_survivors = int(min_survivors or n_clients)
        self.denominator = float(self.n_clients if denominator is None else denominator)
        if not (math.isfinite(self.denominator) and self.denominator > 0):
            raise ParameterError(f"DPFedAvg: denominator is out of range; expected a finite value > 0, got "
                                 f"{denominator}")
        self.accountant = PrivacyAccountant(accountant) if mode != "none" else None
        self.secure = secure or mode == "distributed"
        self.backend = backend
        self.aggregator = None
        # Without DP the exact total weight rides along as one more entry (w * clip); with
        # DP it is never sent: the average divides by the public ``denominator``.
        width = self.dim + (1 if mode == "none" else 0)
        if self.secure and backend == "secagg":
            self.aggregator = SecureAggregator(n_clients, width, threshold, neighbours, mod_bits, clip=self.clip,
                                               noise_headroom=noise_headroom(n_clients, self.noise_multiplier, width, mod_bits)
                                               if mode == "distributed" else 0.0)
        elif self.secure:
            # Rounding to the noise grid moves an entry by <= step / 2 <= clip / 2048.
            bound = self.clip * (1 + 1 / 1024) + (NOISE_TAIL * self._client_sigma() if mode == "distributed" else 0.0)
            self.aggregator = OneTimeAggregator(n_clients, width, members=members, threshold=threshold,
                                                max_abs_value=bound, min_clients=min_survivors)
        self.last_survivors: list = []

    def _central_sensitivity(self) -> float:
        """L2 sensitivity of the sum the server noises in central mode: ``clip``, plus
        the quantizer's rounding of each client's update when SecAgg+ sums them."""
        if self.secure and self.backend == "secagg":
            return quantized_sensitivity(self.clip, self.aggregator.quantizer.scale, self.dim)
        return self.clip

    def _client_sigma(self) -> float:
        return self.noise_multiplier * self.clip * (1 + 1 / 512) / math.sqrt(self.n_clients)

    def _noised_rows(self, rows: list) -> tuple[list, list | None]:
        """Distributed mode: the rows (with CKKS, rounded to the grid and noised by each
        client) and the SecAgg+ integer noise vectors."""
        if self.mode != "distributed":
            return rows, None
        if self.backend == "ckks":
            return [None if r is None else grid_gaussian(r, self.noise_multiplier, self.clip, shares=self.n_clients)
                    for r in rows], None
        scale = self.aggregator.quantizer.scale
        return rows, [quantized_noise(self.noise_multiplier, self.clip, scale, self.dim, self.n_clients)
                      for _ in range(self.n_clients)]

    def aggregate(self, updates, weights=None, dropouts=None) -> np.ndarray:
        """Noisy weighted average of the surviving clients' updates.

        ``weights`` in [0, 1] (e.g. n_examples / max_examples); each update is
        multiplied by its weight, then clipped to L2 norm ``clip``. With DP the sum is
        divided by ``denominator``; without, by the survivors' total weight.

        Raises
        ------
        ValueError
            Bad updates or weights.
        TooFewSurvivorsError
            From secure aggregation.
        """
        ups = check_updates(updates, self.n_clients, self.dim, "DPFedAvg.aggregate")
        w = np.ones(self.n_clients) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (self.n_clients,) or not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w > 1):
            raise ParameterError(f"DPFedAvg.aggregate: weights are out of range; expected {self.n_clients} values in "
                                 f"[0, 1], got shape {w.shape}")
        rows = []
        for i, u in enumerate(ups):
            if u is None:
                rows.append(None)
            elif self.mode == "none":
                rows.append(np.concatenate([w[i] * u, [w[i] * self.clip]]))
            else:
                rows.append(clip_l2((w[i] * u)[None, :], self.clip)[0])
        rows, noise = self._noised_rows(rows)
        if self.secure:
            total = (self.aggregator.run_round(rows, dropouts) if self.backend == "ckks"
                     else self.aggregator.run_round(rows, dropouts, noise=noise))
            self.last_survivors = self.aggregator.report.survivors
        else:
            present = [r for r in rows if r is not None]
            total = np.sum(present, axis=0)
            self.last_survivors = [i for i, r in enumerate(rows) if r is not None]
        if self.mode == "none":
            wsum = total[-1] / self.clip
            if wsum <= 0:
                raise ParameterError("DPFedAvg.aggregate: total weight is zero; expected a surviving client with "
                                     "weight > 0")
            return total[:-1] / wsum
        if self.mode == "central":
            total = grid_gaussian(total, self.noise_multiplier, self._central_sensitivity())
        self.accountant.step(self.accounted_multiplier(len(self.last_survivors)), self.sample_rate, 1)
        return total / self.denominator

    def accounted_multiplier(self, survivors: int) -> float:
        """The noise multiplier the accountant is told for a round with ``survivors``
        clients in the sum (see the module note)."""
        if self.mode == "distributed":
            return self.noise_multiplier * math.sqrt(min(self.min_survivors, survivors) / self.n_clients)
        return self.noise_multiplier

    def epsilon(self, delta: float) -> float:
        return 0.0 if self.accountant is None or self.accountant.steps == 0 else self.accountant.get_epsilon(delta)


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
    return grid_gaussian_mechanism(values, clip, float(noise_multiplier) / math.sqrt(int(shares)))


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
        z = grid_gaussian_mechanism(np.zeros(int(dim)), float(clip) * float(scale),
                                    float(noise_multiplier) / math.sqrt(int(shares)), granularity=1.0)
    return z.astype(np.int64)  # integers exactly (|z| < 2**52)
