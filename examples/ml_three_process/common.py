"""What the three example processes share: the data split (breast cancer from
scikit-learn; the owner trains on one part, the client scores the other) and waiting
for a peer's file (every file appears whole: pyppml writes to a temporary name, then
renames)."""

from __future__ import annotations

import os
import time


def _split():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def training_split():
    Xtr, _, ytr, _ = _split()
    return Xtr, ytr


def test_records():
    _, Xte, _, yte = _split()
    return Xte, yte


def wait_for(path: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"wait_for: {path} did not appear; expected it within {timeout:.0f} s, got nothing")
        time.sleep(0.05)
    return path
