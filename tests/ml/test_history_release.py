"""The owner, not the server, decides whether every training iteration is released.

Review 2026-12-08: ``from_encrypted_model`` released the history whenever the server's
message carried one, so a server that trained with ``record_history=True`` had every
iteration published (the first one a label-weighted feature mean) without the owner
asking."""

import numpy as np
import pytest

from pyppml.ml import DataOwner, EncryptedLogisticRegression, train_encrypted


@pytest.fixture
def trained():  # a fresh key per test: tau is fixed by a key's first release
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = (X[:, 0] > 0).astype(int)
    owner = DataOwner(iterations=2, poly_degree=16384)
    data = owner.encrypt(X, y)
    with_history = train_encrypted(owner.public_context(), data, progress=False, record_history=True).to_bytes()
    without = train_encrypted(owner.public_context(), data, progress=False).to_bytes()
    return owner, with_history, without


def test_a_history_the_owner_did_not_ask_for_is_not_released(trained):
    owner, with_history, _ = trained
    before = owner.context.releases_made
    clf = EncryptedLogisticRegression.from_encrypted_model(owner, with_history)
    assert owner.context.releases_made == before + 1  # the model only
    assert clf.history_ == [] and clf.coef_.shape == (1, 3)


def test_the_owner_may_release_the_history(trained):
    owner, with_history, without = trained
    before = owner.context.releases_made
    clf = EncryptedLogisticRegression.from_encrypted_model(owner, with_history, record_history=True)
    assert owner.context.releases_made == before + 2 and len(clf.history_) == 2
    with pytest.raises(ValueError, match="the model has no history"):
        EncryptedLogisticRegression.from_encrypted_model(owner, without, record_history=True)
