"""Encrypted logistic regression past one chain's depth: 20 Nesterov iterations on the
iDASH 2017 split (../shared, when present) at 128-bit security, the server refreshing the
model with sparse bootstraps. Reports the server's time, the bootstraps, and how far the
key holder's decryption of the model (``DataOwner.decrypt_model``) is from the same
algorithm run in float64: relative L2 of the coefficients and test AUC of both.

    pyppml bench ml_bootstrapped [--quick]     (--quick: 6 iterations)
"""

from __future__ import annotations

import time

import numpy as np

from pyppml.benchmarks.harness import emit


def run(args) -> None:
    from sklearn.metrics import roc_auc_score

    from pyppml.benchmarks.ml import _idash_dir
    from pyppml.ml import DataOwner, EncryptedDataset, train_encrypted
    from pyppml.ml.plan import train_reference

    d = _idash_dir()
    if d is None:
        emit({"lib": "pyppml", "op": "_skipped", "note": "iDASH 2017 data not found (set PYPPML_IDASH_DIR)"})
        return
    tr = np.loadtxt(d / "1_training_data.csv", delimiter=",", skiprows=1)
    te = np.loadtxt(d / "1_testing_data.csv", delimiter=",", skiprows=1)
    Xtr, ytr, Xte, yte = tr[:, 1:], tr[:, 0].astype(int), te[:, 1:], te[:, 0].astype(int)
    iterations = 6 if getattr(args, "quick", False) else 20
    t0 = time.perf_counter()
    owner = DataOwner(iterations=iterations, bootstrapping=True)
    data = owner.encrypt(Xtr, ytr)
    setup_s = time.perf_counter() - t0
    ctx = owner.public_context()
    dataset = EncryptedDataset.from_bytes(data.to_bytes(), ctx)
    t0 = time.perf_counter()
    model = train_encrypted(ctx, dataset, progress=False)
    train_s = time.perf_counter() - t0
    coef, intercept = owner.decrypt_model(model)
    w_ref = train_reference(owner._Z, owner.plan)[-1]
    ref_coef, ref_intercept = owner.fold(w_ref)
    enc = np.concatenate([coef, [intercept]])
    ref = np.concatenate([ref_coef, [ref_intercept]])
    auc = float(roc_auc_score(yte, Xte @ coef + intercept))
    auc_ref = float(roc_auc_score(yte, Xte @ ref_coef + ref_intercept))
    emit({"lib": "pyppml", "scheme": "ckks", "N": ctx.poly_degree, "L": ctx.max_level + 1,
          "op": f"lr_train_idash_{iterations}it_bootstrapped", "median_us": round(train_s * 1e6, 1), "runs": 1,
          "train_s": round(train_s, 1), "setup_and_keys_s": round(setup_s, 1),
          "bootstraps": int(model.timings.get("bootstraps", 0)), "bootstrap_s": round(model.timings.get("bootstrap_s", 0.0), 1),
          "coef_rel_l2_vs_float64": float(np.linalg.norm(enc - ref) / np.linalg.norm(ref)),
          "test_auc": round(auc, 4), "test_auc_float64": round(auc_ref, 4), "samples": len(Xtr),
          "features": Xtr.shape[1], "security": ctx.security, "slots_bootstrapped": ctx.bootstrap_info()["slots"]})
