"""Differentially private federated averaging (McMahan et al. 2018): each client's
update is clipped to L2 norm ``clip``; Gaussian noise of standard deviation
``noise_multiplier * clip`` is added to the sum, either by the server (central) or split
among the clients inside the secure sum (distributed; Kairouz et al. 2021): discrete
Gaussian noise on the quantization grid for SecAgg+, Gaussian noise on a fine grid
before encryption for CKKS under one-time keys; either way the server never sees an
un-noised sum. Privacy spent is tracked by :class:`pyppml.dp.PrivacyAccountant`.

In the distributed mode each of the ``expected_clients`` adds variance sigma^2 /
expected_clients; if fewer survive, the total noise is smaller, so the accountant is fed
the noise multiplier of the smallest admissible survivor count (``min_survivors``).
"""

from __future__ import annotations

import math

import numpy as np

from pyppml.dp import PrivacyAccountant, clip_l2, discrete_gaussian, gaussian_mechanism
from pyppml.fl.ckks_onetime import OneTimeAggregator
from pyppml.fl.errors import ParameterError
from pyppml.fl.simulator import SecureAggregator, check_updates

GRID = 1024.0  # continuous noise is drawn as sigma / GRID times a discrete Gaussian of width GRID
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
                 mod_bits: int = 32, accountant: str = "rdp", backend: str = "secagg", members: int = 3):
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
        self.accountant = PrivacyAccountant(accountant) if mode != "none" else None
        self.secure = secure or mode == "distributed"
        self.backend = backend
        self.aggregator = None
        # dim + 1 entries: the weighted update and its weight (the weight stays secret).
        if self.secure and backend == "secagg":
            self.aggregator = SecureAggregator(n_clients, self.dim + 1, threshold, neighbours, mod_bits, clip=self.clip,
                                               noise_headroom=0.5 if mode == "distributed" else 0.0)
        elif self.secure:
            bound = self.clip + (NOISE_TAIL * self._client_sigma() if mode == "distributed" else 0.0)
            self.aggregator = OneTimeAggregator(n_clients, self.dim + 1, members=members, threshold=threshold,
                                                max_abs_value=bound, min_clients=min_survivors)
        self.last_survivors: list = []

    def _client_sigma(self) -> float:
        return self.noise_multiplier * self.clip / math.sqrt(self.n_clients)

    def _client_noise(self) -> list | None:
        if self.mode != "distributed":
            return None
        if self.backend == "ckks":  # added to the float update before encryption
            return [np.concatenate([grid_gaussian(self._client_sigma(), self.dim), [0.0]])
                    for _ in range(self.n_clients)]
        q = self.aggregator.quantizer
        # An integer sigma (relative rounding error < 1e-6 at these scales) keeps the
        # exact sampler's rational arithmetic small.
        sigma_int = max(1, round(self.noise_multiplier * self.clip * q.scale / math.sqrt(self.n_clients)))
        return [np.concatenate([discrete_gaussian(sigma_int, self.dim), [0]]) for _ in range(self.n_clients)]

    def aggregate(self, updates, weights=None, dropouts=None) -> np.ndarray:
        """Noisy weighted average of the surviving clients' updates.

        ``weights`` in [0, 1] (e.g. n_examples / max_examples); each update is
        multiplied by its weight, then clipped to L2 norm ``clip``.

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
                                 f"[0, 1], got {w}")
        rows = []
        for i, u in enumerate(ups):
            if u is None:
                rows.append(None)
                continue
            wu = clip_l2((w[i] * u)[None, :], self.clip)[0] if self.mode != "none" else w[i] * u
            rows.append(np.concatenate([wu, [w[i] * self.clip]]))
        if self.secure and self.backend == "ckks":
            noise = self._client_noise()
            if noise is not None:
                rows = [None if r is None else r + z for r, z in zip(rows, noise)]
            total = self.aggregator.run_round(rows, dropouts)
            self.last_survivors = self.aggregator.report.survivors
        elif self.secure:
            total = self.aggregator.run_round(rows, dropouts, noise=self._client_noise())
            self.last_survivors = self.aggregator.report.survivors
        else:
            present = [r for r in rows if r is not None]
            total = np.sum(present, axis=0)
            self.last_survivors = [i for i, r in enumerate(rows) if r is not None]
        s, wsum = total[:-1], total[-1] / self.clip
        if self.mode == "central":
            sigma = self.noise_multiplier * self.clip
            s = s + grid_gaussian(sigma, self.dim)
        if self.mode != "none":
            nm = self.noise_multiplier
            if self.mode == "distributed":
                nm *= math.sqrt(min(self.min_survivors, len(self.last_survivors)) / self.n_clients)
            self.accountant.step(nm, self.sample_rate, 1)
        if wsum <= 0:
            raise ParameterError("DPFedAvg.aggregate: total weight is zero; expected a surviving client with weight > 0")
        return s / wsum

    def epsilon(self, delta: float) -> float:
        return 0.0 if self.accountant is None or self.accountant.steps == 0 else self.accountant.get_epsilon(delta)


def grid_gaussian(sigma: float, dim: int) -> np.ndarray:
    """Gaussian noise of standard deviation ``sigma`` on a fine grid (sigma / 1024), from
    the exact discrete Gaussian (no floating-point sampling)."""
    return discrete_gaussian(GRID, dim).astype(np.float64) * (sigma / GRID)
