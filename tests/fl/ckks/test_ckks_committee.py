"""Encrypted aggregation under a committee key equals the plaintext sum within CKKS
precision; members decrypt only sums of signed uploads from pinned clients, once per
round (a crafted ciphertext would reveal their secret share); malformed shares are
refused; what the server holds of one client is independent of its update."""

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pyppml import ParameterError, fl
from pyppml.ckks.ciphertext import Ciphertext
from pyppml.fl.ckks.uploads import server_sum, sign_upload, uploads_digest

N_CLIENTS = 20


@pytest.fixture(scope="module")
def keys():
    return [Ed25519PrivateKey.generate() for _ in range(N_CLIENTS)]


@pytest.fixture(scope="module")
def committee(keys):
    # min_clients=2: these tests sum a few of the pinned clients (the default is 2/3 of them)
    return fl.CkksCommittee(members=3, poly_degree=8192, max_clients=64, client_keys=[k.public_key() for k in keys],
                            min_clients=2)


class _Rounds:
    """Fresh round numbers for the module's committee (each member answers a round once)."""
    n = 100

    @classmethod
    def next(cls):
        cls.n += 1
        return cls.n


def _uploads(com, keys, updates, rnd):
    return [sign_upload(k, com.key_id, rnd, fl.encrypt_update(com.client_context(), u)) for k, u in zip(keys, updates)]


def _reseal(blob):
    """The format's checksum trailer recomputed: it detects corruption, not attackers."""
    from pyppml._core import he

    body = bytes(blob[:-8])
    return body + he.checksum(body).to_bytes(8, "little")


def _with_components(blob, ctx, c0, c1):
    """The unseeded ciphertext ``blob`` with its two components replaced (format 2.1:
    after the 45-byte header and fields, every row bit-packed at its prime's width), its
    checksum recomputed: a well-formed ciphertext with chosen contents."""
    from pyppml._core import pack_fixed_width

    head = bytes(blob[:45])
    rows = b"".join(pack_fixed_width(np.ascontiguousarray(row, dtype=np.uint64), int(q).bit_length())
                    for comp in (c0, c1) for row, q in zip(comp, ctx.coeff_moduli))
    assert len(head) + len(rows) + 8 == len(blob)  # same layout: nothing but the rows changed
    return _reseal(head + rows + b"\0" * 8)


def _crafted(com, big=2**45):
    """The attack ciphertext (0, C): its decryption share is C s_i + smudging, which gives
    the member's secret part s_i by rounding when C is far above the smudging width."""
    ctx = com.client_context()
    ct = ctx.encrypt(np.zeros(4), symmetric=False)
    c1 = np.asarray(ct._native.poly(1).coeffs)
    q = np.array(ctx.coeff_moduli[:c1.shape[0]], dtype=np.uint64)[:, None]
    out = _with_components(ct.to_bytes(), ctx, np.zeros_like(c1), np.zeros_like(c1) + np.uint64(big) % q)  # constant C
    Ciphertext.from_bytes(out, ctx)  # a well-formed, fresh-looking ciphertext
    return out


def test_encrypted_sum_matches_plaintext(committee, keys):
    ups = list(np.random.default_rng(0).uniform(-1, 1, (N_CLIENTS, 3000)))
    rep = {}
    total = fl.ckks_aggregate(ups, committee, rep, identity_keys=keys, round=_Rounds.next())
    err = np.abs(total - np.sum(ups, axis=0)).max()
    assert err < 2 ** -9, err  # >= 9 bits after the point on sums of 20 values
    assert rep["upload_bytes"] > 0


def test_context_has_no_secret_key(committee):
    ctx = committee.client_context()
    assert ctx.secret_key is None
    with pytest.raises(Exception):
        ctx.decrypt(ctx.encrypt(np.ones(4), symmetric=False))


def test_crafted_ciphertext_is_not_decrypted(committee, keys):
    """Defect 7: the server hands a member (0, C). Unsigned, signed by an unpinned key,
    or slipped in beside honest uploads: the member refuses and returns no share."""
    member = committee.members[0]
    crafted = _crafted(committee)
    rnd = _Rounds.next()
    honest = _uploads(committee, keys[:3], [np.full(8, 0.25)] * 3, rnd)
    pk = keys[0].public_key().public_bytes_raw()
    with pytest.raises(fl.ProtocolError, match="no valid signature"):
        member.decryption_share([(pk, [crafted], bytes(64))], rnd, committee.smudging_bits)
    rogue = Ed25519PrivateKey.generate()
    with pytest.raises(fl.ProtocolError, match="not pinned"):
        member.decryption_share([sign_upload(rogue, committee.key_id, rnd, [crafted])], rnd, committee.smudging_bits)
    # An honest upload whose ciphertext the server swapped for the crafted one.
    swapped = [(honest[0][0], [crafted], honest[0][2])] + honest[1:]
    with pytest.raises(fl.ProtocolError, match="no valid signature"):
        member.decryption_share(swapped, rnd, committee.smudging_bits)
    assert member.last_round < rnd  # nothing answered
    # The same member still serves the honest round.
    assert np.abs(committee.decrypt_uploads(honest, rnd, count=8) - 0.75).max() < 2 ** -9


def test_member_answers_each_round_once(committee, keys):
    """A second request for one round (e.g. the same uploads without client 0, whose
    difference would be client 0's update) is refused, as is an older round; uploads
    signed for another round or key do not verify."""
    rnd = _Rounds.next()
    ups = _uploads(committee, keys[:4], list(np.random.default_rng(1).uniform(-1, 1, (4, 16))), rnd)
    committee.decrypt_uploads(ups, rnd)
    with pytest.raises(fl.ProtocolError, match="round is not new"):
        committee.members[1].decryption_share(ups[1:], rnd, committee.smudging_bits)
    later = rnd + 1
    with pytest.raises(fl.ProtocolError, match="no valid signature"):
        committee.members[1].decryption_share(ups[1:], later, committee.smudging_bits)
    again = _uploads(committee, keys[:1], [np.ones(16)], later)
    with pytest.raises(fl.ProtocolError, match="two uploads"):
        committee.members[1].decryption_share(again * 2, later, committee.smudging_bits)


def test_too_few_clients_not_decrypted(keys):
    com = fl.CkksCommittee(members=2, poly_degree=8192, max_clients=8, client_keys=[k.public_key() for k in keys[:4]],
                           min_clients=3)
    ups = _uploads(com, keys[:2], [np.ones(4)] * 2, 1)
    with pytest.raises(fl.TooFewSurvivorsError, match="too few client uploads"):
        com.decrypt_uploads(ups, 1)
    assert np.abs(com.decrypt_uploads(_uploads(com, keys[:3], [np.ones(4)] * 3, 2), 2, count=4) - 3).max() < 2 ** -9


def test_missing_member_gives_garbage_not_the_sum(committee, keys):
    rnd = _Rounds.next()
    ups = _uploads(committee, keys[:2], [np.full(8, 0.5)] * 2, rnd)
    total = fl.add_ciphertexts(Ciphertext.from_bytes(u[1][0], committee.ctx) for u in ups)
    cert = committee.certify(ups, rnd)
    shares = [m.decryption_share(ups, rnd, committee.smudging_bits, certificate=cert)[0]
              for m in committee.members[:2]]
    out = fl.ckks.committee.combine_decryption(committee.ctx, total, shares)
    assert np.abs(out[:8] - 1.0).max() > 1.0


def test_bad_share_shape_refused(committee):
    ct = committee.client_context().encrypt(np.ones(4), symmetric=False)
    with pytest.raises(fl.ProtocolError, match="shape"):
        fl.ckks.committee.combine_decryption(committee.ctx, ct, [np.zeros((2, 4096), dtype=np.uint64)])


def test_two_values_per_slot_upload(committee, keys):
    ctx = committee.client_context()
    update = np.linspace(-1, 1, 3 * ctx.slots + 1)
    cts = fl.encrypt_update(ctx, update)
    assert len(cts) == 2  # n reals per ciphertext
    rnd = _Rounds.next()
    zeros = fl.encrypt_update(ctx, np.zeros_like(update))  # a sum of one is never decrypted
    got = committee.decrypt_uploads([sign_upload(keys[0], committee.key_id, rnd, cts),
                                     sign_upload(keys[1], committee.key_id, rnd, zeros)], rnd, count=update.size)
    assert np.abs(got - update).max() < 2 ** -9


@pytest.fixture(scope="module")
def two_of_three(keys):
    return fl.CkksCommittee(members=3, threshold=2, poly_degree=8192, max_clients=8,
                            client_keys=[k.public_key() for k in keys[:4]])


def test_threshold_committee_decrypts_with_any_t_members(two_of_three, keys):
    """All three certify (quorum ceil((3 + 2) / 2) = 3); any two then decrypt, i.e. the
    sum is right when a member drops after certification."""
    com = two_of_three
    assert len(com.parts) == 3 and all(len(m.parts) == 2 for m in com.members)
    ups = list(np.random.default_rng(3).uniform(-1, 1, (4, 100)))
    for rnd, live in enumerate(([0, 1], [0, 2], [1, 2], [0, 1, 2]), start=1):
        up = _uploads(com, keys[:4], ups, rnd)
        got = com.decrypt_uploads(up, rnd, count=100, live=live, certificate=com.certify(up, rnd))
        assert np.abs(got - np.sum(ups, axis=0)).max() < 2 ** -9
    up = _uploads(com, keys[:4], ups, 9)
    with pytest.raises(fl.TooFewSurvivorsError, match="no live holder"):
        com.decrypt_uploads(up, 9, count=100, live=[1], certificate=com.certify(up, 9))
    # Two live members cannot certify: a third must vouch that it signed no other uploads.
    with pytest.raises(fl.TooFewSurvivorsError, match="too few to certify"):
        com.decrypt_uploads(_uploads(com, keys[:4], ups, 10), 10, count=100, live=[0, 1])
    # One member's parts alone (t - 1 = 1 member) do not decrypt.
    up = _uploads(com, keys[:4], ups, 11)
    total = fl.add_ciphertexts(Ciphertext.from_bytes(u[1][0], com.ctx) for u in up)
    share = com.members[0].decryption_share(up, 11, com.smudging_bits, certificate=com.certify(up, 11))
    out = fl.ckks.committee.combine_decryption(com.ctx, total, share)
    assert np.abs(out[:100] - np.sum(ups, axis=0)).max() > 1.0


def test_threshold_committee_sums_with_a_member_down(keys):
    """3-of-5 (quorum 4): one member down for the whole round, the other four certify
    and three of them decrypt the right sum."""
    com = fl.CkksCommittee(members=5, threshold=3, poly_degree=8192, max_clients=8,
                           client_keys=[k.public_key() for k in keys[:4]])
    ups = list(np.random.default_rng(4).uniform(-1, 1, (4, 50)))
    got = com.decrypt_uploads(_uploads(com, keys[:4], ups, 1), 1, count=50, live=[0, 1, 3, 4])
    assert np.abs(got - np.sum(ups, axis=0)).max() < 2 ** -9
    with pytest.raises(fl.TooFewSurvivorsError, match="too few to certify"):
        com.decrypt_uploads(_uploads(com, keys[:4], ups, 2), 2, count=50, live=[0, 1, 3])


COLLUDER, HONEST_1, HONEST_2, VICTIM = 0, 1, 2, 3


def _colluder_signature(com, uploads, rnd):
    """What the member colluding with the server signs: any uploads it is asked."""
    key = com.members[COLLUDER]._signing_key
    return key.sign(fl.common.agreement.statement(com.plan, rnd, uploads_digest(uploads)))


def _victim_from_two_sums(com, everyone, minus, rnd, share_u, share_minus):
    """The server's attack once it holds the part the colluder lacks answered over U and
    over U minus {victim}: the colluder's own parts complete both decryptions, and the
    difference of the two sums is the victim's update."""
    colluder = com.members[COLLUDER]
    sums = []
    for up, share in ((everyone, share_u), (minus, share_minus)):
        total = server_sum(com.ctx, up)[0]
        mine = [np.array(com.ctx._native.decryption_share(colluder._parts[p], total._native,
                                                          com.smudging_bits).coeffs, copy=True)
                for p in colluder.parts]
        sums.append(fl.ckks.committee.combine_decryption(com.ctx, total, mine + [share]))
    return sums[0] - sums[1]


def test_colluding_member_cannot_get_two_client_sets_decrypted(two_of_three, keys):
    """The attack on 2-of-3 with member 0 colluding (inside the trust bound, t - 1 = 1):
    the part member 0 lacks is held by members 1 and 2. The server has member 1 answer it
    over every upload U and member 2 over U minus the victim's, with member 0 signing
    whatever it is asked. Member 2 signed U (it takes three signers to certify U) so it
    neither signs nor answers U minus {victim}: refused however the server orders it."""
    com = two_of_three
    part = [p for p in com.members[HONEST_1].parts if p not in com.members[COLLUDER].parts]
    assert part and part[0] in com.members[HONEST_2].parts
    ups = list(np.random.default_rng(6).uniform(-1, 1, (4, 32)))
    rnd = 20
    everyone = _uploads(com, keys[:4], ups, rnd)
    minus = [u for i, u in enumerate(everyone) if i != VICTIM]
    # Order 1: U certified by all three, then member 1 answers it.
    cert_u = com.certify(everyone, rnd)
    share_u = com.members[HONEST_1].decryption_share(everyone, rnd, com.smudging_bits, part, cert_u)[0]
    with pytest.raises(fl.ProtocolError, match="certified in round"):
        com.members[HONEST_2].certify(minus, rnd)
    forged = fl.common.agreement.pack({COLLUDER: _colluder_signature(com, minus, rnd)})
    for cert in (forged, cert_u):
        with pytest.raises(fl.ProtocolError):
            com.members[HONEST_2].decryption_share(minus, rnd, com.smudging_bits, part, cert)
    # Order 2 (next round): member 2 signs U minus {victim} first; then U is never
    # certified and member 1 answers nothing.
    rnd = 21
    everyone = _uploads(com, keys[:4], ups, rnd)
    minus = [u for i, u in enumerate(everyone) if i != VICTIM]
    sig_minus = com.members[HONEST_2].certify(minus, rnd)
    with pytest.raises(fl.ProtocolError, match="certified in round"):
        com.members[HONEST_2].certify(everyone, rnd)
    cert_u = fl.common.agreement.pack({COLLUDER: _colluder_signature(com, everyone, rnd),
                                HONEST_1: com.members[HONEST_1].certify(everyone, rnd)})
    cert_minus = fl.common.agreement.pack({COLLUDER: _colluder_signature(com, minus, rnd), HONEST_2: sig_minus})
    with pytest.raises(fl.ProtocolError, match="too few signers"):
        com.members[HONEST_1].decryption_share(everyone, rnd, com.smudging_bits, part, cert_u)
    with pytest.raises(fl.ProtocolError, match="too few signers"):
        com.members[HONEST_2].decryption_share(minus, rnd, com.smudging_bits, part, cert_minus)


def test_two_client_sets_attack_recovers_the_victim_without_agreement(two_of_three, keys):
    """Power of the test above: the same two answers, taken from members that skip the
    agreement, give the server the victim's update (so refusing them is what protects it)."""
    com = two_of_three
    part = [p for p in com.members[HONEST_1].parts if p not in com.members[COLLUDER].parts]
    ups = list(np.random.default_rng(7).uniform(-1, 1, (4, 32)))
    rnd = 30
    everyone = _uploads(com, keys[:4], ups, rnd)
    minus = [u for i, u in enumerate(everyone) if i != VICTIM]
    answers = []
    for j, up in ((HONEST_1, everyone), (HONEST_2, minus)):
        member = com.members[j]
        total = server_sum(com.ctx, up)[0]
        answers.append(np.array(com.ctx._native.decryption_share(member._parts[part[0]], total._native,
                                                                 com.smudging_bits).coeffs, copy=True))
    got = _victim_from_two_sums(com, everyone, minus, rnd, *answers)
    assert np.abs(got[:32] - ups[VICTIM]).max() < 2 ** -9


def test_committee_threshold_out_of_range():
    for members, threshold in ((3, 4), (3, 0), (17, 2)):
        with pytest.raises(ValueError, match="out of range"):
            fl.CkksCommittee(members=members, threshold=threshold)


def _component_pvalues(blob, ctx):
    """Chi-square p-values of each component's limbs, coefficients bucketed into 64
    equal ranges of [0, q_j) (8192 coefficients: 128 per bucket)."""
    from scipy import stats

    ct = Ciphertext.from_bytes(blob, ctx)
    out = []
    for comp in range(ct.size):
        coeffs = np.asarray(ct._native.poly(comp).coeffs)
        for j, row in enumerate(coeffs):
            buckets = np.minimum((row.astype(np.float64) / ctx.coeff_moduli[j] * 64).astype(np.int64), 63)
            out.append(stats.chisquare(np.bincount(buckets, minlength=64)).pvalue)
    return out


def _transparent(com, values):
    """A ciphertext (m, 0) with no encryption randomness: the plaintext in the clear."""
    ctx = com.client_context()
    ct = ctx.encrypt(np.zeros(4), symmetric=False)
    m = np.asarray(ctx.encode(values)._native.poly.coeffs)
    return _with_components(ct.to_bytes(), ctx, m, np.zeros_like(m))


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_server_view_of_an_upload_is_uniform(committee, value):
    """What the server holds of one client (its ciphertext) is uniform in every limb of
    both components whatever the update (zero or all at max_abs_value): chi-square at
    false-failure rate 1e-6 per limb. The decrypted sum is all it learns beyond that."""
    ctx = committee.client_context()
    blob = fl.encrypt_update(ctx, np.full(2 * ctx.slots, value))[0].to_bytes()
    assert all(pv > 1e-6 for pv in _component_pvalues(blob, ctx))


def test_server_view_test_detects_unencrypted_upload(committee):
    """Power of the test above: an upload without encryption randomness, (m, 0), is
    rejected in every limb."""
    ctx = committee.client_context()
    pvs = _component_pvalues(_transparent(committee, np.full(ctx.slots, 1.0)), ctx)
    assert all(pv < 1e-6 for pv in pvs)


def test_single_upload_is_never_decrypted(keys):
    """Review: with the old default min_clients=1 the server alone got one victim's update
    decrypted by submitting its upload alone. Now a sum needs >= 2 clients (default 2/3 of
    the pinned ones), and min_clients=1 is refused."""
    com = fl.CkksCommittee(members=3, threshold=2, poly_degree=8192, max_clients=8,
                           client_keys=[k.public_key() for k in keys[:6]])
    assert com.min_clients == 4
    rnd = _Rounds.next()
    victim = _uploads(com, keys[:1], [np.full(8, 0.3)], rnd)
    with pytest.raises(fl.TooFewSurvivorsError):
        com.decrypt_uploads(victim, rnd, count=8)
    with pytest.raises(ValueError, match="min_clients"):
        fl.CkksCommittee(members=1, poly_degree=8192, max_clients=8, client_keys=[k.public_key() for k in keys[:2]],
                         min_clients=1)


def test_member_refuses_a_sum_larger_than_planned(keys):
    """Review: the flooding width is sized for sums of max_clients uploads, but members
    summed any number of pinned uploads (24 against a plan for 2: 66 smudging bits where
    68 were needed). Members now refuse a larger sum before anything is decrypted, and a
    committee whose min_clients exceeds max_clients is refused."""
    com = fl.CkksCommittee(members=3, poly_degree=8192, max_clients=3, client_keys=[k.public_key() for k in keys[:5]],
                           min_clients=2)
    rnd = _Rounds.next()
    with pytest.raises(fl.ProtocolError, match="too many client uploads"):
        com.decrypt_uploads(_uploads(com, keys[:4], [np.full(8, 0.25)] * 4, rnd), rnd, count=8)
    rnd = _Rounds.next()
    assert np.abs(com.decrypt_uploads(_uploads(com, keys[:3], [np.full(8, 0.25)] * 3, rnd), rnd, count=8)
                  - 0.75).max() < 2 ** -9
    with pytest.raises(ValueError, match="min_clients exceeds max_clients"):
        fl.CkksCommittee(members=3, poly_degree=8192, max_clients=2, client_keys=[k.public_key() for k in keys])


@pytest.mark.parametrize("members,threshold", [(3, 3), (3, 2), (3, 1), (4, 2)])
def test_flooding_counts_every_holder_of_a_part(keys, members, threshold):
    """Review: each of the k - t + 1 holders of a key part may be asked for it over the one
    certified sum: that many independent floodings of one decryption, distance
    (k - t + 1) n B / 2^b for a shift B (7 standard deviations of the sum's decryption
    noise, an independent computation here). The width must keep that below 2^-40."""
    n, max_clients = 8192, 8
    com = fl.CkksCommittee(members=members, threshold=threshold, poly_degree=n, max_clients=max_clients,
                           client_keys=[k.public_key() for k in keys[:4]], min_clients=2)
    parts = len(com.parts)
    shift = 7 * np.sqrt(max_clients * 10.5 * (2 * n * parts + 1))
    copies = members - threshold + 1
    assert copies * n * shift / 2.0 ** com.smudging_bits <= 2.0 ** -40
    assert copies * n * shift / 2.0 ** com.smudging_bits > 2.0 ** -41  # and not far wider than needed


def test_member_refuses_parts_twice_or_not_held(two_of_three, keys):
    """A request naming a part twice, or a part the member does not hold, is refused
    before anything is decrypted (an unheld part was a KeyError)."""
    com = two_of_three
    rnd = _Rounds.next()
    ups = _uploads(com, keys[:3], [np.full(8, 0.25)] * 3, rnd)
    cert = com.certify(ups, rnd)
    member = com.members[HONEST_1]
    lacked = [p for p in range(len(com.parts)) if p not in member.parts]
    for parts in ([member.parts[0]] * 2, lacked, []):
        with pytest.raises(fl.ProtocolError, match="not distinct parts"):
            member.decryption_share(ups, rnd, com.smudging_bits, parts, cert)
    assert member.last_round < rnd  # nothing answered: the round is still open


def test_refused_request_leaves_the_round_answerable(two_of_three, keys):
    """Review rev6 L3: smudging_bits = 121 passed the member's own check, used up the round
    (last_round, the pruned certificates), then failed in the core (0..120), so the
    genuine request for the round was refused; parts=[1.5] was read as part 1. Widths
    out of range, non-integer widths and parts are now refused before any state changes,
    and the genuine request is answered."""
    com = two_of_three
    rnd = _Rounds.next()
    ups = _uploads(com, keys[:3], [np.full(8, 0.25)] * 3, rnd)
    cert = com.certify(ups, rnd)
    member = com.members[HONEST_1]
    for bits, match in ((121, "out of range"), (10**30, "out of range"), (float(com.smudging_bits), "not an integer"),
                        (True, "not an integer")):
        with pytest.raises(fl.ProtocolError, match=match):
            member.decryption_share(ups, rnd, bits, None, cert)
    part = member.parts[0]
    for parts in ([part + 0.5], [float(part)], [True]):
        with pytest.raises(fl.ProtocolError, match="not integers"):
            member.decryption_share(ups, rnd, com.smudging_bits, parts, cert)
    assert member.last_round < rnd
    assert member.decryption_share(ups, rnd, com.smudging_bits, None, cert)
    assert member.last_round == rnd


def test_member_refuses_a_smaller_flooding_width(committee, keys):
    """Review: the member took its smudging width from the requester, and 0 gave out the
    exact decryption noise (max error 5e-15). It now refuses anything below its plan."""
    rnd = _Rounds.next()
    ups = _uploads(committee, keys[:3], [np.full(8, 0.25)] * 3, rnd)
    for bits in (0, committee.smudging_bits - 1):
        with pytest.raises(fl.ProtocolError, match="smudging_bits is below"):
            committee.members[0].decryption_share(ups, rnd, bits)
    assert np.abs(committee.decrypt_uploads(ups, rnd, count=8) - 0.75).max() < 2 ** -9


def test_out_of_range_update_errors_never_quote_the_value():
    """Review: the range errors carried the client's largest entry (a private value) in a
    message that the Flower fit status hands to the server."""
    from pyppml.fl.ckks.onetime.client import check_update
    from pyppml.fl.ckks.onetime.params import OneTimeParams

    with pytest.raises(ValueError) as info:
        fl.ckks_aggregate([np.array([0.5, 3.14159]), np.array([0.1, 0.2])])
    assert "3.14" not in str(info.value) and "update 0" in str(info.value)
    with pytest.raises(ValueError) as info:
        check_update(OneTimeParams(3, 4, members=2), np.array([0.5, 3.14159, 0.0, 0.0]), "test")
    assert "3.14" not in str(info.value)


def _secret_part_rows(ctx, key) -> list[np.ndarray]:
    """NTT(s_i) of a member's key part on every data prime, from the exported key bytes
    (header of 32 bytes, then each prime's row bit-packed; the test may look)."""
    from pyppml import _core
    from pyppml._core import he

    data, n, rows, off = he.export_secret_key(ctx._native, key), ctx.poly_degree, [], 32
    for q in ctx.coeff_moduli:
        size = _core.packed_size(n, q.bit_length())
        rows.append(np.asarray(_core.unpack_fixed_width(data[off:off + size], q.bit_length(), n), dtype=object))
        off += size
    return rows


def _share_noise(ctx, share, c1, s_rows) -> np.ndarray:
    """share - c1 s_i, back in coefficient form and lifted by CRT to centred integers:
    exactly the noise the member added (smudging plus its CBD error)."""
    from pyppml import ring

    n, moduli = ctx.poly_degree, [int(q) for q in ctx.coeff_moduli[:share.shape[0]]]
    residues = []
    for j, q in enumerate(moduli):
        diff = (share[j].astype(object) - c1[j].astype(object) * s_rows[j]) % q
        residues.append([int(v) for v in ring.NttTables(n, q).inverse(np.array(diff, dtype=np.uint64))])
    Q = int(np.prod([q for q in moduli], dtype=object))
    out = []
    for k in range(n):
        x = 0
        for j, q in enumerate(moduli):
            Qj = Q // q
            x += residues[j][k] * Qj * pow(Qj, -1, q)
        x %= Q
        out.append(x - Q if x > Q // 2 else x)
    return np.array(out, dtype=object)


@pytest.mark.parametrize("threshold", [None, 2])
def test_decryption_share_carries_the_planned_smudging(committee, keys, threshold):
    """Review (mutation M08: members asked the core for width 0, and every committee test
    passed, since none looked at what a share carries). The test knows the member's key
    part s_i, so share - c1 s_i is exactly the noise it added: it must be uniform on
    [-2^b, 2^b) plus CBD(21) with b = smudging_bits.

    Statistics on one share's n = 8192 coefficients, x / 2^b ~ U[-1, 1) (CBD(21) is
    < 2^-60 of that, b = 68 or 69 here): (1) KS against U[-1, 1), p > 1e-6; (2) the sample variance over
    2^(2b) / 3 within 6% (uniform kurtosis 1.8: relative sd sqrt(0.8 / 8192) = 1%, so 6
    sd, false failure < 1e-8); (3) |x| <= 2^b + 21, deterministic. Without smudging the
    noise is CBD(21): variance 10.5, 2^-130 of the planned one."""
    from scipy import stats

    if threshold is not None:  # 2-of-3: each part has two holders, so b counts log2(2) more
        committee = fl.CkksCommittee(members=3, threshold=threshold, poly_degree=8192, max_clients=8,
                                     client_keys=[k.public_key() for k in keys[:3]], min_clients=2)
    com = committee
    member = com.members[0]
    part = member.parts[0]
    rnd = _Rounds.next()
    ups = _uploads(com, keys[:2], [np.full(8, 0.25)] * 2, rnd)
    c1 = np.asarray(server_sum(com.ctx, ups)[0]._native.poly(1).coeffs)
    share = member.decryption_share(ups, rnd, com.smudging_bits, [part], com.certify(ups, rnd))[0]
    noise = _share_noise(com.ctx, share, c1, _secret_part_rows(com.ctx, member._parts[part]))
    b = com.smudging_bits
    assert max(abs(int(v)) for v in noise) <= 2 ** b + 21
    x = np.array([float(v) / 2.0 ** b for v in noise])
    assert stats.kstest(x, stats.uniform(-1, 2).cdf).pvalue > 1e-6
    assert abs(float(np.mean(x ** 2)) / (1 / 3) - 1) < 0.06


@pytest.mark.parametrize("bits", [0, 20, 39, 121])
def test_core_refuses_a_share_without_smudging_and_an_empty_combination(committee, bits):
    """Review 2026-12-07: the core's decryption_share took smudging_bits = 0 (only the
    committee layer refused it), so any caller of the native call could publish
    c1 s_i + (small error), which hands over s_i for a crafted (0, C); and
    combine_decryption took no share at all. The core now refuses both."""
    from pyppml import ParameterError

    ctx = committee.client_context()
    native = committee.members[0].ctx._native
    part = committee.members[0]._parts[next(iter(committee.members[0]._parts))]
    ct = ctx.encrypt(np.zeros(4), symmetric=False)
    with pytest.raises(ParameterError, match=r"decryption_share: smudging_bits is out of range; expected 40\.\.120"):
        native.decryption_share(part, ct._native, bits)
    assert native.decryption_share(part, ct._native, 40).coeffs.shape[0] == ct.level + 1
    with pytest.raises(ParameterError, match="combine_decryption: shares is empty"):
        native.combine_decryption(ct._native, [])


def test_member_refuses_signed_uploads_that_are_not_fresh_encryptions(committee, keys):
    """A pinned client's signature does not make any ciphertext decryptable: one at a
    lower level, of size 3 or at another scale is refused (those carry more
    key-dependent noise than the flooding was sized for; a product, of size 3, also
    carries the square of the scale). Mutation audit 2026-12-08: the
    check could be switched off with every test passing, since the crafted-ciphertext
    tests were stopped by the signature check first."""
    ctx = committee.client_context()
    member = committee.members[0]
    fresh = ctx.encrypt(np.full(8, 0.25), symmetric=False)
    # At this plan's scale (2^92 over 2^50 primes) a lower level does not even load as a
    # ciphertext; another scale at the top level does, and only the freshness check stops it.
    variants = {"lower level": (fresh.drop_to_level(ctx.max_level - 1), "not a ciphertext"),
                "other scale": (ctx.encrypt(np.full(8, 0.25), scale=ctx.scale / 2, symmetric=False),
                                "not a fresh encryption")}
    for name, (ct, message) in variants.items():
        rnd = _Rounds.next()
        ups = [sign_upload(keys[0], committee.key_id, rnd, [ct])] + _uploads(committee, keys[1:3],
                                                                            [np.full(8, 0.25)] * 2, rnd)
        with pytest.raises(fl.ProtocolError, match=message):
            member.decryption_share(ups, rnd, committee.smudging_bits)
        assert member.last_round < rnd, name


def test_a_member_never_decrypts_a_sum_of_one_client():
    """CommitteeMember itself refuses min_clients below 2 (CkksCommittee did; a member
    built directly was not checked by any test: mutation audit 2026-12-08)."""
    com = fl.CkksCommittee(members=2, poly_degree=8192, max_clients=8, client_keys=[])
    member = type(com.members[0])
    for bad in (1, 0, True):
        with pytest.raises(ParameterError, match="min_clients is out of range"):
            member(com.client_context(), min_clients=bad)
