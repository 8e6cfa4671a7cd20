"""Empirical epsilon of a membership score: pick the threshold on one part of the
records, count its errors on the other part, and turn the counts into an epsilon lower
bound (``bounds``).

Choosing the threshold on the records it is evaluated on would make the reported bound
the best of many tests, each only valid alone: not a lower bound. Here members and
non-members are each split at random (CSPRNG) into a calibration part, where the
threshold that maximises the Clopper-Pearson bound is chosen, and an evaluation part,
whose counts alone give the reported bound (Jagielski et al. 2020 do the same with
separate trials)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pyppml.audit import _checks, _random
from pyppml.audit.bounds import clopper_pearson, epsilon_from_counts, epsilon_from_rates
from pyppml.dp._checks import fail


@dataclass(frozen=True)
class EpsilonEstimate:
    """Result of ``empirical_epsilon``.

    Attributes
    ----------
    lower_bound : float >= 0
        Holds with probability >= ``confidence`` when the records are independent trials
        of the mechanism (see the package notes).
    point : float
        Point estimate at the same threshold on the evaluation part (>= 0, inf when no
        non-member of that part is flagged).
    threshold : float
        Records with score >= threshold are flagged as members.
    delta, confidence : float
    true_positives, members, false_positives, nonmembers : int
        The evaluation part's counts.
    tpr_low, fpr_high : float
        The Clopper-Pearson bounds behind ``lower_bound``.
    """

    lower_bound: float
    point: float
    threshold: float
    delta: float
    confidence: float
    true_positives: int
    members: int
    false_positives: int
    nonmembers: int
    tpr_low: float
    fpr_high: float


def _best_threshold(m: np.ndarray, n: np.ndarray, delta: float, confidence: float) -> float:
    """The threshold t among the scores that maximises the eps lower bound of "score >= t"
    on (m, n); ties broken by the point estimate, then by the lowest t."""
    cand = np.unique(np.concatenate([m, n]))
    tp = m.size - np.searchsorted(np.sort(m), cand, side="left")
    fp = n.size - np.searchsorted(np.sort(n), cand, side="left")
    tpr_low, _ = clopper_pearson(tp, np.full_like(tp, m.size), confidence)
    _, fpr_high = clopper_pearson(fp, np.full_like(fp, n.size), confidence)
    lb = np.maximum(epsilon_from_rates(tpr_low, fpr_high, delta), 0.0)
    point = np.nan_to_num(epsilon_from_rates(tp / m.size, fp / n.size, delta), nan=-np.inf, posinf=1e300)
    best = np.lexsort((cand, -point, -lb))[0]  # last key sorts first
    return float(cand[best])


def empirical_epsilon(member_scores, nonmember_scores, delta: float = 0.0, confidence: float = 0.95,
                      calibration_fraction: float = 0.5, prng=None) -> EpsilonEstimate:
    """Epsilon lower bound of the test "member if score >= t", t chosen on held-apart records.

    Parameters
    ----------
    member_scores, nonmember_scores : 1-D arrays of finite floats, at least 2 each
        Higher = more likely a member.
    delta : float in [0, 1)
        The delta the bound is stated at (the audited mechanism's).
    confidence : float in (0, 1)
        Probability that ``lower_bound`` does not exceed the true epsilon.
    calibration_fraction : float in (0, 1)
        Share of the members (and of the non-members) used to choose t; the rest is
        counted. Each part keeps at least one record of each kind.
    prng : pyppml._core.Prng, optional
        Tests only: a seeded generator for the split (default: keyed from the OS).

    Returns
    -------
    EpsilonEstimate

    Raises
    ------
    pyppml.ParameterError
        Fewer than 2 scores of a kind, non-finite scores, delta, confidence or
        calibration_fraction out of range.

    Examples
    --------
    >>> est = empirical_epsilon([3.0] * 500 + [0.0] * 100, [0.0] * 500 + [3.0] * 100)
    >>> est.threshold, bool(1.0 < est.lower_bound < est.point)
    (3.0, True)
    """
    api = "empirical_epsilon"
    m = _checks.scores(api, member_scores, "member_scores")
    n = _checks.scores(api, nonmember_scores, "nonmember_scores")
    delta = _checks.delta(api, delta)
    confidence = _checks.open_unit(api, "confidence", confidence)
    frac = _checks.open_unit(api, "calibration_fraction", calibration_fraction)
    for name, arr in (("member_scores", m), ("nonmember_scores", n)):
        if arr.size < 2:
            fail(api, name, "is too short to split", "at least 2 scores (calibration and evaluation)", arr.size)
    prng = _random.generator(prng)
    pm, pn = _random.permutation(m.size, prng), _random.permutation(n.size, prng)
    cm = min(max(round(frac * m.size), 1), m.size - 1)
    cn = min(max(round(frac * n.size), 1), n.size - 1)
    t = _best_threshold(m[pm[:cm]], n[pn[:cn]], delta, confidence)
    em, en = m[pm[cm:]], n[pn[cn:]]
    tp, fp = int(np.count_nonzero(em >= t)), int(np.count_nonzero(en >= t))
    b = epsilon_from_counts(tp, em.size, fp, en.size, delta, confidence)
    return EpsilonEstimate(b.lower_bound, b.point, t, delta, confidence, tp, em.size, fp, en.size, b.tpr_low,
                           b.fpr_high)
