"""Encrypted aggregation under a committee key equals the plaintext sum within CKKS
precision; malformed shares are refused."""

import numpy as np
import pytest

from pyppml import fl


@pytest.fixture(scope="module")
def committee():
    return fl.CkksCommittee(members=3, poly_degree=8192, max_clients=64)


def test_encrypted_sum_matches_plaintext(committee):
    ups = list(np.random.default_rng(0).uniform(-1, 1, (20, 3000)))
    rep = {}
    total = fl.ckks_aggregate(ups, committee, rep)
    err = np.abs(total - np.sum(ups, axis=0)).max()
    assert err < 2 ** -9, err  # >= 9 bits after the point on sums of 20 values
    assert rep["upload_bytes"] > 0


def test_context_has_no_secret_key(committee):
    ctx = committee.client_context()
    assert ctx.secret_key is None
    with pytest.raises(Exception):
        ctx.decrypt(ctx.encrypt(np.ones(4), symmetric=False))


def test_missing_member_gives_garbage_not_the_sum(committee):
    ct = fl.add_ciphertexts(fl.encrypt_update(committee.client_context(), np.full(8, 0.5)) * 2)
    shares = [m.decryption_share(ct, committee.smudging_bits) for m in committee.members[:2]]
    out = fl.ckks_agg.combine_decryption(committee.ctx, ct, shares)
    assert np.abs(out[:8] - 1.0).max() > 1.0


def test_bad_share_shape_refused(committee):
    ct = committee.client_context().encrypt(np.ones(4), symmetric=False)
    with pytest.raises(fl.ProtocolError, match="shape"):
        fl.ckks_agg.combine_decryption(committee.ctx, ct, [np.zeros((2, 4096), dtype=np.uint64)])


def test_two_values_per_slot_upload(committee):
    ctx = committee.client_context()
    update = np.linspace(-1, 1, 3 * ctx.slots + 1)
    cts = fl.encrypt_update(ctx, update)
    assert len(cts) == 2  # n reals per ciphertext
    got = np.concatenate([committee.decrypt(c) for c in cts])[: update.size]
    assert np.abs(got - update).max() < 2 ** -9


def test_threshold_committee_decrypts_with_any_t_members():
    com = fl.CkksCommittee(members=3, threshold=2, poly_degree=8192, max_clients=8)
    assert len(com.parts) == 3 and all(len(m.parts) == 2 for m in com.members)
    ups = list(np.random.default_rng(3).uniform(-1, 1, (4, 100)))
    total = fl.add_ciphertexts([fl.encrypt_update(com.client_context(), u)[0] for u in ups])
    for live in ([0, 1], [0, 2], [1, 2], [0, 1, 2]):
        assert np.abs(com.decrypt(total, 100, live=live) - np.sum(ups, axis=0)).max() < 2 ** -9
    with pytest.raises(fl.TooFewSurvivorsError, match="no live holder"):
        com.decrypt(total, 100, live=[1])
    # One member's parts alone (t - 1 = 1 member) do not decrypt.
    out = fl.ckks_agg.combine_decryption(com.ctx, total, [com.members[0].decryption_share(total, com.smudging_bits)])
    assert np.abs(out[:100] - np.sum(ups, axis=0)).max() > 1.0


def test_committee_threshold_out_of_range():
    with pytest.raises(ValueError, match="threshold"):
        fl.CkksCommittee(members=3, threshold=4)
