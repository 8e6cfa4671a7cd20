"""The data owner generates exactly the Galois keys the training circuit uses, training
still matches its oracle with them, and the public context and the inference messages
stay within sizes computed from their key and ciphertext counts."""

import numpy as np
import pytest

from pyppml import ckks
from pyppml.ml import (
    DataOwner,
    EncryptedDataset,
    encrypt_records,
    inference_context,
    score_encrypted,
    train_encrypted,
)
from pyppml.ml.params import chain_bits
from pyppml.ml.plan import TrainingPlan
from pyppml.ml.trainer import required_rotations

N = 16384
SLACK = 64 * 1024   # headers, parameters and the default scale: a few KB


@pytest.mark.parametrize("iterations", [1, 2])
def test_keys_are_exactly_the_rotations_training_performs(small_data, monkeypatch, iterations):
    X, y = small_data
    owner = DataOwner(iterations=iterations, poly_degree=N)
    data = owner.encrypt(X, y).to_bytes()
    server = ckks.Context.from_bytes(owner.public_context_bytes())
    performed = set()
    rotate = ckks.Ciphertext.rotate

    def spy(ct, steps):
        performed.add(ct.context.galois_element(steps))
        return rotate(ct, steps)

    monkeypatch.setattr(ckks.Ciphertext, "rotate", spy)
    model = train_encrypted(server, EncryptedDataset.from_bytes(data, server), progress=False)
    # No key unused, none missing (a missing one would have raised in train_encrypted).
    assert set(server.galois_keys.elements) == performed
    assert performed == {server.galois_element(s) for s in required_rotations(owner.plan, owner.packing)}
    if iterations == 1:   # the window sums start at the second iteration
        assert not performed & {server.galois_element(s) for s in owner.packing.row_sum_rotations()}
    coef, intercept = owner.decrypt_model(model)
    ref_coef, ref_intercept = owner.reference_history()[-1]
    np.testing.assert_allclose(np.append(coef, intercept), np.append(ref_coef, ref_intercept), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("iterations", [1, 2])
def test_public_context_size_is_bounded_by_its_key_count(small_data, iterations):
    """Each key-switching key is at most dnum seeded polynomials of 64-bit residues over
    the L + 1 data and k special primes (dnum (L + 1 + k) n 8 bytes); the context holds
    the relinearization key, one Galois key per needed rotation and a seeded public key
    ((L + 1) n 8). The key count is checked exactly."""
    X, y = small_data
    owner = DataOwner(iterations=iterations, poly_degree=N)
    owner.encrypt(X, y)
    ctx = owner.context
    q, p, dnum = chain_bits(N, TrainingPlan.depth_for(owner.plan.iterations, owner.plan.sigmoid_degree))
    assert (len(ctx.coeff_moduli), len(ctx.special_moduli)) == (len(q), len(p))
    key_bytes = dnum * (len(q) + len(p)) * N * 8
    rotations = len(required_rotations(owner.plan, owner.packing))
    assert len(ctx.galois_keys.elements) == rotations
    # An upper bound only: the core may store residues more compactly than 64 bits.
    assert len(owner.public_context_bytes()) <= (rotations + 1) * key_bytes + len(q) * N * 8 + SLACK


def test_inference_message_sizes(small_data):
    """Upper bounds. Records: one seeded symmetric ciphertext per feature and batch of
    n/2 records at the top level (at most (L + 1) n 8 bytes); scores: one public-key
    re-randomized ciphertext (two polynomials) per batch at its level."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5000, 3))     # two batches at n = 8192
    ctx = inference_context(8192, encrypted_model=False, output="score_flooded")
    n, levels = ctx.poly_degree, ctx.max_level + 1
    records = encrypt_records(X, ctx)
    assert len(records.batches) == 2
    assert len(records.to_bytes()) <= 2 * 3 * (levels * n * 8 + 1024) + 4096
    scores = score_encrypted(records, (np.ones(3), 0.0), output="score_flooded")
    level = scores[0].level
    assert len(scores.to_bytes()) <= 2 * (2 * (level + 1) * n * 8 + 1024) + 4096
    assert len(ctx.to_bytes()) <= levels * n * 8 + SLACK      # a seeded public key, no evaluation key
