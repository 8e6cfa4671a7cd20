"""Membership-inference audits: how much a trained model gives away about who was in its
training set, measured by attacking it.

Given the model, its members and held-out non-members from the same distribution, an
attack scores each record (higher = more likely a member):

- ``loss_threshold_attack``: the record's log-likelihood under the model (Yeom et al. 2018);
- ``reference_model_attack``: the offline likelihood-ratio attack (LiRA offline, Carlini
  et al. 2022), which calibrates each record's score against reference models trained
  without it, in place of Shokri et al.'s (2017) shadow models and attack classifier.

Each returns an ``AuditResult``: ROC AUC, TPR at low FPR (0.1%, 1%, 10%), the per-record
scores, and the empirical epsilon those error rates imply for an (eps, delta)-DP mechanism,
eps >= max(log((TPR - delta) / FPR), log((1 - FPR - delta) / (1 - TPR))) (Jagielski et al.
2020; Nasr et al. 2021), at a Clopper-Pearson lower bound of TPR and upper bound of FPR
(95% by default), with the threshold chosen on a part of the records not counted.
Models: anything with ``predict_proba`` (scikit-learn, ``pyppml.ml.
EncryptedLogisticRegression``, ``pyppml.dp.DPLogisticRegression``), a callable returning
P(y = 1) (encrypted scoring), or ``LinearModel`` (the federated demo's weights).

What it does not prove. An audit measures these attacks, not all attacks: a low AUC or a
low empirical epsilon is NOT a privacy guarantee (only a DP proof and its accounting are).
A high one is evidence of leakage, and an empirical epsilon above a model's accounted
epsilon points to a bug in the training or the accounting. The bound treats the records
as independent trials: exact when each comes from its own training run (Jagielski et
al.), while on one model the records' outcomes are dependent, so read it there as an
estimate at the stated confidence (Steinke, Nasr, Jagielski 2023 make one-run audits
rigorous with randomly inserted canaries). One training run also audits only the
average record: DP bounds the worst case, so the empirical epsilon of a single model
usually lies far below its accounted epsilon.

>>> import numpy as np
>>> from sklearn.tree import DecisionTreeClassifier
>>> from pyppml import audit
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(600, 4)); y = (X[:, 0] + rng.normal(size=600) > 0).astype(int)
>>> tree = DecisionTreeClassifier().fit(X[:300], y[:300])
>>> result = audit.loss_threshold_attack(tree, X[:300], y[:300], X[300:], y[300:])
>>> bool(result.auc > 0.55), sorted(result.tpr_at_fpr)
(True, [0.001, 0.01, 0.1])
"""

from pyppml.audit.bounds import (
    EpsilonBound,
    clopper_pearson,
    epsilon_from_counts,
    epsilon_from_rates,
)
from pyppml.audit.epsilon import EpsilonEstimate, empirical_epsilon
from pyppml.audit.loss import loss_threshold_attack
from pyppml.audit.models import LinearModel
from pyppml.audit.reference import reference_model_attack
from pyppml.audit.result import AuditResult, audit_scores
from pyppml.audit.roc import roc_auc, tpr_at_fpr

__all__ = [
    "AuditResult",
    "EpsilonBound",
    "EpsilonEstimate",
    "LinearModel",
    "audit_scores",
    "clopper_pearson",
    "empirical_epsilon",
    "epsilon_from_counts",
    "epsilon_from_rates",
    "loss_threshold_attack",
    "reference_model_attack",
    "roc_auc",
    "tpr_at_fpr",
]
