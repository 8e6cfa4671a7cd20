"""roc_auc against scikit-learn and tpr_at_fpr against a brute-force threshold scan."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pyppml.audit import roc_auc, tpr_at_fpr


def _cases():
    rng = np.random.default_rng(7)  # public test vectors, not secrets
    out = []
    for m, n, levels in [(1, 1, 3), (5, 9, 4), (200, 150, 0), (300, 1000, 12), (50, 50, 2)]:
        if levels:  # few distinct values: many ties across and within the groups
            out.append((rng.integers(0, levels, m).astype(float), rng.integers(0, levels, n).astype(float)))
        else:
            out.append((rng.normal(0.3, 1, m), rng.normal(0, 1, n)))
    return out


CASES = _cases()


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: f"case{i}")
def test_auc_matches_sklearn(case):
    # Catches a wrong tie rule (ties counted 0 or 1 instead of 1/2) and swapped groups.
    m, n = CASES[case]
    y = np.r_[np.ones(m.size), np.zeros(n.size)]
    if m.size == n.size == 1 and m[0] == n[0]:
        expected = 0.5
    else:
        expected = roc_auc_score(y, np.r_[m, n])
    assert roc_auc(m, n) == pytest.approx(expected, abs=1e-12)


def _brute_tpr(m, n, fpr):
    best = 0.0
    for t in np.r_[np.unique(np.r_[m, n]), np.inf, -np.inf]:
        if np.count_nonzero(n >= t) / n.size <= fpr:
            best = max(best, np.count_nonzero(m >= t) / m.size)
    return best


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: f"case{i}")
@pytest.mark.parametrize("fpr", [0.001, 0.01, 0.1, 0.29, 1 / 3, 0.5, 0.99])
def test_tpr_at_fpr_matches_threshold_scan(case, fpr):
    # Catches an off-by-one in the allowed false positives, a tie at the cut counted in,
    # and float slack in k / n <= fpr (fpr = 0.29 with n = 100 rounds to 28.999...).
    m, n = CASES[case]
    assert tpr_at_fpr(m, n, fpr) == _brute_tpr(m, n, fpr)


def test_rate_exactly_on_a_grid_point():
    n = np.arange(100, dtype=float)
    m = np.arange(100, dtype=float) + 0.5
    for k in range(1, 100):
        assert tpr_at_fpr(m, n, k / 100) == _brute_tpr(m, n, k / 100)
