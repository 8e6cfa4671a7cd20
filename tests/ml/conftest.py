"""Small data sets and one encrypted training run shared by the ML tests (n = 2^14
keeps each run under a second)."""

import numpy as np
import pytest

from pyppml.ml import DataOwner


def make_data(n=150, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.array([1.0, 10.0, 0.1, 3.0, 100.0])[:d] + 5.0
    w = np.array([1.0, -0.1, 5.0, 0.0, 0.02])[:d]
    logits = (X - 5.0) @ w + 0.3 * rng.normal(size=n)
    return X, (logits > 0).astype(int)


@pytest.fixture(scope="session")
def small_data():
    return make_data()


@pytest.fixture(scope="session")
def trained(small_data):
    """(owner, encrypted model) of a 2-iteration Nesterov run with recorded history."""
    from pyppml.ml import train_encrypted

    X, y = small_data
    owner = DataOwner(iterations=2, poly_degree=16384)
    dataset = owner.encrypt(X, y)
    model = train_encrypted(owner.public_context(), dataset, progress=False, record_history=True)
    return owner, model


@pytest.fixture(scope="session")
def data_factory():
    """make_data(n, d, seed) for tests that need their own set."""
    return make_data
