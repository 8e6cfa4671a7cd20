"""Loss-threshold membership inference (Yeom, Giacomelli, Fredrikson, Jha 2018): a model
fits its training records better than others, so a low loss on (x, y) says "member".

Yeom et al. fix the threshold at the average training loss; here the score is the
negative cross-entropy log P(y | x) and every threshold is considered (the ROC), the one
behind the epsilon bound being chosen on held-apart records (``empirical_epsilon``)."""

from __future__ import annotations

from pyppml.audit import _checks
from pyppml.audit.models import log_label_probability, positive_probabilities
from pyppml.audit.result import DEFAULT_FPRS, AuditResult, audit_scores


def _checked(api, X_members, y_members, X_nonmembers, y_nonmembers):
    # Two of each at least: one to choose the epsilon test's threshold, one to count.
    Xm, ym = _checks.records(api, X_members, y_members, "X_members", "y_members", min_records=2)
    Xn, yn = _checks.records(api, X_nonmembers, y_nonmembers, "X_nonmembers", "y_nonmembers", Xm.shape[1], 2)
    return Xm, ym, Xn, yn


def loss_threshold_attack(model, X_members, y_members, X_nonmembers, y_nonmembers, *, delta: float = 0.0,
                          confidence: float = 0.95, fprs=DEFAULT_FPRS, calibration_fraction: float = 0.5,
                          prng=None) -> AuditResult:
    """Score each record by log P(y | x) under ``model``; members should score higher.

    Parameters
    ----------
    model : classifier with predict_proba, callable X -> P(y=1), or LinearModel
        The trained model under audit (see ``pyppml.audit.models``).
    X_members, y_members : arrays (n, d) and (n,)
        Records the model was trained on (n >= 2), labels in {0, 1}.
    X_nonmembers, y_nonmembers : arrays (m, d) and (m,)
        Records from the same distribution it was not trained on (m >= 2).
    delta : float in [0, 1)
        The audited mechanism's delta, for the epsilon bound.
    confidence : float in (0, 1)
        Of the epsilon lower bound (default 95%).
    fprs : false-positive rates at which to report the TPR.
    calibration_fraction : share of each set used to choose the epsilon test's threshold.
    prng : pyppml._core.Prng, tests only.

    Returns
    -------
    AuditResult with ``attack == "loss"``.

    Raises
    ------
    pyppml.ParameterError
        Mismatched shapes, non-finite features, labels outside {0, 1}, empty sets,
        delta / confidence / fprs out of range, a model returning non-probabilities.

    Examples
    --------
    A 1-nearest-neighbour model memorises its noisy labels:

    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 2)); y = (rng.random(400) < 0.5).astype(int)
    >>> knn = KNeighborsClassifier(1).fit(X[:200], y[:200])
    >>> r = loss_threshold_attack(knn, X[:200], y[:200], X[200:], y[200:])
    >>> bool(r.auc > 0.65), bool(r.eps_lb > 0.0)
    (True, True)
    """
    api = "loss_threshold_attack"
    Xm, ym, Xn, yn = _checked(api, X_members, y_members, X_nonmembers, y_nonmembers)
    _checks.attack_options(api, delta, confidence, fprs, calibration_fraction)
    sm = log_label_probability(positive_probabilities(model, Xm, api), ym)
    sn = log_label_probability(positive_probabilities(model, Xn, api), yn)
    return audit_scores(sm, sn, "loss", delta, confidence, fprs, calibration_fraction, prng)
