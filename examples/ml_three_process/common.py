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


def private_folder(shared: str, private: str | None, role: str) -> str:
    """The folder for a party's secret file, created with mode 0700: ``private``, or
    ~/.pyppml/<role> by default. Never inside the shared folder, which stands for the
    network (review 2026-12-08: the defaults were <dir>/owner-private and
    <dir>/client-private, and a server reading the shared folder loaded both keys)."""
    path = os.path.abspath(private or os.path.join(os.path.expanduser("~"), ".pyppml", role))
    shared = os.path.abspath(shared)
    if os.path.commonpath([path, shared]) == shared:
        raise SystemExit(f"{role}: --private is inside --dir; expected a folder the server cannot read, got {path}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)
    return path
