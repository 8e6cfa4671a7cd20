"""Encrypted training past one chain's depth: the server refreshes the model with sparse
bootstraps between iterations (n = 2^12, security=None: the 128-bit run is in
`pyppml bench ml`)."""

import numpy as np
import pytest

from pyppml.ml import DataOwner, EncryptedDataset, train_encrypted
from pyppml.ckks.bootstrap import BootstrapKeyError
from pyppml.ml.plan import train_reference


@pytest.mark.parametrize("method", ["nesterov", "newton"])
def test_iterations_beyond_the_chain_match_float64(small_data, method):
    X, y = small_data
    owner = DataOwner(method=method, iterations=6, poly_degree=4096, security=None, bootstrapping=True)
    data = owner.encrypt(X, y)
    ctx = owner.public_context()
    assert ctx.is_bootstrappable and ctx.bootstrap_info()["slots"] == owner.packing.width
    # The chain holds one iteration's levels, not six: without refreshes this plan cannot run.
    assert ctx.bootstrap_info()["levels_after"] < owner.plan.depth_for(6, owner.plan.sigmoid_degree)
    model = train_encrypted(ctx, EncryptedDataset.from_bytes(data.to_bytes(), ctx), progress=False)
    assert model.timings["bootstraps"] >= 4
    got = owner.decrypt_weights(model.weights)
    want = train_reference(owner._Z, owner.plan)[-1]
    assert np.linalg.norm(got - want) <= 1e-4 * np.linalg.norm(want)


def test_auto_stays_off_when_the_chain_suffices(small_data):
    X, y = small_data
    owner = DataOwner(iterations=2, poly_degree=16384)
    owner.encrypt(X, y)
    assert not owner.plan_bootstraps and not owner.context.is_bootstrappable


def test_refresh_needs_the_bootstrapping_keys(small_data):
    X, y = small_data
    owner = DataOwner(iterations=6, poly_degree=4096, security=None, bootstrapping=True)
    data = owner.encrypt(X, y)
    ctx = owner.public_context()
    ctx._bootstrap_keys = None  # a server that lost them
    with pytest.raises(BootstrapKeyError, match="no bootstrapping keys"):
        train_encrypted(ctx, EncryptedDataset.from_bytes(data.to_bytes(), ctx), progress=False)


def test_estimator_refuses_to_release_what_flooding_would_erase(small_data):
    """At n = 2^12 a bootstrapped model's error leaves no bit after IND-CPA^D flooding: fit
    says so and points to the key holder's path instead of publishing noise."""
    from pyppml._core import ParameterError
    from pyppml.ml import EncryptedLogisticRegression

    X, y = small_data
    clf = EncryptedLogisticRegression(iterations=3, poly_degree=4096, security=None, bootstrapping=True, progress=False)
    with pytest.raises(ParameterError, match="cannot be released by flooding"):
        clf.fit(X, y)
    assert not hasattr(clf, "coef_")
