"""Encrypted inference against plaintext probabilities."""

import numpy as np
import pytest

from pyppml.ml import EncryptedLogisticRegression, SigmoidApproximation, encrypt_model, encrypt_records, inference_context, score_encrypted
from pyppml.ml.inference import decrypt_scores, predict_proba_encrypted
from pyppml.ml.sigmoid import sigmoid



@pytest.fixture(scope="module")
def fitted(data_factory):
    X, y = data_factory(120)
    return EncryptedLogisticRegression(iterations=2, poly_degree=16384, progress=False).fit(X, y), X


@pytest.mark.parametrize("encrypt_weights", [False, True], ids=["plain_model", "encrypted_model"])
def test_probabilities_match_plaintext(fitted, encrypt_weights):
    clf, X = fitted
    p = clf.predict_proba_encrypted(X, encrypt_weights=encrypt_weights)
    np.testing.assert_allclose(p, clf.predict_proba(X)[:, 1], atol=1e-3)


def test_batches_span_several_ciphertexts():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 30))
    coef, b = rng.normal(size=30) * 0.3, 0.2
    ctx = inference_context(8192, encrypted_model=False)
    records = encrypt_records(X, ctx)
    assert len(records.batches) == 2
    np.testing.assert_allclose(predict_proba_encrypted(records, (coef, b), ctx), sigmoid(X @ coef + b), atol=1e-3)


def test_polynomial_sigmoid_under_encryption():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 4))
    coef, b = np.array([0.5, -0.3, 0.2, 0.1]), 0.1
    approx = SigmoidApproximation.fit(7, 8.0, "chebyshev")
    ctx = inference_context(16384, approximation=approx)
    cts = score_encrypted(encrypt_records(X, ctx), (coef, b), approximation=approx)
    np.testing.assert_allclose(decrypt_scores(ctx, cts, len(X)), approx(X @ coef + b), atol=1e-3)


def test_wrong_model_size_raises():
    ctx = inference_context(8192)
    records = encrypt_records(np.zeros((3, 4)), ctx)
    with pytest.raises(ValueError):
        score_encrypted(records, (np.zeros(3), 0.0))
    with pytest.raises(ValueError):
        score_encrypted(records, encrypt_model(np.zeros(5), 0.0, ctx))
    with pytest.raises(ValueError):
        encrypt_records(np.full((2, 2), np.nan), ctx)
