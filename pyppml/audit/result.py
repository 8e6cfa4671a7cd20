"""AuditResult: what a membership-inference attack measured, from its per-record scores."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pyppml.audit import _checks
from pyppml.audit.epsilon import EpsilonEstimate, empirical_epsilon
from pyppml.audit.roc import roc_auc, tpr_at_fpr

DEFAULT_FPRS = (0.001, 0.01, 0.1)


@dataclass(frozen=True)
class AuditResult:
    """One attack against one model.

    Attributes
    ----------
    attack : str
        "loss" (Yeom et al. 2018), "lira_offline" (Carlini et al. 2022) or the caller's name.
    auc : float
        ROC AUC of the score over all records (0.5: the attack does no better than chance).
    tpr_at_fpr : dict float -> float
        True-positive rate at each false-positive rate asked for, over all records.
    member_scores, nonmember_scores : ndarray
        Per-record scores, in the order given; higher = more likely a member.
    epsilon : EpsilonEstimate
        Threshold chosen on a calibration part, counted on the rest (``empirical_epsilon``).
    """

    attack: str
    auc: float
    tpr_at_fpr: dict
    member_scores: np.ndarray
    nonmember_scores: np.ndarray
    epsilon: EpsilonEstimate

    @property
    def eps_lb(self) -> float:
        """Empirical epsilon lower bound at ``epsilon.confidence``."""
        return self.epsilon.lower_bound

    @property
    def eps_point(self) -> float:
        """Point estimate of the same test's epsilon (may be inf)."""
        return self.epsilon.point

    def to_dict(self) -> dict:
        """Summary for JSON (no per-record score); inf becomes None."""
        def num(x):
            return None if not math.isfinite(x) else round(float(x), 6)

        return {"attack": self.attack, "attack_auc": num(self.auc),
                **{f"tpr_at_{100 * f:g}pct_fpr": num(v) for f, v in self.tpr_at_fpr.items()},
                "eps_lb": num(self.eps_lb), "eps_point": num(self.eps_point), "confidence": self.epsilon.confidence,
                "delta": self.epsilon.delta, "members": len(self.member_scores),
                "nonmembers": len(self.nonmember_scores)}


def audit_scores(member_scores, nonmember_scores, attack: str = "custom", delta: float = 0.0,
                 confidence: float = 0.95, fprs=DEFAULT_FPRS, calibration_fraction: float = 0.5,
                 prng=None) -> AuditResult:
    """AUC, TPR at low FPR and empirical epsilon of any membership score.

    Parameters
    ----------
    member_scores, nonmember_scores : 1-D arrays of finite floats (>= 2 each)
    attack : str
    delta, confidence, calibration_fraction, prng
        As in ``empirical_epsilon``.
    fprs : sequence of floats in (0, 1)

    Raises
    ------
    pyppml.ParameterError
        As ``empirical_epsilon`` and ``tpr_at_fpr``.

    Examples
    --------
    >>> r = audit_scores([2.0, 1.0, 1.5, 0.9], [0.0, 1.2, 0.1, 0.2], fprs=(0.25,))
    >>> r.auc, r.tpr_at_fpr
    (0.875, {0.25: 1.0})
    """
    api = "audit_scores"
    m = _checks.scores(api, member_scores, "member_scores")
    n = _checks.scores(api, nonmember_scores, "nonmember_scores")
    rates = _checks.fprs(api, fprs)
    est = empirical_epsilon(m, n, delta, confidence, calibration_fraction, prng)
    return AuditResult(str(attack), roc_auc(m, n), {f: tpr_at_fpr(m, n, f) for f in rates}, m, n, est)
