"""Privacy accounting on Google's ``dp_accounting`` library (RDP [Mironov 2017; Mironov et
al. 2019] or privacy loss distributions [Doroshenko et al. 2022]) for everything pyppml
releases: subsampled Gaussian steps (DP-SGD, DP-FedAvg), Gaussian and Laplace releases
at the noise actually added, and generic (epsilon, delta) releases. pyppml adds only the
bookkeeping: every record is a ``Charge`` kept in ``PrivacyAccountant.charges``.

Two batch samplings, each with its neighbouring relation:

* ``"poisson"`` (default): every example joins a step's batch independently with
  probability ``sample_rate``; neighbouring data sets differ by adding or removing one
  example, so the L2 sensitivity of a clipped sum is the clipping norm C.
* ``"fixed"``: batches of exactly ``batch_size`` drawn without replacement from
  ``dataset_size`` examples; neighbours differ by replacing one example (the only
  relation this sampling is analysed for [Wang, Balle, Kasiviswanathan 2019]), so the
  sensitivity of a clipped sum is 2C: the noise multiplier recorded must be
  std / (2C). RDP only (dp_accounting has no PLD for it).

What each method records, and how (``Charge.kind``):

========================  ===========================================  =====================================
kind                      "rdp"                                        "pld"
========================  ===========================================  =====================================
``subsampled_gaussian``   Poisson / without-replacement Gaussian RDP   Poisson-subsampled Gaussian PLD
``gaussian``              Gaussian RDP at sigma / sensitivity [1]      Gaussian PLD at sigma / sensitivity [2]
``discrete_gaussian``     Gaussian RDP (CKS20, Thm. 4)                 exact discrete Gaussian PLD
``laplace``               (epsilon, 0): RDP <= epsilon at every order  worst case of an epsilon-DP release
``discrete_laplace``      (epsilon, 0): RDP <= epsilon at every order  exact discrete Laplace PLD
``epsilon_delta``         delta = 0 only (no Rényi curve has delta>0)  worst case of an (eps, delta) release
========================  ===========================================  =====================================

[1] The discrete Gaussian meets the continuous one's Rényi bound [CKS20, Thm. 4 and 14].
[2] Noise on a grid is a d-dimensional discrete Gaussian; its hockey-stick curve is above
the continuous one by a relative ~0.5/sigma^2 in grid steps (< 1e-4 at the >= 64 steps
``gaussian_mechanism`` enforces, for delta >= 1e-20, the least it accepts). The
``discrete_*`` kinds are integer noise on a query that moves along one integer
coordinate by at most ``sensitivity`` (a count, a histogram
bin, an integer sum): their PLD is exact. A ``laplace`` charge over several coordinates
is composed as the worst case of any epsilon-DP release (Kairouz et al. 2015), which is
always valid. Under RDP, epsilon-DP releases compose additively in epsilon (their Rényi
divergence is at most epsilon at every order): basic composition, plus the RDP -> (eps,
delta) conversion's small overhead (~2% at epsilon 1, delta 1e-5); "pld" composes them
tightly.
"""

from __future__ import annotations

import logging
import math
import numbers
from fractions import Fraction

from pyppml.dp._checks import (bounded_real, fail, nonnegative_float, positive_float, positive_int, probability_open,
                               sampling_rate)
# The limits, Charge and KINDS are documented as this module's: importable from here too.
from pyppml.dp.accountant_checks import (MAX_RDP_ORDER, MIN_NOISE_MULTIPLIER, PLD_DISCRETIZATION_RANGE,  # noqa: F401
                                         check_multiplier, check_orders, check_pld_discretization, check_sensitivity)
from pyppml.dp.charge import KINDS, Charge  # noqa: F401


class PrivacyAccountant:
    """Tracks the (epsilon, delta) spent by everything charged to it.

    Parameters
    ----------
    method : {"rdp", "pld"}
        "rdp": Rényi DP with dp_accounting's default orders and its tight RDP -> (eps,
        delta) conversion; fast; refuses (epsilon, delta) releases with delta > 0.
        "pld": privacy loss distributions, tight for every kind, slower.
    sampling : {"poisson", "fixed"}
        Batch sampling of the steps, which also fixes the neighbouring relation
        (``relation``): add/remove one for "poisson", replace one for "fixed".
    orders : sequence of float, optional
        RDP orders (method "rdp" only): a non-empty sequence of finite reals, each
        > 1 and <= ``MAX_RDP_ORDER`` (10,000). Default: dp_accounting's (1.1 to 1024).
        Order infinity (pure DP) is not an order here: dp_accounting turns it into
        epsilon = 0.
    pld_discretization : float
        Discretization interval of the PLD (method "pld" only), in
        [1e-6, 1] (``PLD_DISCRETIZATION_RANGE``).

    Attributes
    ----------
    method, sampling : str
    relation : str
        "add_or_remove_one" or "replace_one": sensitivities charged must be for it (the
        release helpers double theirs for "replace_one").
    steps : int
        Steps recorded by ``step``.
    charges : tuple of Charge
        Everything recorded, in order.

    Raises
    ------
    ValueError (pyppml.ParameterError)
        Unknown method or sampling, sampling "fixed" with method "pld", ``orders``
        empty or with an entry that is not a finite real in (1, 10000],
        ``pld_discretization`` outside [1e-6, 1].

    Examples
    --------
    >>> from pyppml import dp
    >>> acc = dp.PrivacyAccountant("rdp")
    >>> acc.step(noise_multiplier=1.1, sample_rate=256 / 60000, steps=14063)
    >>> round(acc.get_epsilon(1e-5), 2)
    2.6
    >>> acc.record_laplace(scale=10.0, sensitivity=1.0, mechanism="my query")
    Charge(my query: laplace b=10 on sensitivity 1 (epsilon=0.1))
    >>> round(acc.get_epsilon(1e-5), 2)
    2.7
    """

    def __init__(self, method: str = "rdp", *, sampling: str = "poisson", orders=None,
                 pld_discretization: float = 1e-4):
        import dp_accounting
        from dp_accounting import pld, rdp  # imported here: only accounting needs it

        api = "dp.PrivacyAccountant"
        # dp_accounting logs one warning per RDP order it drops at small sigma: noise for users.
        logging.getLogger("absl").setLevel(logging.ERROR)
        if sampling not in ("poisson", "fixed"):
            fail(api, "sampling", "is unknown", "'poisson' or 'fixed'", sampling)
        if sampling == "fixed" and method != "rdp":
            fail(api, "method", "has no analysis of fixed-size batches", "'rdp' with sampling='fixed'", method)
        self.sampling = sampling
        self.relation = "replace_one" if sampling == "fixed" else "add_or_remove_one"
        if method == "rdp":
            relation = (dp_accounting.NeighboringRelation.REPLACE_ONE if sampling == "fixed"
                        else dp_accounting.NeighboringRelation.ADD_OR_REMOVE_ONE)
            self._rdp = rdp.RdpAccountant(None if orders is None else check_orders(api, orders), relation)
        elif method == "pld":
            self._vdi = check_pld_discretization(api, pld_discretization)
            # Composed here from dp_accounting's public PLD constructors (the same calls its
            # PLDAccountant makes), so that (epsilon, delta) releases, which have no DpEvent,
            # compose with the rest.
            self._pld = pld.privacy_loss_distribution.identity(value_discretization_interval=self._vdi)
        else:
            fail(api, "method", "is unknown", "'rdp' or 'pld'", method)
        self.method = method
        self.steps = 0
        self._charges: list[Charge] = []

    @property
    def charges(self) -> tuple:
        return tuple(self._charges)

    def step(self, noise_multiplier, sample_rate=None, steps: int = 1, *, dataset_size=None,
             batch_size=None) -> None:
        """Record ``steps`` steps of the Gaussian mechanism with noise multiplier
        std / sensitivity: on a Poisson sample of rate ``sample_rate`` (sampling
        "poisson"), or on batches of ``batch_size`` out of ``dataset_size`` drawn without
        replacement (sampling "fixed"; sensitivity 2C, see the module docstring).

        Raises
        ------
        ValueError
            noise_multiplier not finite, below 2**-40 (``MIN_NOISE_MULTIPLIER``) or
            above 2**1000, sample_rate outside (0, 1] or below 2**-1000, steps < 1,
            sizes missing or not 1 <= batch_size <= dataset_size for fixed batches, or
            given for Poisson sampling.
        """
        import dp_accounting

        api = "dp.PrivacyAccountant.step"
        nm = check_multiplier(api, "noise_multiplier", positive_float(api, "noise_multiplier", noise_multiplier),
                         noise_multiplier)
        k = positive_int(api, "steps", steps)
        event = dp_accounting.GaussianDpEvent(nm)
        if self.sampling == "poisson":
            if dataset_size is not None or batch_size is not None:
                fail(api, "batch_size", "is only for sampling='fixed'", "sample_rate alone", batch_size)
            if sample_rate is None:
                fail(api, "sample_rate", "is missing", "0 < sample_rate <= 1", sample_rate)
            q = sampling_rate(api, "sample_rate", sample_rate)
            if q < 1.0:
                event = dp_accounting.PoissonSampledDpEvent(q, event)
        else:
            n, b = (positive_int(api, "dataset_size", dataset_size), positive_int(api, "batch_size", batch_size))
            if b > n:
                fail(api, "batch_size", "exceeds dataset_size", f"batch_size <= {n}", batch_size)
            q = b / n
            if b < n:
                event = dp_accounting.SampledWithoutReplacementDpEvent(n, b, event)
        if self.method == "rdp":
            self._rdp.compose(dp_accounting.SelfComposedDpEvent(event, k))
        elif q < 1.0:
            self._compose_pld(self._plds().from_gaussian_mechanism(
                nm, value_discretization_interval=self._vdi, sampling_prob=q).self_compose(k))
        else:  # k full-batch steps are one Gaussian of std nm / sqrt(k), as PLDAccountant does
            self._compose_pld(self._plds().from_gaussian_mechanism(
                nm / math.sqrt(k), value_discretization_interval=self._vdi))
        self.steps += k
        self._charges.append(Charge("step", "subsampled_gaussian", nm, 1.0, None, 0.0, q, k))

    def record_gaussian(self, sigma, l2_sensitivity, *, count=1, integer_shift=False,
                        mechanism="user") -> Charge:
        """Record ``count`` Gaussian releases with noise standard deviation ``sigma`` on a
        query of L2 sensitivity ``l2_sensitivity`` (same units, rounding included).

        ``integer_shift=True`` states that the noise is the discrete Gaussian N_Z(0,
        sigma**2) on an integer query that moves along one coordinate by an integer of
        at most ``l2_sensitivity`` (which must then be an integer): PLD uses the exact
        discrete law. Otherwise the continuous Gaussian's curves are used (see [2] in the
        module docstring).

        Returns
        -------
        Charge, also appended to ``charges``.

        Raises
        ------
        ValueError (pyppml.ParameterError)
            sigma or l2_sensitivity not finite or outside [2**-1000, 2**1000],
            sigma / l2_sensitivity below 2**-40, count < 1, integer_shift with a
            non-integer sensitivity.
        """
        api = "dp.PrivacyAccountant.record_gaussian"
        s = positive_float(api, "sigma", sigma)
        sens = check_sensitivity(api, "l2_sensitivity", l2_sensitivity, integer_shift)
        check_multiplier(api, "sigma", s / float(sens), sigma)
        k = positive_int(api, "count", count)
        kind = "discrete_gaussian" if integer_shift else "gaussian"
        charge = Charge(mechanism, kind, s, float(sens), None, 0.0, 1.0, k)
        if self.method == "rdp":
            import dp_accounting

            self._rdp.compose(dp_accounting.GaussianDpEvent(s / float(sens)), k)
        elif integer_shift:
            self._compose_pld(self._plds().from_discrete_gaussian_mechanism(
                s, sensitivity=int(sens), value_discretization_interval=self._vdi).self_compose(k))
        else:
            self._compose_pld(self._plds().from_gaussian_mechanism(
                s / float(sens) / math.sqrt(k), value_discretization_interval=self._vdi))
        self._charges.append(charge)
        return charge

    def record_laplace(self, scale, sensitivity, *, count=1, integer_shift=False, mechanism="user") -> Charge:
        """Record ``count`` Laplace releases of noise scale ``scale`` on a query of L1
        sensitivity ``sensitivity`` (same units, rounding included): epsilon =
        sensitivity / scale each.

        ``integer_shift=True`` states that the noise is the discrete Laplace P(k) ∝
        exp(-|k| / scale) on an integer query that moves along one coordinate by an
        integer of at most ``sensitivity``: PLD uses the exact discrete law. Otherwise
        PLD composes the worst case of an epsilon-DP release (valid for any noise).

        Returns
        -------
        Charge, also appended to ``charges``.

        Raises
        ------
        ValueError (pyppml.ParameterError)
            scale or sensitivity not finite or outside [2**-1000, 2**1000], epsilon =
            sensitivity / scale above 2**1000, count < 1, integer_shift with a
            non-integer sensitivity.
        """
        api = "dp.PrivacyAccountant.record_laplace"
        b = bounded_real(api, "scale", scale)
        sens = check_sensitivity(api, "sensitivity", sensitivity, integer_shift)
        k = positive_int(api, "count", count)
        if Fraction(sens) / b > 2**1000:
            fail(api, "scale", "is too small for the sensitivity", "sensitivity / scale <= 2**1000", scale)
        eps = float(Fraction(sens) / b)
        kind = "discrete_laplace" if integer_shift else "laplace"
        charge = Charge(mechanism, kind, float(b), float(sens), eps, 0.0, 1.0, k)
        if self.method == "rdp":
            self._compose_pure_rdp(eps, k)
        elif integer_shift:
            self._compose_pld(self._plds().from_discrete_laplace_mechanism(
                float(1 / b), sensitivity=int(sens), value_discretization_interval=self._vdi).self_compose(k))
        else:
            self._compose_pld(self._worst_case_pld(eps, 0.0, k))
        self._charges.append(charge)
        return charge

    def record_epsilon_delta(self, epsilon, delta=0.0, *, count=1, mechanism="user") -> Charge:
        """Record ``count`` releases each (epsilon, delta)-DP for this accountant's
        neighbouring relation, composed as the worst mechanism with that guarantee.

        Returns
        -------
        Charge, also appended to ``charges``.

        Raises
        ------
        ValueError (pyppml.ParameterError)
            epsilon not finite or <= 0, delta outside [0, 1), count < 1, or delta > 0
            with method "rdp" (an (epsilon, delta) guarantee with delta > 0 has no Rényi
            curve: use ``PrivacyAccountant("pld")``).
        """
        api = "dp.PrivacyAccountant.record_epsilon_delta"
        eps = positive_float(api, "epsilon", epsilon)
        dlt = 0.0 if isinstance(delta, numbers.Real) and not isinstance(delta, bool) and delta == 0 else None
        if dlt is None:
            dlt = probability_open(api, "delta", delta)
        k = positive_int(api, "count", count)
        if self.method == "rdp":
            if dlt > 0.0:
                fail(api, "delta", "> 0 has no Rényi-DP curve for method 'rdp'",
                     "delta = 0, or PrivacyAccountant('pld') for delta > 0", delta)
            self._compose_pure_rdp(eps, k)
        else:
            self._compose_pld(self._worst_case_pld(eps, dlt, k))
        charge = Charge(mechanism, "epsilon_delta", None, None, eps, dlt, 1.0, k)
        self._charges.append(charge)
        return charge

    def get_epsilon(self, delta) -> float:
        """Smallest epsilon such that everything recorded so far is (epsilon, delta)-DP.

        Raises
        ------
        ValueError
            delta outside (0, 1).
        """
        d = probability_open("dp.PrivacyAccountant.get_epsilon", "delta", delta)
        if self.method == "rdp":
            return float(self._rdp.get_epsilon(d))
        return float(self._pld.get_epsilon_for_delta(d))

    def get_delta(self, epsilon) -> float:
        """delta for a given epsilon >= 0.

        Raises
        ------
        ValueError
            epsilon not a real, not finite, < 0, or outside [2**-1000, 2**1000] when
            not 0.
        """
        eps = nonnegative_float("dp.PrivacyAccountant.get_delta", "epsilon", epsilon)
        if self.method == "rdp":
            return float(self._rdp.get_delta(eps))
        return float(self._pld.get_delta_for_epsilon(eps))

    def __repr__(self) -> str:
        return (f"PrivacyAccountant(method={self.method!r}, sampling={self.sampling!r}, steps={self.steps}, "
                f"charges={len(self._charges)})")

    # -- a ledger, never forked --------------------------------------------------------
    # scikit-learn's clone (cross_val_score, GridSearchCV) deep-copies an estimator's
    # settings: a shared accountant was copied, the fits charged the copies and the
    # shared one stayed at zero (review 2026-12-08). Copies are the accountant itself.

    def __copy__(self) -> PrivacyAccountant:
        return self

    def __deepcopy__(self, memo) -> PrivacyAccountant:
        return self

    def __setstate__(self, state) -> None:
        # A pickle is a snapshot: what a process that restores it charges never reaches
        # the original (scikit-learn's workers with n_jobs > 1 restore one per fit).
        self.__dict__.update(state)
        self._restored = True

    @property
    def restored(self) -> bool:
        """Whether this accountant was restored from a pickle and not yet adopted with
        :meth:`resume`: shared-accountant fits refuse it, since their charges would not
        reach the ledger it was copied from."""
        return getattr(self, "_restored", False)

    def resume(self) -> PrivacyAccountant:
        """Adopt a restored accountant as the ledger from now on (e.g. after loading it
        from disk in a new session); returns it."""
        self._restored = False
        return self

    # -- internals -------------------------------------------------------------------

    @staticmethod
    def _plds():
        from dp_accounting.pld import privacy_loss_distribution

        return privacy_loss_distribution

    def _compose_pld(self, other) -> None:
        self._pld = self._pld.compose(other)

    def _worst_case_pld(self, eps: float, delta: float, k: int):
        from dp_accounting.pld import common

        params = common.DifferentialPrivacyParameters(eps, delta)
        return self._plds().from_privacy_parameters(params, value_discretization_interval=self._vdi).self_compose(k)

    def _compose_pure_rdp(self, eps: float, k: int) -> None:
        import dp_accounting

        # An epsilon-DP release has Rényi divergence <= epsilon at every order: the zCDP
        # event with rho = 0, xi = epsilon carries exactly that bound.
        self._rdp.compose(dp_accounting.ZCDpEvent(0.0, eps), k)
