"""Privacy accounting for runs of subsampled Gaussian steps (DP-SGD, DP-FedAvg), on
Google's ``dp_accounting`` library (RDP [Mironov 2017; Mironov et al. 2019] or privacy
loss distributions [Doroshenko et al. 2022]); pyppml adds only the bookkeeping.

Two batch samplings, each with its neighbouring relation:

* ``"poisson"`` (default): every example joins a step's batch independently with
  probability ``sample_rate``; neighbouring data sets differ by adding or removing one
  example, so the L2 sensitivity of a clipped sum is the clipping norm C.
* ``"fixed"``: batches of exactly ``batch_size`` drawn without replacement from
  ``dataset_size`` examples; neighbours differ by replacing one example (the only
  relation this sampling is analysed for [Wang, Balle, Kasiviswanathan 2019]), so the
  sensitivity of a clipped sum is 2C: the noise multiplier recorded must be
  std / (2C). RDP only (dp_accounting has no PLD for it).
"""

from __future__ import annotations

import logging
import numbers

from pyppml.dp._checks import fail, positive_real, probability_open


class PrivacyAccountant:
    """Tracks the (epsilon, delta) spent by Poisson-subsampled Gaussian steps.

    Parameters
    ----------
    method : {"rdp", "pld"}
        "rdp": Rényi DP with dp_accounting's default orders and its tight RDP -> (eps,
        delta) conversion; fast. "pld": privacy loss distributions, tighter, slower.
    orders : sequence of float, optional
        RDP orders (method "rdp" only).
    pld_discretization : float
        Discretization interval of the PLD (method "pld" only).

    Raises
    ------
    ValueError
        Unknown method, or bad step parameters (see ``step``).

    Examples
    --------
    >>> from pyppml import dp
    >>> acc = dp.PrivacyAccountant("rdp")
    >>> acc.step(noise_multiplier=1.1, sample_rate=256 / 60000, steps=14063)
    >>> round(acc.get_epsilon(1e-5), 2)
    2.6
    """

    def __init__(self, method: str = "rdp", *, sampling: str = "poisson", orders=None,
                 pld_discretization: float = 1e-4):
        import dp_accounting
        from dp_accounting import pld, rdp  # imported here: only accounting needs it

        # dp_accounting logs one warning per RDP order it drops at small sigma: noise for users.
        logging.getLogger("absl").setLevel(logging.ERROR)
        if sampling not in ("poisson", "fixed"):
            fail("dp.PrivacyAccountant", "sampling", "is unknown", "'poisson' or 'fixed'", sampling)
        if sampling == "fixed" and method != "rdp":
            fail("dp.PrivacyAccountant", "method", "has no analysis of fixed-size batches", "'rdp' with sampling='fixed'", method)
        self.sampling = sampling
        if method == "rdp":
            relation = (dp_accounting.NeighboringRelation.REPLACE_ONE if sampling == "fixed"
                        else dp_accounting.NeighboringRelation.ADD_OR_REMOVE_ONE)
            self._accountant = rdp.RdpAccountant(orders, relation)
        elif method == "pld":
            pd = float(positive_real("dp.PrivacyAccountant", "pld_discretization", pld_discretization))
            self._accountant = pld.PLDAccountant(value_discretization_interval=pd)
        else:
            fail("dp.PrivacyAccountant", "method", "is unknown", "'rdp' or 'pld'", method)
        self.method = method
        self.steps = 0
        self._events = []  # (noise_multiplier, sample_rate, steps), for repr and audits

    def step(self, noise_multiplier, sample_rate=None, steps: int = 1, *, dataset_size=None,
             batch_size=None) -> None:
        """Record ``steps`` steps of the Gaussian mechanism with noise multiplier
        std / sensitivity: on a Poisson sample of rate ``sample_rate`` (sampling
        "poisson"), or on batches of ``batch_size`` out of ``dataset_size`` drawn without
        replacement (sampling "fixed"; sensitivity 2C, see the module docstring).

        Raises
        ------
        ValueError
            noise_multiplier not finite or <= 0, sample_rate outside (0, 1], steps < 1,
            sizes missing or not 1 <= batch_size <= dataset_size for fixed batches, or
            given for Poisson sampling.
        """
        import dp_accounting

        api = "dp.PrivacyAccountant.step"
        nm = float(positive_real(api, "noise_multiplier", noise_multiplier))
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
            fail(api, "steps", "is not a positive integer", "steps >= 1", steps)
        event = dp_accounting.GaussianDpEvent(nm)
        if self.sampling == "poisson":
            if dataset_size is not None or batch_size is not None:
                fail(api, "batch_size", "is only for sampling='fixed'", "sample_rate alone", batch_size)
            if sample_rate is None:
                fail(api, "sample_rate", "is missing", "0 < sample_rate <= 1", sample_rate)
            q = float(positive_real(api, "sample_rate", sample_rate))
            if q > 1.0:
                fail(api, "sample_rate", "is above 1", "0 < sample_rate <= 1", sample_rate)
            if q < 1.0:
                event = dp_accounting.PoissonSampledDpEvent(q, event)
        else:
            n, b = (_count(api, "dataset_size", dataset_size), _count(api, "batch_size", batch_size))
            if b > n:
                fail(api, "batch_size", "exceeds dataset_size", f"batch_size <= {n}", batch_size)
            q = b / n
            if b < n:
                event = dp_accounting.SampledWithoutReplacementDpEvent(n, b, event)
        self._accountant.compose(dp_accounting.SelfComposedDpEvent(event, int(steps)))
        self.steps += int(steps)
        self._events.append((nm, q, int(steps)))

    def get_epsilon(self, delta) -> float:
        """Smallest epsilon such that the run so far is (epsilon, delta)-DP.

        Raises
        ------
        ValueError
            delta outside (0, 1).
        """
        d = probability_open("dp.PrivacyAccountant.get_epsilon", "delta", delta)
        return float(self._accountant.get_epsilon(d))

    def get_delta(self, epsilon) -> float:
        """delta for a given epsilon >= 0."""
        eps = float(epsilon)
        if not eps >= 0.0 or eps == float("inf"):
            fail("dp.PrivacyAccountant.get_delta", "epsilon", "is not finite and >= 0", "epsilon >= 0", epsilon)
        return float(self._accountant.get_delta(eps))

    def __repr__(self) -> str:
        return f"PrivacyAccountant(method={self.method!r}, sampling={self.sampling!r}, steps={self.steps})"


def _count(api: str, arg: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        fail(api, arg, "is not a positive integer", f"{arg} >= 1", value)
    return int(value)
