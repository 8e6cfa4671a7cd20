"""The epsilon a membership test's error rates imply, with Clopper-Pearson confidence
bounds (Jagielski, Ullman, Oprea 2020; Nasr et al. 2021).

For an (epsilon, delta)-DP mechanism every test that tells "member" from "non-member"
satisfies TPR <= e^eps FPR + delta and 1 - FPR <= e^eps (1 - TPR) + delta (Kairouz, Oh,
Viswanath 2015), so

    eps >= max(log((TPR - delta) / FPR), log((1 - FPR - delta) / (1 - TPR))).

Both terms grow with TPR and fall with FPR: evaluated at a lower confidence bound of TPR
and an upper bound of FPR they give a lower bound of eps that holds with the confidence
of the two bounds together (each one-sided at (1 - confidence) / 2, a union bound)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaincinv

from pyppml.audit import _checks
from pyppml.dp._checks import fail


def clopper_pearson(k, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided Clopper-Pearson interval of a binomial proportion from k successes in n
    trials: each side misses with probability at most (1 - confidence) / 2.

    Parameters
    ----------
    k, n : int or array of int
        0 <= k <= n, n >= 1.
    confidence : float in (0, 1)

    Returns
    -------
    (lower, upper) : float64 arrays (0-d for scalar input) in [0, 1]
        lower = 0 at k = 0, upper = 1 at k = n; otherwise the beta quantiles
        B(alpha/2; k, n-k+1) and B(1-alpha/2; k+1, n-k).

    Raises
    ------
    pyppml.ParameterError
        k outside [0, n], n < 1, confidence outside (0, 1).

    Examples
    --------
    >>> lo, hi = clopper_pearson(0, 10, 0.95)
    >>> float(lo), round(float(hi), 4)      # 1 - 0.025^(1/10)
    (0.0, 0.3085)
    """
    api = "clopper_pearson"
    confidence = _checks.open_unit(api, "confidence", confidence)
    k = np.asarray(k)
    n = np.asarray(n)
    if not (np.issubdtype(k.dtype, np.integer) and np.issubdtype(n.dtype, np.integer)):
        fail(api, "k", "is not an integer count", "integers 0 <= k <= n", f"dtype {k.dtype} / {n.dtype}")
    if np.any(n < 1):
        fail(api, "n", "is not positive", "n >= 1", int(np.min(n)))
    if np.any((k < 0) | (k > n)):
        fail(api, "k", "is outside [0, n]", "0 <= k <= n", "a count out of range")
    half = (1.0 - confidence) / 2.0
    kf, nf = k.astype(np.float64), n.astype(np.float64)
    with np.errstate(all="ignore"):
        lower = np.where(k > 0, betaincinv(np.maximum(kf, 1.0), nf - kf + 1.0, half), 0.0)
        upper = np.where(k < n, betaincinv(kf + 1.0, np.maximum(nf - kf, 1.0), 1.0 - half), 1.0)
    return lower, upper


def epsilon_from_rates(tpr, fpr, delta: float = 0.0) -> np.ndarray:
    """max(log((tpr - delta) / fpr), log((1 - fpr - delta) / (1 - tpr))), element-wise, with
    log(0+) = -inf and x / 0 = +inf for x > 0 (a test with no false positive and a true
    positive rate above delta rules out every finite epsilon)."""
    tpr = np.asarray(tpr, dtype=np.float64)
    fpr = np.asarray(fpr, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(tpr > delta, np.log(np.maximum(tpr - delta, 0.0)) - np.log(fpr), -np.inf)
        b = np.where(1.0 - fpr > delta, np.log(np.maximum(1.0 - fpr - delta, 0.0)) - np.log1p(-tpr), -np.inf)
    return np.maximum(a, b)


@dataclass(frozen=True)
class EpsilonBound:
    """The epsilon implied by one test's confusion counts.

    lower_bound : eps from the Clopper-Pearson bounds (>= 0; 0 when the counts show nothing)
    point : eps from the observed rates (>= 0; inf when FPR = 0 < TPR - delta)
    tpr, fpr : the observed rates; tpr_low, fpr_high : their confidence bounds
    """

    lower_bound: float
    point: float
    tpr: float
    fpr: float
    tpr_low: float
    fpr_high: float


def epsilon_from_counts(true_positives: int, members: int, false_positives: int, nonmembers: int,
                        delta: float = 0.0, confidence: float = 0.95) -> EpsilonBound:
    """Epsilon lower bound (and point estimate) from the counts of one fixed test.

    The test must be fixed before the counted trials are drawn (its threshold chosen on
    other data) and the trials independent; then ``lower_bound`` <= the mechanism's
    epsilon with probability >= ``confidence`` (``empirical_epsilon`` arranges this).

    Parameters
    ----------
    true_positives, members : int
        Members flagged, out of members tested (>= 1).
    false_positives, nonmembers : int
        Non-members flagged, out of non-members tested (>= 1).
    delta : float in [0, 1)
    confidence : float in (0, 1)

    Raises
    ------
    pyppml.ParameterError
        Counts out of range, delta outside [0, 1), confidence outside (0, 1).

    Examples
    --------
    Randomized response at eps = 1 flags a member with probability e / (1 + e) = 0.731:

    >>> b = epsilon_from_counts(7311, 10000, 2689, 10000, confidence=0.95)
    >>> round(b.point, 3), round(b.lower_bound, 2)
    (1.0, 0.96)
    """
    api = "epsilon_from_counts"
    delta = _checks.delta(api, delta)
    confidence = _checks.open_unit(api, "confidence", confidence)
    members = _checks.count(api, "members", members, 1)
    nonmembers = _checks.count(api, "nonmembers", nonmembers, 1)
    tp = _checks.count(api, "true_positives", true_positives, 0)
    fp = _checks.count(api, "false_positives", false_positives, 0)
    if tp > members:
        fail(api, "true_positives", "exceeds members", f"<= {members}", tp)
    if fp > nonmembers:
        fail(api, "false_positives", "exceeds nonmembers", f"<= {nonmembers}", fp)
    tpr_low, _ = clopper_pearson(tp, members, confidence)
    _, fpr_high = clopper_pearson(fp, nonmembers, confidence)
    lb = float(max(epsilon_from_rates(tpr_low, fpr_high, delta), 0.0))
    tpr, fpr = tp / members, fp / nonmembers
    point = float(max(epsilon_from_rates(tpr, fpr, delta), 0.0))
    return EpsilonBound(lb, point, tpr, fpr, float(tpr_low), float(fpr_high))
