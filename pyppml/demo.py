"""`pyppml demo`: the main job end to end on scikit-learn's breast-cancer data set
(then the federated part, ``pyppml.fl.demo``, and the differential-privacy part,
``pyppml.dp.demo``).

A hospital (the data owner) encrypts its training records; a server fits a logistic
regression on the ciphertexts alone; the hospital decrypts the model. New patients'
records are then scored while encrypted. Printed side by side with plaintext
scikit-learn: accuracy and AUC, the time of each stage, the bytes that would cross the
network, and the security level.
"""

from __future__ import annotations

import time


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return f"{n:.1f} GB"


def _table(rows: list[tuple], header: tuple) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths)), line]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def run_ml_demo(args) -> dict:
    """Plaintext vs encrypted logistic regression on breast cancer; returns the figures."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from pyppml import ckks
    from pyppml.ml import (DataOwner, EncryptedDataset, decrypt_outputs, encrypt_records, inference_context, predict_encrypted,
                           score_encrypted, train_encrypted)
    from pyppml.ml.sigmoid import sigmoid

    quick = bool(getattr(args, "quick", False))
    poly_degree = 16384 if quick else 32768
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    print(f"breast cancer (scikit-learn): {len(Xtr)} training and {len(Xte)} test records, {X.shape[1]} features")

    # Plaintext reference: converged scikit-learn logistic regression.
    t0 = time.perf_counter()
    plain = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(Xtr, ytr)
    t_plain = time.perf_counter() - t0
    plain_scores = plain.decision_function(Xte)

    # 1. Hospital: scale, keys, encrypt.
    owner = DataOwner(method="nesterov", poly_degree=poly_degree)
    dataset_bytes = owner.encrypt(Xtr, ytr).to_bytes()
    context_bytes = owner.public_context_bytes()
    plan = owner.plan
    print(f"plan: {plan.method}, {plan.iterations} iterations, sigmoid degree {plan.sigmoid_degree} "
          f"({plan.sigmoid_method.replace('_', ' ')}) on [-{plan.sigmoid_bound:g}, {plan.sigmoid_bound:g}], "
          f"CKKS n = {owner.context.poly_degree}, {owner.context.max_level} levels, log2(QP) = {owner.context.log_qp:.0f}")

    # 2. Server: only the public context and the ciphertexts.
    t0 = time.perf_counter()
    server_ctx = ckks.Context.from_bytes(context_bytes)
    dataset = EncryptedDataset.from_bytes(dataset_bytes, server_ctx)
    t_load = time.perf_counter() - t0
    model = train_encrypted(server_ctx, dataset, progress=True)
    t0 = time.perf_counter()
    model_bytes = model.to_bytes()
    t_ser = time.perf_counter() - t0

    # 3. Hospital: release the model through a flooded decryption (the server keeps the
    #    encrypted training set: the exact CKKS error would help it find the key). The
    #    noise bound comes from a run of the same plan under a throw-away key.
    t0 = time.perf_counter()
    coef, intercept = owner.release_model(model_bytes)
    t_dec = time.perf_counter() - t0
    released = owner.releases[-1]
    enc_train_scores = Xte @ coef + intercept

    # 4. Encrypted scoring of the test records with the (plaintext) model at the server:
    #    scores flooded with noise of std 2^-10 (the client cannot read the model off raw
    #    scores), then labels only (the score times a random positive factor).
    ictx = inference_context(8192, encrypted_model=False, output="score_flooded")
    t0 = time.perf_counter()
    records = encrypt_records(Xte, ictx)
    t_ienc = time.perf_counter() - t0
    records_bytes = records.size_bytes
    t0 = time.perf_counter()
    score_cts = score_encrypted(records, (coef, intercept), output="score_flooded", bits_of_precision=10)
    t_iscore = time.perf_counter() - t0
    scores_bytes = sum(len(ct.to_bytes()) for ct in score_cts)
    t0 = time.perf_counter()
    enc_scores = decrypt_outputs(ictx, score_cts, len(Xte), "score_flooded", bits_of_precision=10)
    t_idec = time.perf_counter() - t0
    prob_gap = float(np.max(np.abs(sigmoid(enc_scores) - sigmoid(enc_train_scores))))
    lctx = inference_context(8192, encrypted_model=False, output="label")
    enc_labels = predict_encrypted(encrypt_records(Xte, lctx), (coef, intercept), lctx)

    # The second training method, end to end in one call (scikit-learn interface).
    from pyppml.ml import EncryptedLogisticRegression

    newton = EncryptedLogisticRegression(method="newton", poly_degree=poly_degree, progress=False).fit(Xtr, ytr)
    newton_scores = newton.decision_function(Xte)

    res = {
        "plain_auc": float(roc_auc_score(yte, plain_scores)),
        "plain_accuracy": float(accuracy_score(yte, plain.predict(Xte))),
        "encrypted_auc": float(roc_auc_score(yte, enc_train_scores)),
        "encrypted_accuracy": float(accuracy_score(yte, (enc_train_scores > 0).astype(int))),
        "encrypted_inference_auc": float(roc_auc_score(yte, enc_scores)),
        "encrypted_inference_accuracy": float(accuracy_score(yte, (enc_scores > 0).astype(int))),
        "inference_max_probability_gap": prob_gap,
        "encrypted_label_accuracy": float(accuracy_score(yte, enc_labels)),
        "encrypted_labels_agree": float(np.mean(enc_labels == (enc_train_scores > 0))),
        "newton_auc": float(roc_auc_score(yte, newton_scores)),
        "newton_accuracy": float(accuracy_score(yte, newton.predict(Xte))),
        "newton_train_s": float(newton.timings_["train_s"]),
        "iterations": plan.iterations,
        "release_weight_std": released["weight_std"],
        "security_bits": int(owner.context.security or 0),
        "poly_degree": owner.context.poly_degree,
        "times_s": {
            "plaintext training": t_plain,
            "owner: scale + plan": owner.timings["prepare_s"],
            "owner: key generation": owner.timings["keygen_s"],
            "owner: encrypt training set": owner.timings["encrypt_s"],
            "server: load context + data": t_load,
            "server: encrypted training": model.timings["train_s"],
            "server: serialize model": t_ser,
            "owner: noise estimate (throw-away key)": owner.timings.get("noise_estimate_s", 0.0),
            "owner: release model (flooded, incl. estimate)": t_dec,
            "client: encrypt test records": t_ienc,
            "server: score encrypted records": t_iscore,
            "client: decrypt scores": t_idec,
        },
        "bytes": {
            "owner -> server: public context (keys)": len(context_bytes),
            "owner -> server: encrypted training set": len(dataset_bytes),
            "server -> owner: encrypted model": len(model_bytes),
            "client -> server: encrypted test records": records_bytes,
            "server -> client: encrypted flooded scores": scores_bytes,
        },
    }

    print()
    print(_table([
        ("scikit-learn (plaintext)", f"{res['plain_accuracy']:.4f}", f"{res['plain_auc']:.4f}"),
        (f"pyppml encrypted, Nesterov ({plan.iterations} it.)", f"{res['encrypted_accuracy']:.4f}", f"{res['encrypted_auc']:.4f}"),
        ("  + test records scored encrypted (flooded scores)", f"{res['encrypted_inference_accuracy']:.4f}", f"{res['encrypted_inference_auc']:.4f}"),
        ("  + test records labelled encrypted (labels only)", f"{res['encrypted_label_accuracy']:.4f}", "-"),
        (f"pyppml encrypted, fixed-Hessian Newton ({newton.n_iter_} it.)", f"{res['newton_accuracy']:.4f}", f"{res['newton_auc']:.4f}"),
    ], ("model (test set)", "accuracy", "AUC")))
    print()
    print(_table([(k, f"{v:.3f}") for k, v in res["times_s"].items()], ("stage", "seconds")))
    print()
    print(_table([(k, _fmt_bytes(v)) for k, v in res["bytes"].items()], ("message", "size")))
    print()
    print(f"security: {res['security_bits']}-bit (HomomorphicEncryption.org / ePrint 2024/463 table, n = {res['poly_degree']}); "
          f"the server never held the secret key; nothing was decrypted during training.")
    print(f"model released by flooded decryption (s = {released['security_bits']}, noise bound "
          f"2^{np.log2(released['noise_bound']):.2f} from a throw-away key): each weight on the scaled features "
          f"carries noise of std 2^{np.log2(released['weight_std']):.1f}")
    print(f"encrypted scoring (flooded, std 2^-10) vs plaintext scoring of the same model: max probability gap {prob_gap:.1e}; "
          f"encrypted labels agree with plaintext labels on {res['encrypted_labels_agree']:.1%} of the test records")
    return res


def main(args) -> int:
    t0 = time.perf_counter()
    run_ml_demo(args)
    from pyppml.fl.demo import run_fl_demo

    run_fl_demo(args)
    from pyppml.dp.demo import run_dp_demo

    run_dp_demo(args)
    print(f"\ndemo finished in {time.perf_counter() - t0:.1f} s")
    return 0
