"""Encrypted logistic regression benchmarks.

- ``lr_train_idash``: training on the iDASH 2017 split in ../shared (when present): wall
  time of the server's training and of the whole fit, test AUC (reference: converged
  plaintext 0.675; Kim et al. 2018 reached about 0.61 in about 6 minutes on 8 threads).
- ``lr_train_breast_cancer``: the same on scikit-learn's breast-cancer split of the demo.
- ``lr_infer_30f``: encrypted records of 30 features scored with a plaintext model
  (``_encmodel``: with an encrypted model); records per second of the server's scoring
  and of the round trip (encrypt, score, decrypt).

    pyppml bench ml [--quick] [--runs R]
"""

from __future__ import annotations

import os
import pathlib
import time

import numpy as np

from pyppml.benchmarks.harness import emit, measure, result

_IDASH = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "idash2017"


def _idash_dir() -> pathlib.Path | None:
    env = os.environ.get("PYPPML_IDASH_DIR")
    for p in ([pathlib.Path(env)] if env else []) + [_IDASH, pathlib.Path.cwd() / ".." / "shared" / "data" / "idash2017"]:
        if (p / "1_training_data.csv").exists():
            return p
    return None


def _train(op: str, Xtr, ytr, Xte, yte, runs: int, **extra):
    from sklearn.metrics import roc_auc_score

    from pyppml.ml import EncryptedLogisticRegression

    train_s, total_s, auc = [], [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        clf = EncryptedLogisticRegression(progress=False).fit(Xtr, ytr)
        total_s.append(time.perf_counter() - t0)
        train_s.append(clf.timings_["train_s"])
        auc = float(roc_auc_score(yte, clf.decision_function(Xte)))
    timing = {"median_us": round(float(np.median(train_s)) * 1e6, 1), "runs": runs,
              "min_us": round(min(train_s) * 1e6, 1)}
    emit(result("pyppml", "ckks", clf.encryption_params_["poly_degree"], clf.encryption_params_["max_level"], op, timing,
                test_auc=round(auc, 4), total_s=round(float(np.median(total_s)), 2), iterations=clf.n_iter_,
                sigmoid_degree=clf.plan_.sigmoid_degree, security=clf.security_, samples=len(Xtr),
                features=Xtr.shape[1], bytes=clf.bytes_, release_weight_std=clf.release_["weight_std"],
                noise_estimate_s=round(clf.timings_.get("noise_estimate_s", 0.0), 2), **extra))


def _inference(runs: int, quick: bool):
    from pyppml.ml import encrypt_model, encrypt_records, inference_context, score_encrypted
    from pyppml.ml.inference import decrypt_scores

    rng = np.random.default_rng(3)  # public synthetic records: numpy.random is fine here
    records, features = (8192 if quick else 32768), 30
    X = rng.normal(size=(records, features))
    coef, b = rng.normal(size=features) * 0.2, 0.1
    for encrypted_model in (False, True):
        ctx = inference_context(8192, encrypted_model=encrypted_model, output="score")
        model = encrypt_model(coef, b, ctx) if encrypted_model else (coef, b)
        enc = encrypt_records(X, ctx)
        server = measure(lambda: score_encrypted(enc, model, output="score"), runs=runs, target_ms=1.0)

        def round_trip():
            e = encrypt_records(X, ctx)
            return decrypt_scores(ctx, score_encrypted(e, model, output="score"), records)

        rt = measure(round_trip, runs=max(3, runs // 3), target_ms=1.0)
        err = float(np.max(np.abs(round_trip() - (X @ coef + b))))
        op = "lr_infer_30f_encmodel" if encrypted_model else "lr_infer_30f"
        emit(result("pyppml", "ckks", ctx.poly_degree, ctx.max_level, op, server, records=records, features=features,
                    records_per_s=round(records / (server["median_us"] * 1e-6)),
                    round_trip_records_per_s=round(records / (rt["median_us"] * 1e-6)),
                    round_trip_median_us=rt["median_us"], max_score_error=err, security=ctx.security))


def run(args) -> None:
    quick = bool(getattr(args, "quick", False))
    runs = int(getattr(args, "runs", 10) or 10)
    _inference(3 if quick else runs, quick)
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    _train("lr_train_breast_cancer", Xtr, ytr, Xte, yte, 1)
    d = _idash_dir()
    if d is not None:
        tr = np.loadtxt(d / "1_training_data.csv", delimiter=",", skiprows=1)
        te = np.loadtxt(d / "1_testing_data.csv", delimiter=",", skiprows=1)
        _train("lr_train_idash", tr[:, 1:], tr[:, 0], te[:, 1:], te[:, 0], 1 if quick else 2, reference_auc=0.675)
