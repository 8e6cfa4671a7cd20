"""ROC summaries of a membership score (higher = more likely a member): the area under
the curve and the true-positive rate at a low false-positive rate, the figures the
membership-inference literature reports (Carlini et al. 2022 argue for the latter)."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from pyppml.audit import _checks


def roc_auc(member_scores, nonmember_scores) -> float:
    """Area under the ROC curve of the test "member if score >= t".

    The Mann-Whitney statistic: P(member score > non-member score) + P(tie) / 2, in
    [0, 1]; 0.5 is chance.

    Raises
    ------
    pyppml.ParameterError
        An empty or non-finite score array.

    Examples
    --------
    >>> roc_auc([0.9, 0.8, 0.3], [0.1, 0.4, 0.3])
    0.8333333333333334
    """
    m = _checks.scores("roc_auc", member_scores, "member_scores")
    n = _checks.scores("roc_auc", nonmember_scores, "nonmember_scores")
    ranks = rankdata(np.concatenate([m, n]))  # mid-ranks for ties
    u = float(ranks[: m.size].sum()) - m.size * (m.size + 1) / 2.0
    return u / (m.size * n.size)


def _allowed_false_positives(fpr: float, n: int) -> int:
    # The largest k with k / n <= fpr, exactly as a rate would be compared (no float slack).
    k = int(np.floor(fpr * n))
    while (k + 1) / n <= fpr:
        k += 1
    while k > 0 and k / n > fpr:
        k -= 1
    return k


def tpr_at_fpr(member_scores, nonmember_scores, fpr: float) -> float:
    """The largest true-positive rate of a test "member if score >= t" over the thresholds
    t whose false-positive rate is at most ``fpr`` (no interpolation, no randomised test).

    Raises
    ------
    pyppml.ParameterError
        An empty or non-finite score array, ``fpr`` outside (0, 1).

    Examples
    --------
    >>> tpr_at_fpr([0.9, 0.8, 0.3], [0.1, 0.4, 0.3], fpr=0.1)
    0.6666666666666666
    >>> tpr_at_fpr([0.9, 0.8, 0.3], [0.1, 0.4, 0.3], fpr=0.7)
    1.0
    """
    m = _checks.scores("tpr_at_fpr", member_scores, "member_scores")
    n = _checks.scores("tpr_at_fpr", nonmember_scores, "nonmember_scores")
    fpr = _checks.open_unit("tpr_at_fpr", "fpr", fpr)
    k = _allowed_false_positives(fpr, n.size)
    if k >= n.size:
        return 1.0
    # Any t just above the (k+1)-th largest non-member score lets at most k non-members
    # through, and no lower threshold does.
    cut = np.sort(n)[::-1][k]
    return float(np.count_nonzero(m > cut)) / m.size
