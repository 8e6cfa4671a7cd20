"""Training curve (loss and AUC per iteration) of an encrypted training run, written
with matplotlib when it is installed."""

from __future__ import annotations

import numpy as np

from pyppml.ml.sigmoid import sigmoid


def curve(history, X, y) -> dict:
    from sklearn.metrics import roc_auc_score

    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    loss, auc = [], []
    for coef, intercept in history:
        s = X @ coef + intercept
        p = np.clip(sigmoid(s), 1e-12, 1 - 1e-12)
        loss.append(float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))))
        auc.append(float(roc_auc_score(y, s)))
    return {"iteration": list(range(1, len(history) + 1)), "loss": loss, "auc": auc}


def plot_training_curve(history, X, y, path: str) -> dict:
    """Save the curve to ``path`` (any matplotlib format); returns the numbers.

    Raises
    ------
    ImportError
        if matplotlib is not installed (``pip install pyppml[plot]``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = curve(history, X, y)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(data["iteration"], data["loss"], "o-", label="log loss")
    ax.set_xlabel("iteration")
    ax.set_ylabel("log loss")
    ax2 = ax.twinx()
    ax2.plot(data["iteration"], data["auc"], "s--", color="tab:orange", label="AUC")
    ax2.set_ylabel("AUC")
    ax.set_title("encrypted logistic regression")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return data
