"""Differentially private federated averaging (McMahan et al. 2018): each client's
update is clipped to L2 norm ``clip``; Gaussian noise of standard deviation
``noise_multiplier * clip`` (times the grid rounding inflation, see
:mod:`pyppml.fl.dp_fedavg_noise`) is added to the sum,
either by the server (central) or split among the clients inside the secure sum
(distributed; Kairouz et al. 2021): discrete Gaussian noise on the quantization grid for
SecAgg+, discrete Gaussian noise on a power-of-two grid before encryption for CKKS under
one-time keys; either way the server never sees an un-noised sum. Privacy spent is
tracked by :class:`pyppml.dp.PrivacyAccountant`.

The average divides the noisy sum by a fixed public denominator (the fixed-denominator
estimator of McMahan et al. 2018, ``denominator``, default ``n_clients``: every client at
the maximum weight 1), never by the clients' weights: their sum is not sent at all.

Accounting: the accountant is stepped once per round with noise multiplier
``noise_multiplier`` (central), or, distributed, with
``noise_multiplier * sqrt((min(min_survivors, k) - colluders) / n_clients)`` where ``k`` is
the number of clients whose noise reached the sum: each of the ``n_clients`` adds variance
sigma^2 / n_clients, so k survivors carry sigma^2 k / n_clients, and ``colluders`` clients
that pool their shares with the server take theirs out of it (review 2026-12-08: with 5
of 10 clients colluding, 50 rounds reported epsilon 57 against the coalition's 96).
Central rounds are charged before the server draws its noise; distributed rounds as soon
as the secure sum returns (k is known only then; a round that fails there releases
nothing), before anything else is done with it.

Participation (``sample_rate``): by default every client takes part in every round
(rate 1, add/remove-one neighbours). Amplification by subsampling is claimed only for
a sampling pyppml performs or that the caller states, and only against parties who do
not see the sample:

* ``sampling="poisson"``: ``n_clients`` is the whole population. Each round,
  :meth:`DPFedAvg.aggregate` draws every client's coin from the CSPRNG
  (:func:`pyppml.dp.sampling.poisson_sample`, rate ``sample_rate``); a client whose
  coin fails adds a zero update (with its share of the noise in distributed mode), so
  the secure sum looks the same whoever was sampled. The sum is divided by the expected
  cohort ``sample_rate * n_clients`` and the accountant composes a Poisson-subsampled
  Gaussian (add/remove-one) [Abadi et al. 2016; Mironov et al. 2019].
* ``sampling="fixed"``: the caller draws a cohort of exactly ``n_clients`` out of
  ``population`` uniformly without replacement and passes its updates. The accountant
  composes a sampled-without-replacement Gaussian [Wang, Balle, Kasiviswanathan 2019],
  analysed for replace-one neighbours only: one client's update moves the sum by 2 clip,
  so the multiplier charged is half the one above (RDP only). Poisson accounting of a
  fixed cohort understated epsilon (1.65 reported for 2.54 to 15.6 at N = 10,000, m = 100,
  500 rounds).

Amplification needs the sample to be hidden from the adversary. In distributed mode the
adversary is the server running the secure sum, which sees who takes part (with
``"fixed"``, who was chosen; a real deployment also shows it who sends what and when), so
``sample_rate < 1`` is refused there unless the caller states ``cohort_hidden=True``: the
server cannot tell which clients were sampled (clients flip their own coins and send
zeros otherwise, as the Poisson simulation here does, or reach it through an anonymous
channel). In central mode the server is trusted with the exact sum and the guarantee
is for those who see the released averages: it holds as long as the cohort
(``last_cohort``) is not published.
"""

from __future__ import annotations

import math

import numpy as np

from pyppml.dp import PrivacyAccountant, clip_l2
from pyppml.dp._checks import fail, nonnegative_float, positive_float, positive_int, sampling_rate
from pyppml.dp.sampling import poisson_sample
from pyppml.fl.ckks.onetime import OneTimeAggregator
from pyppml.fl.common.errors import ParameterError, TooFewSurvivorsError
from pyppml.fl.common.rounds import check_updates
# The noise helpers were defined here first: importable from here too (pyppml.fl.flower does).
from pyppml.fl.dp_fedavg_noise import (check_grid_encodes, check_noise_shares, grid_gaussian, grid_step,
                                       quantized_noise, quantized_sensitivity)
from pyppml.fl.secagg.quantize import noise_headroom
from pyppml.fl.secagg.simulator import SecureAggregator

# Headroom of a CKKS plan's max_abs_value for a client's noisy entries, in standard
# deviations of its noise: an entry beyond it (probability ~1e-19) makes the client fail
# the round rather than clip its noise.
NOISE_TAIL = 9.0

#: Largest n_clients (every round holds one row per client).
MAX_CLIENTS = 2**31


class DPFedAvg:
    """Weighted federated averaging with client-level DP.

    Parameters
    ----------
    n_clients, dim : int, >= 1
        Clients whose updates ``aggregate`` takes (with ``sampling="poisson"``: the
        whole population; with ``"fixed"``: the cohort); model size.
    clip : float, > 0
        L2 bound of each (weighted) client update.
    noise_multiplier : float
        sigma / clip of the Gaussian noise on the sum, > 0 (ignored with mode "none").
    mode : {"central", "distributed", "none"}
        Who adds the noise: the server after aggregation, or the clients inside secure
        aggregation (discrete Gaussian).
    secure : bool
        Aggregate securely (always true for "distributed").
    backend : {"secagg", "ckks"}
        The secure sum: SecAgg+ (:class:`SecureAggregator`, quantized) or CKKS under
        one-time committee keys (:class:`OneTimeAggregator`; ``members`` and
        ``threshold`` then size the committee).
    sample_rate : float, in (0, 1]
        Probability that a client takes part in a round (``"poisson"``), or
        ``n_clients / population`` (``"fixed"``). Below 1 it needs ``sampling``, and in
        distributed mode ``cohort_hidden=True`` (see the module docstring).
    sampling : {"poisson", "fixed"}, optional
        How the cohort is drawn when ``sample_rate < 1`` (required then): by
        ``aggregate`` from the ``n_clients`` (``"poisson"``), or by the caller, exactly
        ``n_clients`` out of ``population`` uniformly without replacement (``"fixed"``).
    population : int, optional
        Size of the population the cohort is drawn from: required with ``"fixed"``
        (then ``sample_rate`` must be ``n_clients / population``); with ``"poisson"`` it
        is ``n_clients`` (any other value is refused).
    cohort_hidden : bool
        The caller's statement that the server running a distributed round cannot tell
        which clients were sampled; required for ``sample_rate < 1`` in distributed
        mode, where the server is the adversary and amplification does not hold
        against a party that sees the sample.
    min_survivors : int, optional
        Smallest survivor count for which the round is accounted (distributed mode).
    colluders : int
        Clients that may pool their noise shares with the server (distributed mode;
        default 0). Each knows its own share, so the accountant counts the noise of
        ``min(min_survivors, k) - colluders`` clients of the ``k`` in the sum. SecAgg+'s
        threat model lets up to ``threshold - 1`` clients per neighbourhood join the
        server; the default counts every survivor's noise (no client colludes).
    threshold, neighbours, mod_bits :
        With ``backend="secagg"``, see :class:`pyppml.fl.secagg.SecAggParams` (a
        threshold below the honest majority is refused); with ``"ckks"``, ``threshold``
        sizes the committee.
    denominator : float, optional
        Public total weight the noisy sum is divided by (with DP; default ``n_clients``,
        or the expected cohort ``sample_rate * n_clients`` with ``"poisson"``).
        Without DP (``mode="none"``) the average divides by the survivors' exact total
        weight, which then rides in the secure sum as one more entry.

    Attributes
    ----------
    accountant : PrivacyAccountant or None
        Charged once per round (None with mode "none").
    last_survivors : list of int
        Clients whose rows reached the last sum.
    last_cohort : list of int
        Clients sampled in the last round (every client at rate 1 or with
        ``"fixed"``): the server's secret in central mode.

    Raises
    ------
    ValueError (pyppml.ParameterError)
        At construction, before any round: an unknown mode, backend or sampling;
        n_clients, dim or population not integers >= 1 (n_clients <= 2**31, dim <=
        2**40, population <= 2**62); clip or noise_multiplier not
        finite or outside [2**-1000, 2**1000]; sample_rate outside (0, 1], below 1
        without ``sampling``, inconsistent with ``population``, or below 1 in
        distributed mode without ``cohort_hidden=True``; ``"fixed"`` with a PLD
        accountant.

    Examples
    --------
    >>> import numpy as np
    >>> fa = DPFedAvg(n_clients=4, dim=3, clip=1.0, noise_multiplier=0.0, mode="none")
    >>> np.round(fa.aggregate([np.full(3, 0.1)] * 4, weights=[1, 1, 1, 1]), 4).tolist()
    [0.1, 0.1, 0.1]

    Central DP over a population of 1,000 clients, each taking part with probability 0.05:

    >>> fa = DPFedAvg(1000, 3, clip=1.0, noise_multiplier=1.0, mode="central", secure=False,
    ...               sample_rate=0.05, sampling="poisson")
    >>> avg = fa.aggregate([np.full(3, 0.01)] * 1000)   # divided by 0.05 * 1000 = 50
    >>> fa.accountant.charges[-1].sample_rate
    0.05
    """

    def __init__(self, n_clients: int, dim: int, clip: float = 1.0, noise_multiplier: float = 1.0,
                 mode: str = "distributed", secure: bool = True, sample_rate: float = 1.0,
                 min_survivors: int | None = None, threshold: int | None = None, neighbours: int | None = None,
                 mod_bits: int = 32, accountant: str = "rdp", backend: str = "secagg", members: int = 3,
                 denominator: float | None = None, *, sampling: str | None = None, population: int | None = None,
                 cohort_hidden: bool = False, colluders: int = 0):
        api = "DPFedAvg"
        if backend not in ("secagg", "ckks"):
            raise ParameterError(f"DPFedAvg: backend is unknown; expected 'secagg' or 'ckks', got {backend!r}")
        if mode not in ("central", "distributed", "none"):
            raise ParameterError(f"DPFedAvg: mode is unknown; expected 'central', 'distributed' or 'none', got {mode!r}")
        # Every parameter is checked here, before any round: a bad one used to fail inside
        # aggregate, after the secure round had run and the noise had been drawn.
        # n_clients rows and dim entries are held in memory: caps far above any round.
        self.n_clients = positive_int(api, "n_clients", n_clients, MAX_CLIENTS)
        self.dim = positive_int(api, "dim", dim, 2**40)
        self.clip = positive_float(api, "clip", clip)
        self.noise_multiplier = (nonnegative_float(api, "noise_multiplier", noise_multiplier) if mode == "none"
                                 else positive_float(api, "noise_multiplier", noise_multiplier))
        self.mode = mode
        self.sample_rate, self.sampling, self.population = self._participation(sample_rate, sampling, population)
        if not isinstance(cohort_hidden, (bool, np.bool_)):
            fail(api, "cohort_hidden", "is not a bool", "True or False", cohort_hidden)
        self.cohort_hidden = bool(cohort_hidden)
        if mode == "distributed" and self.sample_rate < 1.0 and not self.cohort_hidden:
            fail(api, "sample_rate", "< 1 claims amplification against the server, which sees the cohort in "
                 "distributed mode", "sample_rate=1, or cohort_hidden=True if the server cannot tell who was sampled",
                 sample_rate)
        if min_survivors is not None:
            min_survivors = positive_int(api, "min_survivors", min_survivors)
            if min_survivors > self.n_clients:
                fail(api, "min_survivors", "exceeds n_clients", f"1 <= min_survivors <= {self.n_clients}",
                     min_survivors)
        self.min_survivors = min_survivors or self.n_clients
        self.colluders = 0 if colluders == 0 else positive_int(api, "colluders", colluders)
        if self.colluders and mode != "distributed":
            fail(api, "colluders", "applies to distributed noise only (the clients' shares)",
                 "0 with mode='central' or 'none'", colluders)
        if self.colluders >= self.min_survivors:
            fail(api, "colluders", "leaves no honest noise share in the smallest accounted sum",
                 f"0 <= colluders < min_survivors = {self.min_survivors}", colluders)
        if denominator is None:
            denominator = self.sample_rate * self.n_clients if self.sampling == "poisson" else self.n_clients
        self.denominator = positive_float(api, "denominator", denominator)
        if mode == "none":
            self.accountant = None
        elif self.sampling == "fixed":
            if accountant != "rdp":
                fail(api, "accountant", "has no analysis of fixed-size cohorts", "'rdp' with sampling='fixed'",
                     accountant)
            self.accountant = PrivacyAccountant("rdp", sampling="fixed")
        else:
            self.accountant = PrivacyAccountant(accountant)
        self.secure = secure or mode == "distributed"
        self.backend = backend
        self.aggregator = None
        # Without DP the exact total weight rides along as one more entry (w * clip); with
        # DP it is never sent: the average divides by the public ``denominator``.
        width = self.dim + (1 if mode == "none" else 0)
        if self.secure and backend == "secagg":
            self.aggregator = SecureAggregator(self.n_clients, width, threshold, neighbours, mod_bits, clip=self.clip,
                                               noise_headroom=noise_headroom(self.n_clients, self.noise_multiplier,
                                                                             width, mod_bits)
                                               if mode == "distributed" else 0.0)
        elif self.secure:
            # Rounding to the noise grid moves an entry by <= step / 2 <= clip / 2048.
            bound = self.clip * (1 + 1 / 1024) + (NOISE_TAIL * self._client_sigma() if mode == "distributed" else 0.0)
            self.aggregator = OneTimeAggregator(self.n_clients, width, members=members, threshold=threshold,
                                                max_abs_value=bound, min_clients=min_survivors)
        if mode == "central" or (mode == "distributed" and backend == "ckks"):
            shares = self.n_clients if mode == "distributed" else 1
            _check_grid_noise(self.noise_multiplier / math.sqrt(shares), self._central_sensitivity()
                              if mode == "central" else self.clip, self.dim, noise_multiplier)
        if mode == "distributed":
            # Every client's share at least 2 grid steps wide, or the sum is narrower than
            # charged (many clients, little noise): refused before any round.
            scale = self.aggregator.quantizer.scale if backend == "secagg" else None
            check_noise_shares(api, self.noise_multiplier, self.clip, self.dim, self.n_clients, scale)
            if backend == "ckks":
                check_grid_encodes(api, self.aggregator.params, self.clip, self.dim)
        self.last_survivors: list = []
        self.last_cohort: list = []

    def _participation(self, sample_rate, sampling, population) -> tuple[float, str | None, int]:
        """(sample_rate, sampling, population), checked: sampling is None exactly at rate 1."""
        api = "DPFedAvg"
        q = sampling_rate(api, "sample_rate", sample_rate)
        if sampling not in (None, "poisson", "fixed"):
            fail(api, "sampling", "is unknown", "'poisson' or 'fixed'", sampling)
        pop = None if population is None else positive_int(api, "population", population, 2**62)
        if q == 1.0:
            if pop is not None and pop != self.n_clients:
                fail(api, "population", "differs from n_clients at sample_rate 1", f"None or {self.n_clients}",
                     population)
            return 1.0, None, self.n_clients
        if sampling is None:
            fail(api, "sampling", "is missing for sample_rate < 1",
                 "'poisson' (aggregate samples the n_clients) or 'fixed' (you pass a uniform cohort of n_clients "
                 "out of population)", sampling)
        if sampling == "poisson":
            if pop is not None and pop != self.n_clients:
                fail(api, "population", "differs from n_clients with sampling='poisson'",
                     f"None or {self.n_clients} (aggregate takes the whole population's updates)", population)
            return q, "poisson", self.n_clients
        if pop is None:
            fail(api, "population", "is missing for sampling='fixed'", "the size the cohort is drawn from", population)
        if pop <= self.n_clients or abs(q * pop - self.n_clients) > 1e-9 * self.n_clients:
            fail(api, "sample_rate", "does not match the cohort", f"n_clients / population = {self.n_clients}/{pop} "
                 "with population > n_clients", sample_rate)
        return self.n_clients / pop, "fixed", pop

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
        divided by ``denominator``; without, by the survivors' total weight. With
        ``sampling="poisson"`` only the clients whose coin comes up this round count
        (``last_cohort``); the others add zeros.

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
        if self.sampling == "poisson":
            # Each client's own coin, from the CSPRNG; a client not sampled sends zeros,
            # so the secure sum does not show who was.
            sampled = poisson_sample(self.n_clients, self.sample_rate)
        else:
            sampled = np.ones(self.n_clients, dtype=bool)
        self.last_cohort = np.flatnonzero(sampled).tolist()
        rows = []
        for i, u in enumerate(ups):
            if u is None:
                rows.append(None)
            elif not sampled[i]:
                rows.append(np.zeros(self.dim + (1 if self.mode == "none" else 0)))
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
        # Charged before the server draws its noise (central), or as soon as the secure
        # sum of the clients' noisy rows is back (distributed): nothing after this raises.
        self._charge(len(self.last_survivors))
        if self.mode == "central":
            total = grid_gaussian(total, self.noise_multiplier, self._central_sensitivity())
        elif self.backend == "ckks":
            # Every client's noisy row is on the grid and encodes exactly (one real per
            # coefficient, check_grid_encodes); decryption adds only the fresh noise of
            # the encryptions and shares, ~1e-3 steps: snap the sum back to the grid
            # (post-processing) so that its low bits carry nothing.
            step = grid_step(self.clip, self.dim)
            total = np.rint(np.asarray(total, dtype=np.float64) / step) * step
        return total / self.denominator

    def _charge(self, survivors: int) -> None:
        """One round to the accountant: Poisson at ``sample_rate`` (or full
        participation), or a fixed cohort of ``n_clients`` out of ``population`` at
        replace-one sensitivity 2 clip (multiplier halved)."""
        nm = self.accounted_multiplier(survivors)
        if self.sampling == "fixed":
            self.accountant.step(nm / 2.0, None, 1, dataset_size=self.population, batch_size=self.n_clients)
        else:
            self.accountant.step(nm, self.sample_rate, 1)

    def accounted_multiplier(self, survivors: int) -> float:
        """The noise multiplier the accountant is told for a round with ``survivors``
        clients in the sum (see the module note)."""
        if self.mode == "distributed":
            honest = min(self.min_survivors, survivors) - self.colluders
            if honest < 1:
                raise TooFewSurvivorsError(f"DPFedAvg.aggregate: too few survivors for the colluders; expected more "
                                           f"than colluders = {self.colluders} clients in the sum, got {survivors}")
            return self.noise_multiplier * math.sqrt(honest / self.n_clients)
        return self.noise_multiplier

    def epsilon(self, delta: float) -> float:
        return 0.0 if self.accountant is None or self.accountant.steps == 0 else self.accountant.get_epsilon(delta)


def _check_grid_noise(multiplier: float, sensitivity: float, dim: int, shown) -> None:
    """At construction: the grid noise ``grid_gaussian`` will draw each round exists (a
    grid within the float range, a standard deviation below 2**31 grid steps), so that
    no round fails after it is charged."""
    try:
        step = grid_step(sensitivity, dim)
    except ParameterError:
        fail("DPFedAvg", "clip", "is too large for the noise grid", "clip / (1024 sqrt(dim)) below 2**972",
             sensitivity)
    if multiplier * (sensitivity / step + math.isqrt(dim - 1) + 1) >= 2.0**31 * (1 - 1e-6):
        fail("DPFedAvg", "noise_multiplier", "is too large for the grid",
             "a noise std below 2**31 grid steps (noise_multiplier * 1025 sqrt(dim) < 2**31)", shown)
