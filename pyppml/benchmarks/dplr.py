"""DP logistic regression: accuracy and AUC against epsilon, pyppml beside diffprivlib and
non-private scikit-learn in one run, on breast cancer (scikit-learn) and on the iDASH 2017
split in ../shared/data (when present).

For each data set and epsilon in {0.5, 1, 2, 4, 8}: ``DPLogisticRegression`` with its
defaults (DP-SGD, delta = 1e-5) and with ``method="objective"`` (pure epsilon-DP), and
diffprivlib's ``LogisticRegression`` (objective perturbation, pure epsilon-DP) under
``--compare``, each fitted ``runs`` times (fresh noise each time); one JSON line per
(library, method, data set, epsilon) with the mean and standard deviation of test AUC
and accuracy and the median fit time. Every model gets the same rows: breast cancer
standardised with the training split's statistics (not private; the same for everyone),
then rows clipped to L2 norm sqrt(d), the public ``data_norm`` of the objective-
perturbation methods; iDASH's features are binary, so sqrt(18) bounds them exactly.
With ``--out DIR`` the AUC and accuracy against epsilon are drawn into
DIR/dplr_<dataset>.png.

    pyppml bench dplr [--quick] [--runs R] [--compare] [--out DIR]
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from pyppml.benchmarks.harness import emit
from pyppml.benchmarks.ml import _idash_dir

EPSILONS = (0.5, 1.0, 2.0, 4.0, 8.0)
DELTA = 1e-5


def _datasets():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from pyppml.dp.logistic_regression import clip_rows

    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    sc = StandardScaler().fit(Xtr)
    Xtr, Xte = sc.transform(Xtr), sc.transform(Xte)
    bound = math.sqrt(X.shape[1])
    out = {"breast_cancer": (clip_rows(Xtr, bound), ytr, Xte, yte, bound)}
    d = _idash_dir()
    if d is None:
        emit({"lib": "pyppml", "op": "_skipped", "note": "iDASH 2017 data not found (../shared/data/idash2017)"})
    else:
        tr = np.loadtxt(d / "1_training_data.csv", delimiter=",", skiprows=1)
        te = np.loadtxt(d / "1_testing_data.csv", delimiter=",", skiprows=1)
        out["idash2017"] = (tr[:, 1:], tr[:, 0], te[:, 1:], te[:, 0], math.sqrt(tr.shape[1] - 1))
    return out


def _evaluate(make, Xtr, ytr, Xte, yte, runs):
    from sklearn.metrics import roc_auc_score

    aucs, accs, secs = [], [], []
    for seed in range(runs):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # diffprivlib's PrivacyLeakWarning / convergence chatter
            model = make(seed).fit(Xtr, ytr)
        secs.append(time.perf_counter() - t0)
        aucs.append(roc_auc_score(yte, model.predict_proba(Xte)[:, 1]))
        accs.append(float(np.mean(model.predict(Xte) == yte)))
    return {"auc_mean": round(float(np.mean(aucs)), 4), "auc_std": round(float(np.std(aucs)), 4),
            "accuracy_mean": round(float(np.mean(accs)), 4), "accuracy_std": round(float(np.std(accs)), 4),
            "median_us": round(float(np.median(secs)) * 1e6, 1), "runs": runs}


def _record(lib, method, dataset, n, eps, stats, **extra):
    rec = {"lib": lib, "scheme": "dp-lr", "N": n, "L": 0, "op": f"dplr_{dataset}_" + ("nonprivate" if eps is None else f"eps{eps:g}"), "dataset": dataset,
           "method": method, "epsilon": eps}
    rec.update(stats)
    rec.update(extra)
    emit(rec)
    return rec


def _plot(dataset, rows, out_dir):
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in ((axes[0], "auc_mean", "test AUC"), (axes[1], "accuracy_mean", "test accuracy")):
        for name in sorted({(r["lib"], r["method"]) for r in rows if r["epsilon"] is not None}):
            pts = sorted((r["epsilon"], r[key]) for r in rows if (r["lib"], r["method"]) == name)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{name[0]} ({name[1]})")
        for r in rows:
            if r["epsilon"] is None:
                ax.axhline(r[key], color="black", linestyle="--", label="non-private (scikit-learn)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("epsilon")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"DP logistic regression on {dataset}")
    fig.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"dplr_{dataset}.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    emit({"lib": "pyppml", "op": "_plot", "path": path})


def run(args) -> None:
    from sklearn.linear_model import LogisticRegression

    from pyppml.benchmarks.peer_diffprivlib import load_logistic_regression
    from pyppml.dp import DPLogisticRegression

    runs = 5 if args.quick else max(args.runs, 10)
    peer = load_logistic_regression() if args.compare else None
    if args.compare and peer is None:
        emit({"lib": "diffprivlib", "op": "_skipped", "note": "diffprivlib not installed (pip install diffprivlib)"})
    for dataset, (Xtr, ytr, Xte, yte, bound) in _datasets().items():
        n = len(Xtr)
        rows = [_record("sklearn", "lbfgs", dataset, n, None,
                        _evaluate(lambda s: LogisticRegression(max_iter=1000), Xtr, ytr, Xte, yte, 1))]
        for eps in EPSILONS:
            rows.append(_record("pyppml", "sgd", dataset, n, eps, _evaluate(
                lambda s: DPLogisticRegression(epsilon=eps, delta=DELTA), Xtr, ytr, Xte, yte, runs), delta=DELTA))
            rows.append(_record("pyppml", "objective", dataset, n, eps, _evaluate(
                lambda s: DPLogisticRegression(epsilon=eps, method="objective", data_norm=bound),
                Xtr, ytr, Xte, yte, runs), delta=0.0))
            if peer is not None:
                rows.append(_record("diffprivlib", "objective", dataset, n, eps, _evaluate(
                    lambda s: peer(epsilon=eps, data_norm=bound, random_state=s), Xtr, ytr, Xte, yte, runs),
                    delta=0.0))
        if getattr(args, "out", None):
            _plot(dataset, rows, args.out)
