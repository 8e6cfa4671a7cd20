"""Encrypted scoring over a dask.distributed LocalCluster of two worker processes gives
the single-process results; a worker whose context lacks a key says which one."""

from __future__ import annotations

import os

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from pyppml import ckks  # noqa: E402
from pyppml.distributed import (WorkerContextError, require_keys, score_encrypted_distributed,  # noqa: E402
                                set_worker_threads, share_context)
from pyppml.ml import decrypt_outputs, encrypt_model, encrypt_records, inference_context, score_encrypted  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def client():
    # Worker processes import pyppml from this checkout.
    os.environ["PYTHONPATH"] = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=40)
    c = distributed.Client(cluster)
    set_worker_threads(c, 1)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(21)
    X = rng.uniform(-1, 1, (9000, 4))  # three batches of 4096 slots
    coef, intercept = np.array([0.5, -1.25, 2.0, 0.75]), 0.125
    return X, coef, intercept


def test_two_workers_score_like_one_process(client, data):
    X, coef, b = data
    ctx = inference_context(8192, encrypted_model=False, output="score")
    records = encrypt_records(X, ctx)
    assert len(records.batches) == 3
    shared = share_context(client, ctx)
    local = score_encrypted(records, (coef, b), output="score")
    remote = score_encrypted_distributed(client, records, (coef, b), context=shared, output="score")
    assert [c.to_bytes() for c in remote] == [c.to_bytes() for c in local]
    assert remote.n_records == len(X)
    np.testing.assert_allclose(decrypt_outputs(ctx, remote), X @ coef + b, atol=1e-4)
    # Both workers took part.
    assert len(client.scheduler_info()["workers"]) == 2


def test_labels_and_encrypted_model(client, data):
    X, coef, b = data
    ctx = inference_context(8192, encrypted_model=True, output="label")
    records = encrypt_records(X, ctx)
    model = encrypt_model(coef, b, ctx)
    labels = decrypt_outputs(ctx, score_encrypted_distributed(client, records, model, output="label"))
    expected = (X @ coef + b > 0).astype(int)
    # Blinding multiplies a score by up to 2^-12 before the CKKS error (~2^-20) meets it:
    # scores below ~2^-8 may flip (tests/ml/test_inference.py uses the same 0.01).
    clear = np.abs(X @ coef + b) >= 0.01
    assert np.array_equal(labels[clear], expected[clear])


def test_worker_without_relin_key_names_it(client, data):
    X, coef, b = data
    ctx = inference_context(8192, encrypted_model=False, output="score")  # no relinearization key
    records = encrypt_records(X[:10], ctx)
    model = encrypt_model(coef, b, ctx)
    with pytest.raises(WorkerContextError, match=r"lacks the relinearization key \(relin_key\)"):
        score_encrypted_distributed(client, records, model, output="score")


def test_require_keys_messages():
    ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    with pytest.raises(WorkerContextError, match=r"task: context lacks the public key \(public_key\)"):
        require_keys(ctx, ["public_key"], "task")
    ctx.keygen(rotations=[1], conjugate=False)
    require_keys(ctx, ["public_key", "relin_key", "galois_keys"], "task", rotations=[1])
    with pytest.raises(WorkerContextError, match=r"lacks the Galois key for rotation 2"):
        require_keys(ctx.make_public(), ["galois_keys"], "task", rotations=[1, 2])
    with pytest.raises(ValueError, match="unknown key"):
        require_keys(ctx, ["secret_key"], "task")


def test_share_context_never_sends_the_secret_key(client):
    ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    with pytest.raises(WorkerContextError, match="lacks the public key"):
        share_context(client, ctx)
    ctx.keygen(rotations=[])
    fut = share_context(client, ctx)
    on_worker = client.submit(lambda c: (c.is_private, c.fingerprint, c.public_key.key_id), fut).result()
    assert on_worker == (False, ctx.fingerprint, ctx.public_key.key_id)
