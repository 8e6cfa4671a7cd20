"""`pyppml bench ml` as pytest-benchmark tests: encrypted inference (30 features, plaintext
and encrypted model) and, at full size, encrypted training on breast cancer."""

import numpy as np
import pytest

from pyppml import ml

PARAMS = {"records": ((1024,), (32768,))}
FEATURES = 30


@pytest.mark.parametrize("encrypted_model", [False, True], ids=["plainmodel", "encmodel"])
def test_score_encrypted(ppml_bench, records, encrypted_model):
    rng = np.random.default_rng(3)  # public synthetic records
    X = rng.normal(size=(records, FEATURES))
    coef, b = rng.normal(size=FEATURES) * 0.2, 0.1
    ctx = ml.inference_context(8192, encrypted_model=encrypted_model, output="score")
    model = ml.encrypt_model(coef, b, ctx) if encrypted_model else (coef, b)
    enc = ml.encrypt_records(X, ctx)
    scores = ppml_bench(lambda: ml.score_encrypted(enc, model, output="score"), scheme="ckks", N=ctx.poly_degree,
                        L=ctx.max_level, op="lr_infer_30f_encmodel" if encrypted_model else "lr_infer_30f",
                        records=records, features=FEATURES)
    got = ml.decrypt_scores(ctx, scores, records)
    assert np.max(np.abs(got - (X @ coef + b))) < 1e-3


def test_train_breast_cancer(ppml_bench, request):
    if not request.config.getoption("bench_full"):
        pytest.skip("encrypted training takes minutes: --bench-full")
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    clf = ppml_bench(lambda: ml.EncryptedLogisticRegression(progress=False).fit(Xtr, ytr), scheme="ckks", N=0, L=0,
                     op="lr_train_breast_cancer", rounds=1)
    # The parameters are chosen by fit: filed afterwards (the JSON line is written at teardown).
    ppml_bench.record.update(N=clf.encryption_params_["poly_degree"], L=clf.encryption_params_["max_level"])
    assert roc_auc_score(yte, clf.decision_function(Xte)) > 0.9
