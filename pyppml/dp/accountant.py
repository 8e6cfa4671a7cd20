"""Privacy accounting for runs of subsampled Gaussian steps (DP-SGD, DP-FedAvg), on
Google's ``dp_accounting`` library (RDP [Mironov 2017; Mironov et al. 2019] or privacy
loss distributions [Doroshenko et al. 2022]); pyppml adds only the bookkeeping."""

from __future__ import annotations

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

    def __init__(self, method: str = "rdp", *, orders=None, pld_discretization: float = 1e-4):
        from dp_accounting import pld, rdp  # imported here: only accounting needs it

        if method == "rdp":
            self._accountant = rdp.RdpAccountant(orders) if orders is not None else rdp.RdpAccountant()
        elif method == "pld":
            pd = float(positive_real("dp.PrivacyAccountant", "pld_discretization", pld_discretization))
            self._accountant = pld.PLDAccountant(value_discretization_interval=pd)
        else:
            fail("dp.PrivacyAccountant", "method", "is unknown", "'rdp' or 'pld'", method)
        self.method = method
        self.steps = 0
        self._events = []  # (noise_multiplier, sample_rate, steps), for repr and audits

    def step(self, noise_multiplier, sample_rate, steps: int = 1) -> None:
        """Record ``steps`` steps of the Gaussian mechanism with noise multiplier
        sigma/C on a Poisson sample of rate ``sample_rate``.

        Raises
        ------
        ValueError
            noise_multiplier not finite or <= 0, sample_rate outside (0, 1], steps < 1.
        """
        import dp_accounting

        api = "dp.PrivacyAccountant.step"
        nm = float(positive_real(api, "noise_multiplier", noise_multiplier))
        q = float(positive_real(api, "sample_rate", sample_rate))
        if q > 1.0:
            fail(api, "sample_rate", "is above 1", "0 < sample_rate <= 1", sample_rate)
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
            fail(api, "steps", "is not a positive integer", "steps >= 1", steps)
        event = dp_accounting.GaussianDpEvent(nm)
        if q < 1.0:
            event = dp_accounting.PoissonSampledDpEvent(q, event)
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
        return f"PrivacyAccountant(method={self.method!r}, steps={self.steps})"
