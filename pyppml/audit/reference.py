"""Reference-model membership inference: the offline likelihood-ratio attack (LiRA
offline, Carlini, Chien, Nasr, Song, Terzis, Tramer 2022), the per-record calibrated
successor of Shokri et al.'s shadow models (2017).

Some records are hard (any model gets them wrong), some easy: a raw loss mixes that up
with membership. Reference models trained like the target, on random subsets of data
disjoint from the members, show how confident a model is on each record when it has
NOT seen it. The score is how far the target's confidence lies above that:
z = (phi_target - mean_out) / sd_out, phi = logit of P(true label); sd_out pooled over
the records (the "global variance" Carlini et al. advise for few reference models).
Offline means no reference model is trained on the audited records, so the attack needs
no retraining per record; it is weaker than online LiRA at the lowest false-positive
rates, and much cheaper."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from pyppml.audit import _checks, _random
from pyppml.audit.loss import _checked
from pyppml.audit.models import label_logit, positive_probabilities
from pyppml.audit.result import DEFAULT_FPRS, AuditResult, audit_scores
from pyppml.dp._checks import fail


def _trainer(reference, api):
    if hasattr(reference, "fit"):
        return lambda X, y: clone(reference).fit(X, y)
    if callable(reference):
        return reference
    fail(api, "reference", "cannot train models", "an estimator with fit (cloned) or a callable (X, y) -> model",
         type(reference).__name__)


def reference_model_attack(model, X_members, y_members, X_nonmembers, y_nonmembers, reference, X_reference,
                           y_reference, *, n_reference_models: int = 8, subset_size: int | None = None,
                           delta: float = 0.0, confidence: float = 0.95, fprs=DEFAULT_FPRS,
                           calibration_fraction: float = 0.5, prng=None) -> AuditResult:
    """LiRA offline: score each record against reference models that did not train on it.

    Parameters
    ----------
    model, X_members, y_members, X_nonmembers, y_nonmembers
        As in ``loss_threshold_attack``.
    reference : estimator or callable
        How the attacker trains a reference model: an estimator (``sklearn.base.clone``
        d and fitted; ideally the target's own class and parameters) or a callable
        ``(X, y) -> fitted model`` (any kind ``pyppml.audit.models`` accepts).
    X_reference, y_reference : arrays (r, d) and (r,)
        Data from the members' distribution and disjoint from them (not checked: equal
        feature vectors may be distinct records). Held-out non-members may be part of it:
        the score treats every audited record alike.
    n_reference_models : int >= 2
    subset_size : int, optional
        Records per reference model, drawn without replacement (CSPRNG); default the
        member count, capped at r // 2 so that subsets differ.
    delta, confidence, fprs, calibration_fraction, prng
        As in ``loss_threshold_attack``; ``prng`` (tests only) also draws the subsets.

    Returns
    -------
    AuditResult with ``attack == "lira_offline"``.

    Raises
    ------
    pyppml.ParameterError
        As ``loss_threshold_attack``; also bad reference data, n_reference_models < 2,
        subset_size outside [2, r].

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(900, 3)); y = (X[:, 0] + rng.normal(size=900) > 0).astype(int)
    >>> tree = DecisionTreeClassifier().fit(X[:300], y[:300])
    >>> r = reference_model_attack(tree, X[:300], y[:300], X[300:600], y[300:600],
    ...                            DecisionTreeClassifier(), X[600:], y[600:])
    >>> bool(r.auc > 0.6)
    True
    """
    api = "reference_model_attack"
    Xm, ym, Xn, yn = _checked(api, X_members, y_members, X_nonmembers, y_nonmembers)
    Xr, yr = _checks.records(api, X_reference, y_reference, "X_reference", "y_reference", Xm.shape[1])
    k = _checks.count(api, "n_reference_models", n_reference_models, 2)
    if subset_size is None:
        size = max(min(Xm.shape[0], Xr.shape[0] // 2), 2)
    else:
        size = _checks.count(api, "subset_size", subset_size, 2)
    if size > Xr.shape[0]:
        fail(api, "subset_size", "exceeds the reference data", f"2 <= subset_size <= {Xr.shape[0]}", size)
    _checks.attack_options(api, delta, confidence, fprs, calibration_fraction)
    train = _trainer(reference, api)
    prng = _random.generator(prng)

    X_all = np.concatenate([Xm, Xn])
    y_all = np.concatenate([ym, yn])
    phi = label_logit(positive_probabilities(model, X_all, api), y_all)
    out = np.empty((k, X_all.shape[0]))
    for i in range(k):
        idx = _random.permutation(Xr.shape[0], prng)[:size]
        out[i] = label_logit(positive_probabilities(train(Xr[idx], yr[idx]), X_all, api), y_all)
    mean = out.mean(axis=0)
    # Pooled within-record variance: K reference models are too few for a per-record one.
    sd = max(float(np.sqrt(out.var(axis=0, ddof=1).mean())), 1e-12)
    z = (phi - mean) / sd
    return audit_scores(z[: Xm.shape[0]], z[Xm.shape[0]:], "lira_offline", delta, confidence, fprs,
                        calibration_fraction, prng)
