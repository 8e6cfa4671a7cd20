"""Membership-inference audit benchmark: attack AUC, TPR at 1% FPR and the empirical
epsilon lower bound against over-fitted non-private models and against
``pyppml.dp.DPLogisticRegression`` at epsilon in {0.5, 1, 2, 4, 8}, with the test
accuracy each one keeps.

Data: scikit-learn's breast cancer (569 rows: 150 members, 150 non-members, the rest
reference data for the LiRA reference models) and the iDASH 2017 split in ../shared
when present (training and testing files pooled: 400 members, 400 non-members, 779
reference). Each repeat draws a fresh split; features are standardised with statistics
of the reference pool only, so the members' DP guarantee is untouched by the scaling.
Models: a fully grown decision tree, a random forest (100 fully grown trees), an
unregularised logistic regression (C = 1e4), and DPLogisticRegression(epsilon, delta =
1e-5) when importable (else a message on stderr and the DP part is skipped).
Attacks: ``mia_loss`` (loss threshold, Yeom et al.) and ``mia_lira`` (LiRA offline,
Carlini et al.; reference models: the same estimator, cloned). One JSON line per
(data set, model, attack): mean attack AUC and TPR over the repeats, ``eps_lb`` the
largest lower bound over the repeats, each at confidence 1 - 0.05 / repeats (so the
largest holds at 95%), ``eps_accounted`` the model's ``epsilon_`` (null when not DP),
``accuracy`` on the non-members; ``median_us`` times one attack.

    pyppml bench audit [--quick]
    python bench/bench_audit.py [--quick] [--repeats R] [--plot] [--out DIR]

With ``--plot`` or ``--out DIR`` it writes ``audit_vs_epsilon.png`` (into DIR, default
the current directory): attack AUC and accuracy against epsilon, the non-private models
as horizontal lines.
"""

from __future__ import annotations

import math
import os
import pathlib
import sys
import time

import numpy as np

from pyppml.benchmarks.harness import emit, result

EPSILONS = (0.5, 1.0, 2.0, 4.0, 8.0)
DELTA = 1e-5
_IDASH = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "idash2017"


def _idash_dir() -> pathlib.Path | None:
    env = os.environ.get("PYPPML_IDASH_DIR")
    for p in ([pathlib.Path(env)] if env else []) + [_IDASH, pathlib.Path.cwd() / ".." / "shared" / "data" / "idash2017"]:
        if (p / "1_training_data.csv").exists():
            return p
    return None


def _datasets():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    out = [("breast_cancer", X, y.astype(int), 150)]
    d = _idash_dir()
    if d is not None:
        rows = np.vstack([np.loadtxt(d / f, delimiter=",", skiprows=1)
                          for f in ("1_training_data.csv", "1_testing_data.csv")])
        out.append(("idash2017", rows[:, 1:], rows[:, 0].astype(int), 400))
    else:
        print("audit: iDASH data not found (../shared/data/idash2017 or PYPPML_IDASH_DIR); breast cancer only",
              file=sys.stderr)
    return out


def _dp_class():
    try:
        from pyppml.dp import DPLogisticRegression
    except ImportError:
        print("audit: pyppml.dp.DPLogisticRegression is not importable; the DP models are skipped",
              file=sys.stderr)
        return None
    return DPLogisticRegression


def _models(dp_cls):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    out = [("decision_tree", None, DecisionTreeClassifier()),
           ("random_forest", None, RandomForestClassifier(n_estimators=100, n_jobs=1)),
           ("logreg_unregularised", None, LogisticRegression(C=1e4, max_iter=5000))]
    if dp_cls is not None:
        out += [(f"dp_logreg_eps{e:g}", e, dp_cls(epsilon=e, delta=DELTA)) for e in EPSILONS]
    return out


def _split(X, y, members, seed):
    from sklearn.preprocessing import StandardScaler

    # Public data sets: numpy.random gives a reproducible split (no secret is drawn here).
    idx = np.random.default_rng(seed).permutation(len(X))
    m, n, r = idx[:members], idx[members:2 * members], idx[2 * members:]
    scaler = StandardScaler().fit(X[r])  # reference pool only: the members do not shape it
    return [(scaler.transform(X[i]), y[i]) for i in (m, n, r)]


def _num(x):
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def run(args) -> None:
    from sklearn.base import clone

    from pyppml import audit

    quick = bool(getattr(args, "quick", False))
    repeats = int(getattr(args, "repeats", None) or (1 if quick else 2))
    n_ref = 4 if quick else 8
    out_dir = getattr(args, "out", None)
    plot = bool(getattr(args, "plot", False)) or out_dir is not None
    confidence = 1.0 - 0.05 / repeats
    dp_cls = _dp_class()
    rows = []
    for name, X, y, members in _datasets():
        for model_name, eps, est in _models(dp_cls):
            acc, acc_sd, accounted = [], [], []
            per_attack = {"loss": [], "lira": []}
            secs = {"loss": [], "lira": []}
            for rep in range(repeats):
                (Xm, ym), (Xn, yn), (Xr, yr) = _split(X, y, members, seed=rep)
                model = clone(est).fit(Xm, ym)
                acc.append(float(model.score(Xn, yn)))
                accounted.append(getattr(model, "epsilon_", None))
                t0 = time.perf_counter()
                per_attack["loss"].append(audit.loss_threshold_attack(model, Xm, ym, Xn, yn, delta=DELTA,
                                                                      confidence=confidence))
                t1 = time.perf_counter()
                per_attack["lira"].append(audit.reference_model_attack(model, Xm, ym, Xn, yn, est, Xr, yr,
                                                                       n_reference_models=n_ref, delta=DELTA,
                                                                       confidence=confidence))
                t2 = time.perf_counter()
                secs["loss"].append(t1 - t0)
                secs["lira"].append(t2 - t1)
            acc_sd = float(np.std(acc))
            for attack, results in per_attack.items():
                timing = {"median_us": round(float(np.median(secs[attack])) * 1e6, 1), "runs": repeats}
                rec = result("pyppml", "audit", members, 0, f"mia_{attack}_auc", timing, dataset=name,
                             model=model_name, attack=results[0].attack,
                             attack_auc=_num(np.mean([r.auc for r in results])),
                             tpr_at_0_1pct_fpr=_num(np.mean([r.tpr_at_fpr[0.001] for r in results])),
                             tpr_at_1pct_fpr=_num(np.mean([r.tpr_at_fpr[0.01] for r in results])),
                             tpr_at_10pct_fpr=_num(np.mean([r.tpr_at_fpr[0.1] for r in results])),
                             eps_lb=_num(max(r.eps_lb for r in results)),
                             eps_point_median=_num(float(np.median([r.eps_point for r in results]))),
                             eps_accounted=_num(max(accounted)) if eps is not None else None,
                             eps_target=eps, delta=DELTA, confidence_each=round(confidence, 6),
                             accuracy=_num(float(np.mean(acc))), accuracy_sd=_num(acc_sd), repeats=repeats,
                             reference_models=n_ref if attack == "lira" else 0)
                emit(rec)
                rows.append(rec)
    if plot:
        path = pathlib.Path(out_dir or ".") / "audit_vs_epsilon.png"
        _plot(rows, path)
        print(f"audit: plot written to {path}", file=sys.stderr)


def _plot(rows: list, path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    datasets = sorted({r["dataset"] for r in rows})
    fig, axes = plt.subplots(2, len(datasets), figsize=(5.5 * len(datasets) + 3.6, 7), squeeze=False, sharex=True)
    plain = {"decision_tree": "tab:green", "random_forest": "tab:orange", "logreg_unregularised": "tab:gray"}
    for col, name in enumerate(datasets):
        top, bottom = axes[0][col], axes[1][col]
        mine = [r for r in rows if r["dataset"] == name]
        dp = sorted((r for r in mine if r["eps_target"] is not None), key=lambda r: r["eps_target"])
        for attack, marker in (("loss", "o-"), ("lira_offline", "s-")):
            pts = [r for r in dp if r["attack"] == attack]
            if pts:
                top.plot([r["eps_target"] for r in pts], [r["attack_auc"] for r in pts], marker, color="tab:blue",
                         alpha=1.0 if attack == "loss" else 0.6, label=f"DPLogisticRegression, {attack} attack")
        acc = [r for r in dp if r["attack"] == "loss"]
        if acc:
            bottom.plot([r["eps_target"] for r in acc], [r["accuracy"] for r in acc], "o-", color="tab:blue",
                        label="DPLogisticRegression")
        for model, colour in plain.items():
            res = [r for r in mine if r["model"] == model]
            if res:
                best = max(res, key=lambda r: r["attack_auc"])
                top.axhline(best["attack_auc"], color=colour, ls="--", label=f"{model} (non-private), best attack")
                bottom.axhline(res[0]["accuracy"], color=colour, ls="--", label=f"{model} (non-private)")
        top.axhline(0.5, color="black", lw=0.5)
        top.set_title(f"{name}: members {mine[0]['N']}")
        top.set_ylabel("membership attack AUC")
        bottom.set_ylabel("accuracy on non-members")
        bottom.set_xscale("log", base=2)
        bottom.set_xlabel("epsilon (delta = 1e-5)")
    h, lab = axes[0][0].get_legend_handles_labels()
    h2, lab2 = axes[1][0].get_legend_handles_labels()
    fig.legend(h + h2, [f"AUC: {x}" for x in lab] + [f"accuracy: {x}" for x in lab2], loc="center right", fontsize=7)
    fig.tight_layout(rect=(0, 0, 1 - 3.6 / fig.get_figwidth(), 1))
    fig.savefig(path, dpi=130)
    plt.close(fig)
