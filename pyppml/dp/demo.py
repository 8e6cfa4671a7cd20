"""`pyppml demo`, differential-privacy part: the same logistic regression trained on
breast cancer at a few privacy budgets, each with its test accuracy, the epsilon its
accountant charged, and what a membership-inference attack measures on it (the loss-
threshold attack of ``pyppml.audit``: its ROC AUC, 0.5 = no better than guessing, and
the empirical epsilon lower bound its error rates imply). A deliberately over-fitted
non-private model shows what the attack finds when there is something to find."""

from __future__ import annotations

import time

EPSILONS = (0.5, 1.0, 4.0)


def run_dp_demo(args) -> dict:
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    from pyppml import audit
    from pyppml.demo import _table
    from pyppml.dp import DPLogisticRegression

    t0 = time.perf_counter()
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    # Standardising with the training split's statistics is not private; a real owner
    # scales with public bounds (the demo keeps the rows of the other sections).
    sc = StandardScaler().fit(Xtr)
    Xtr, Xte = sc.transform(Xtr), sc.transform(Xte)
    print(f"\n== differential privacy: breast cancer, {len(Xtr)} training records (members), "
          f"{len(Xte)} held out (non-members)")
    # Distance-weighted k-NN gives every training record its own label with probability 1:
    # it generalises well and still memorises, the case the attack is built for.
    memorising = KNeighborsClassifier(n_neighbors=30, weights="distance").fit(Xtr, ytr)
    models = [("memorising 30-NN (non-private)", memorising, None),
              ("logistic regression (non-private)", LogisticRegression(C=1e4, max_iter=5000).fit(Xtr, ytr), None)]
    for eps in EPSILONS:
        models.append((f"DPLogisticRegression eps = {eps:g}", DPLogisticRegression(epsilon=eps).fit(Xtr, ytr), eps))
    rows, res = [], {}
    for name, model, eps in models:
        attack = audit.loss_threshold_attack(model, Xtr, ytr, Xte, yte)
        acc = float(np.mean(model.predict(Xte) == yte))
        auc = float(roc_auc_score(yte, model.predict_proba(Xte)[:, 1]))
        spent = f"{model.epsilon_:.3f}" if eps is not None else "inf"
        rows.append((name, f"{acc:.4f}", f"{auc:.4f}", spent, f"{attack.auc:.3f}", f"{attack.eps_lb:.2f}"))
        res[name] = {"accuracy": acc, "auc": auc, "epsilon": None if eps is None else model.epsilon_,
                     "attack_auc": attack.auc, "eps_lb": attack.eps_lb}
    print(_table(rows, ("model", "accuracy", "AUC", "epsilon spent (delta 1e-5)", "attack AUC",
                        "empirical eps (95%, an estimate on one model)")))
    print("the attack scores each record by its log-likelihood under the model (Yeom et al. 2018); an audit "
          "measures this attack only, it is no guarantee (see pyppml.audit)")
    print(f"DP section: {time.perf_counter() - t0:.1f} s")
    return res
