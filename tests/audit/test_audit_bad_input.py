"""Bad input raises pyppml.ParameterError (a ValueError) naming the argument, without
quoting a feature or label value."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from pyppml import ParameterError, audit

rng = np.random.default_rng(3)  # public test vectors
X = rng.normal(size=(40, 3))
y = (X[:, 0] > 0).astype(int)
MODEL = LogisticRegression().fit(X, y)
SECRET = 123456.75  # a "private" value that must never appear in a message


def _with(arr, i, j, value):
    out = np.array(arr, dtype=float)
    if out.ndim == 1:
        out[i] = value
    else:
        out[i, j] = value
    return out


def _loss(**kw):
    args = {"X_members": X[:20], "y_members": y[:20], "X_nonmembers": X[20:], "y_nonmembers": y[20:]}
    args.update(kw)
    return audit.loss_threshold_attack(MODEL, **args)


def _lira(**kw):
    args = {"X_members": X[:20], "y_members": y[:20], "X_nonmembers": X[20:30], "y_nonmembers": y[20:30],
            "reference": LogisticRegression(), "X_reference": X[30:], "y_reference": y[30:], "n_reference_models": 2}
    args.update(kw)
    return audit.reference_model_attack(MODEL, **args)


CASES = {
    "members_shape_mismatch": (lambda: _loss(y_members=y[:19]), "y_members"),
    "members_1d": (lambda: _loss(X_members=X[:20, 0]), "X_members"),
    "nonmembers_features": (lambda: _loss(X_nonmembers=X[20:, :2]), "X_nonmembers"),
    "nan_feature": (lambda: _loss(X_members=_with(X[:20], 3, 1, np.nan)), "X_members"),
    "inf_feature": (lambda: _loss(X_nonmembers=_with(X[20:], 0, 0, np.inf)), "X_nonmembers"),
    "label_outside": (lambda: _loss(y_members=_with(y[:20], 2, 0, SECRET)), "y_members"),
    "label_half": (lambda: _loss(y_nonmembers=_with(y[20:], 2, 0, 0.5)), "y_nonmembers"),
    "empty_members": (lambda: _loss(X_members=X[:0], y_members=y[:0]), "X_members"),
    "one_member": (lambda: _loss(X_members=X[:1], y_members=y[:1]), "X_members"),
    "delta_negative": (lambda: _loss(delta=-0.1), "delta"),
    "delta_one": (lambda: _loss(delta=1.0), "delta"),
    "delta_nan": (lambda: _loss(delta=float("nan")), "delta"),
    "confidence_zero": (lambda: _loss(confidence=0.0), "confidence"),
    "confidence_one": (lambda: _loss(confidence=1.0), "confidence"),
    "fpr_zero": (lambda: _loss(fprs=(0.0,)), "fprs"),
    "calibration_one": (lambda: _loss(calibration_fraction=1.0), "calibration_fraction"),
    "model_not_probabilities": (lambda: audit.loss_threshold_attack(lambda A: A[:, 0], X[:20], y[:20], X[20:], y[20:]),
                                "model"),
    "model_wrong_shape": (lambda: audit.loss_threshold_attack(lambda A: np.ones(3) / 2, X[:20], y[:20], X[20:], y[20:]),
                          "model"),
    "model_not_callable": (lambda: audit.loss_threshold_attack(object(), X[:20], y[:20], X[20:], y[20:]), "model"),
    "reference_features": (lambda: _lira(X_reference=X[30:, :2]), "X_reference"),
    "reference_labels": (lambda: _lira(y_reference=_with(y[30:], 0, 0, SECRET)), "y_reference"),
    "reference_not_trainable": (lambda: _lira(reference=3), "reference"),
    "reference_models_one": (lambda: _lira(n_reference_models=1), "n_reference_models"),
    "subset_too_large": (lambda: _lira(subset_size=11), "subset_size"),
    "lira_delta": (lambda: _lira(delta=1.5), "delta"),
    "scores_nan": (lambda: audit.audit_scores([0.1, np.nan], [0.2, 0.3]), "member_scores"),
    "counts_over": (lambda: audit.epsilon_from_counts(11, 10, 0, 10), "true_positives"),
    "cp_k_over": (lambda: audit.clopper_pearson(5, 4), "k"),
    "cp_confidence": (lambda: audit.clopper_pearson(1, 4, 1.5), "confidence"),
    "linear_nan": (lambda: audit.LinearModel([1.0, np.nan]), "coef"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_names_the_argument(case):
    call, arg = CASES[case]
    with pytest.raises(ParameterError) as info:
        call()
    msg = str(info.value)
    assert isinstance(info.value, ValueError)
    assert f": {arg} " in msg and "; expected " in msg and "\n" not in msg, msg
    assert str(SECRET) not in msg and "123456" not in msg
    if case.startswith(("members", "nonmembers", "nan", "inf", "label", "empty", "one", "delta", "confidence", "fpr",
                        "calibration", "model")):
        assert msg.startswith("loss_threshold_attack: "), msg  # checked under the caller's name
