"""CKKS aggregation under one-time committee keys: the decoded sum equals the plaintext
sum within the planned precision with clients and members dropping; uploads are compact;
members never release more than one sum per round; malformed or forged messages reject
their sender and never corrupt the sum. Privacy of the uploads: test_onetime_privacy.py;
agreement on the client set and plan binding: test_onetime_agreement.py; mutated
messages: test_onetime_fuzz.py."""

import itertools

import numpy as np
import pytest
from onetime_helpers import committee_round

from pyppml.fl import ProtocolError, TooFewSurvivorsError
from pyppml.fl.ckks.onetime import OneTimeAggregator, OneTimeClient, OneTimeMember, OneTimeParams, OneTimeServer
from pyppml.fl.common import agreement
from pyppml.fl.common.errors import ParameterError
from pyppml.fl.common.messages import Kind, Message

N_CLIENTS, DIM = 6, 9000  # three blocks at n = 4096, the last one padded


def updates(seed, n=N_CLIENTS, dim=DIM, bound=1.0):
    return list(np.random.default_rng(seed).uniform(-bound, bound, (n, dim)))


def make_committee(params):
    """The plan naming fresh member signing keys, and its members."""
    keys = agreement.new_signing_keys(params.members)
    p = agreement.with_signing_keys(params, keys)
    return p, [OneTimeMember(j, p, signing_key=keys[j], signed=False) for j in range(p.members)]


def bound(params):
    return 2.0 ** -params.precision_bits


@pytest.fixture(scope="module")
def agg():
    return OneTimeAggregator(N_CLIENTS, DIM, members=3, threshold=2, min_clients=4)


def test_sum_matches_numpy_within_planned_precision(agg):
    ups = updates(1)
    total = agg.run_round(ups)
    assert total.shape == (DIM,)
    assert np.abs(total - np.sum(ups, axis=0)).max() < bound(agg.params)
    assert agg.report.survivors == list(range(N_CLIENTS))


def test_extreme_values_do_not_wrap():
    agg = OneTimeAggregator(4, 100, members=2, max_abs_value=3.0, precision_bits=16)
    ups = [np.full(100, 3.0)] * 4
    assert np.abs(agg.run_round(ups) - 12.0).max() < bound(agg.params)
    ups = [np.full(100, -3.0)] * 4
    assert np.abs(agg.run_round(ups) + 12.0).max() < bound(agg.params)


@pytest.mark.parametrize("dropped", [set(), {0}, {1, 4}])
@pytest.mark.parametrize("member_drop", [None, {"decrypt": {0}}, {"decrypt": {2}}])
def test_dropouts_of_a_third_of_the_clients_and_a_member(agg, dropped, member_drop):
    """2-of-3: a member may fail after certifying (its parts go to other holders)."""
    ups = updates(2)
    total = agg.run_round(ups, dropouts=dropped, member_dropouts=member_drop)
    alive = [i for i in range(N_CLIENTS) if i not in dropped]
    assert agg.report.survivors == alive
    assert np.abs(total - np.sum([ups[i] for i in alive], axis=0)).max() < bound(agg.params)


@pytest.mark.parametrize("k,t,drops", [(5, 3, {"verify": {1}, "decrypt": {3}}), (4, 2, {"certify": {0}}),
                                       (3, 2, {"verify": {2}}), (3, 2, {"certify": {1}})])
def test_certification_quorum_and_decryption_threshold(k, t, drops):
    """Certification needs ceil((k + t) / 2) members, decryption t: 3-of-5 survives a
    member lost before certifying and another before decrypting, 2-of-4 one lost before
    certifying; 2-of-3 needs all three to certify (refused, not decrypted, otherwise)."""
    agg = OneTimeAggregator(4, 30, members=k, threshold=t, min_clients=3)
    assert agg.params.quorum == -(-(k + t) // 2)
    ups = updates(12, 4, 30)
    lost = len(drops.get("verify", set()) | drops.get("certify", set()))  # before certifying
    if k - lost >= agg.params.quorum:
        assert np.abs(agg.run_round(ups, member_dropouts=drops) - np.sum(ups, axis=0)).max() < bound(agg.params)
    else:
        with pytest.raises(TooFewSurvivorsError, match="certified"):
            agg.run_round(ups, member_dropouts=drops)


def test_member_failing_after_request_is_replaced():
    p, members = make_committee(OneTimeParams(4, 50, members=3, threshold=2, min_clients=3))
    clients = [OneTimeClient(i, p, [m.public_key for m in members]) for i in range(4)]
    ups = updates(3, 4, 50)
    server = OneTimeServer(p, 1, signed=False)
    for i, c in enumerate(clients):
        server.receive_upload(i, c.upload(1, ups[i]))
    for j, req in server.verify_requests(range(3)).items():
        server.receive_verification(j, members[j].verify(req))
    for j, req in server.certify_requests(range(3)).items():
        server.receive_certification(j, members[j].certify(req))
    first = server.decryption_requests(range(3))
    failed = min(first)
    for j, req in first.items():
        if j != failed:
            server.receive_share(j, members[j].decryption_share(req))
    with pytest.raises(TooFewSurvivorsError):
        server.finish()
    for j, req in server.decryption_requests(set(range(3)) - {failed}).items():
        server.receive_share(j, members[j].decryption_share(req))
    assert np.abs(server.finish() - np.sum(ups, axis=0)).max() < bound(p)


def test_too_few_members_or_clients():
    agg = OneTimeAggregator(3, 10, members=3)  # n-of-n
    with pytest.raises(TooFewSurvivorsError, match="certified"):
        agg.run_round(updates(4, 3, 10), member_dropouts={1})
    with pytest.raises(TooFewSurvivorsError, match="no live holder"):
        agg.run_round(updates(4, 3, 10), member_dropouts={"decrypt": {1}})
    with pytest.raises(TooFewSurvivorsError, match="too few clients"):
        agg.run_round(updates(4, 3, 10), dropouts={0, 1})


@pytest.mark.parametrize("k,t", [(1, 1), (3, 3), (4, 2), (5, 3), (6, 4)])
def test_replicated_parts_threshold(k, t):
    p = OneTimeParams(2, 10, members=k, threshold=t)
    for size in range(1, k + 1):
        for coalition in itertools.combinations(range(k), size):
            covered = set().union(*(p.held_by(j) for j in coalition))
            assert (covered == set(range(len(p.parts)))) == (size >= t)


def test_upload_size_is_compact():
    p = OneTimeParams(100, 10**6)
    assert p.modulus_bits <= 45
    assert p.upload_bytes_estimate() / (4 * 10**6) < 1.45
    small = OneTimeParams(5, 5000, members=3)
    members = [OneTimeMember(j, small, signed=False) for j in range(3)]
    msg = OneTimeClient(0, small, [m.public_key for m in members]).upload(1, np.zeros(5000))
    assert len(msg) == small.upload_bytes_estimate() + 30 + 3 * 8 + 8  # header + field lengths + check


def test_member_releases_one_sum_per_round():
    p, members = make_committee(OneTimeParams(5, 20, members=3, threshold=2, min_clients=2))
    clients = [OneTimeClient(i, p, [m.public_key for m in members]) for i in range(5)]
    server = OneTimeServer(p, 1, signed=False)
    for i, c in enumerate(clients):
        server.receive_upload(i, c.upload(1, np.zeros(20)))
    reqs = server.verify_requests(range(3))
    for j, r in reqs.items():
        server.receive_verification(j, members[j].verify(r))
    for j, r in server.certify_requests(range(3)).items():
        server.receive_certification(j, members[j].certify(r))
    cert = agreement.pack(server._signatures)

    def request(ids, parts, rnd=1, session=p.session, certificate=cert):
        return Message(Kind.OT_DECRYPT, 0xFFFFFFFF, rnd, session,
                       (np.asarray(ids, "<u4").tobytes(), np.asarray(parts, "<u2").tobytes(), certificate)).to_bytes()

    everyone = list(range(5))
    assert p.held_by(0) == (1, 2)
    first = request(everyone, [1])
    members[0].decryption_share(first)
    with pytest.raises(ProtocolError, match="already answered"):
        members[0].decryption_share(first)  # replay
    with pytest.raises(ProtocolError, match="client set differs"):
        members[0].decryption_share(request([0, 1, 2], [2]))  # a second sum over another set
    with pytest.raises(ProtocolError, match="too small"):
        members[1].decryption_share(request([3], [0]))  # one client alone
    with pytest.raises(ProtocolError, match="not held"):
        members[1].decryption_share(request(everyone, [1]))
    with pytest.raises(ProtocolError, match="too few signers"):
        members[1].decryption_share(request(everyone, [0], certificate=cert[:66]))
    with pytest.raises(ProtocolError, match="session"):
        members[1].decryption_share(request(everyone, [0], session=bytes(16)))
    with pytest.raises(ProtocolError, match="not verified"):
        members[1].decryption_share(request(everyone, [0], rnd=2))
    with pytest.raises(ProtocolError, match="already signed or answered"):
        members[0].verify(reqs[0])
    members[0].decryption_share(request(everyone, [2]))  # its last part: the round is over for it
    with pytest.raises(ProtocolError, match="finished round"):
        members[0].decryption_share(request(everyone, [2]))


def test_forged_seeds_reject_only_that_client():
    p = OneTimeParams(5, 30, members=3, min_clients=3)
    members = [OneTimeMember(j, p, signed=False) for j in range(3)]
    clients = [OneTimeClient(i, p, [m.public_key for m in members]) for i in range(5)]
    ups = updates(5, 5, 30)
    server = OneTimeServer(p, 1, signed=False)
    for i, c in enumerate(clients):
        msg = c.upload(1, ups[i])
        if i == 2:
            m = Message.from_bytes(msg, Kind.OT_UPLOAD)
            sealed = bytearray(m.fields[1])
            sealed[-1] ^= 1  # the seeds sealed to the last member
            msg = Message(m.kind, m.sender, m.round, m.session, (m.fields[0], bytes(sealed), m.fields[2])).to_bytes()
        server.receive_upload(i, msg)
    committee_round(server, members)
    assert server.accepted == [0, 1, 3, 4] and 2 in server.rejected
    assert np.abs(server.finish() - np.sum([ups[i] for i in (0, 1, 3, 4)], axis=0)).max() < bound(p)


def test_malformed_uploads_are_rejected():
    p = OneTimeParams(6, 30, members=2, min_clients=2)
    members = [OneTimeMember(j, p, signed=False) for j in range(2)]
    clients = [OneTimeClient(i, p, [m.public_key for m in members]) for i in range(6)]
    ups = updates(6, 6, 30)
    server = OneTimeServer(p, 1, signed=False)
    good = clients[0].upload(1, ups[0])
    server.receive_upload(0, good)
    with pytest.raises(ProtocolError, match="late or repeated"):
        server.receive_upload(0, good)  # replay
    with pytest.raises(ProtocolError, match="foreign header"):
        server.receive_upload(1, good)  # another client's message
    with pytest.raises(ProtocolError, match="check does not match"):
        server.receive_upload(2, clients[2].upload(1, ups[2])[:-3])
    with pytest.raises(ProtocolError, match="foreign header"):
        server.receive_upload(3, clients[3].upload(2, ups[3]))  # another round
    m = Message.from_bytes(clients[4].upload(1, ups[4]), Kind.OT_UPLOAD)
    packed = bytearray(m.fields[2])
    packed[:8] = b"\xff" * 8  # a coefficient >= q
    with pytest.raises(ProtocolError, match="malformed"):
        server.receive_upload(4, Message(m.kind, 4, 1, m.session, (m.fields[0], m.fields[1], bytes(packed))).to_bytes())
    server.receive_upload(5, clients[5].upload(1, ups[5]))
    committee_round(server, members)
    assert server.accepted == [0, 5] and sorted(server.rejected) == [1, 2, 3, 4]
    assert np.abs(server.finish() - ups[0] - ups[5]).max() < bound(p)


def test_bad_updates_and_parameters():
    agg = OneTimeAggregator(3, 8, members=2, min_clients=2)
    ups = updates(7, 3, 8)
    with pytest.raises(ParameterError, match="out of range"):
        agg.clients[0].upload(10, np.full(8, 2.0))
    with pytest.raises(ParameterError, match="not finite"):
        agg.clients[0].upload(10, np.full(8, np.nan))
    with pytest.raises(ParameterError, match="shape"):
        agg.clients[0].upload(10, np.zeros(9))
    agg.clients[0].upload(10, ups[0])
    with pytest.raises(ProtocolError, match="stale"):
        agg.clients[0].upload(10, ups[0])  # a key is never reused
    with pytest.raises(ParameterError, match="threshold"):
        OneTimeParams(3, 8, members=3, threshold=4)
    with pytest.raises(ParameterError, match="poly_degree"):
        OneTimeParams(3, 8, poly_degree=3000)
    with pytest.raises(ParameterError, match="insecure"):
        OneTimeParams(3, 8, poly_degree=1024, precision_bits=40)


def test_a_sum_of_one_client_is_never_planned():
    """Review: min_clients=1 was accepted, and a signed 2-of-3 plan then decrypted the
    victim's upload alone for a server that forwarded only it (its update, exactly). A
    plan now needs two clients in every sum, as the collective-key committee does; the
    members' check is what the power half shows: a plan that still counted one client
    would decrypt the lone upload."""
    for n_clients, min_clients in ((4, 1), (4, 0), (1, None)):
        with pytest.raises(ParameterError, match="n_clients|min_clients"):
            OneTimeParams(n_clients, 8, members=2, min_clients=min_clients)
    p = OneTimeParams(4, 8, members=2, min_clients=2)
    members = [OneTimeMember(j, p, signed=False) for j in range(2)]
    clients = [OneTimeClient(i, p, [m.public_key for m in members]) for i in range(4)]
    server = OneTimeServer(p, 1, signed=False)
    server.receive_upload(0, clients[0].upload(1, updates(9, 1, 8)[0]))
    with pytest.raises((ProtocolError, TooFewSurvivorsError)):
        committee_round(server, members)
    # A plan altered after its checks (frozen, but not against object.__setattr__): the
    # server passes the lone upload on, and the members' own floor of two refuses it.
    weak = OneTimeParams(4, 8, members=2, min_clients=2)
    object.__setattr__(weak, "min_clients", 1)
    members = [OneTimeMember(j, weak, signed=False) for j in range(2)]
    server = OneTimeServer(weak, 1, signed=False)
    server.receive_upload(0, OneTimeClient(0, weak, [m.public_key for m in members]).upload(1, updates(9, 1, 8)[0]))
    with pytest.raises(ProtocolError, match="client set is too small; expected >= 2"):
        committee_round(server, members)


def test_loopback_processes_with_client_and_member_dropouts():
    from pyppml.fl.ckks.onetime.loopback import run_onetime_loopback

    ups = updates(8, 6, 8000)  # two blocks of n = 4096, nearly full
    total, report = run_onetime_loopback(ups, members=3, threshold=2, dropouts={5},
                                         member_dropouts={"decrypt": {0}}, timeout=10.0)
    assert report.survivors == [0, 1, 2, 3, 4]
    assert np.abs(total - np.sum(ups[:5], axis=0)).max() < 2.0 ** -20
    assert max(report.upload_bytes.values()) < 2 * 4 * 8000  # within 2x the float32 update


def test_signed_uploads_and_sybil_clients_refused():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    agg = OneTimeAggregator(5, 40, signed=True, members=2, min_clients=3)
    ups = updates(9, 5, 40)
    assert np.abs(agg.run_round(ups, dropouts={4}) - np.sum(ups[:4], axis=0)).max() < bound(agg.params)
    # A server inventing clients 3 and 4 (its own keys, seeds and signatures) to reach
    # min_clients around the victims 0..2: the members reject the sybils.
    p = agg.params
    server = OneTimeServer(p, 10, signed=True)
    for i in range(3):
        server.receive_upload(i, agg.clients[i].upload(10, ups[i]))
    members_pk = [m.public_key for m in agg.members]
    for i in (3, 4):
        fake = OneTimeClient(i, p, members_pk, Ed25519PrivateKey.generate())
        server.receive_upload(i, fake.upload(10, ups[i]))
    for j, r in server.verify_requests(range(2)).items():
        server.receive_verification(j, agg.members[j].verify(r))
    assert sorted(server.rejected) == [3, 4]
    for j, r in server.certify_requests(range(2)).items():
        server.receive_certification(j, agg.members[j].certify(r))
    for j, r in server.decryption_requests(range(2)).items():
        server.receive_share(j, agg.members[j].decryption_share(r))
    assert np.abs(server.finish() - np.sum(ups[:3], axis=0)).max() < bound(p)
    # Unsigned uploads have the wrong shape for a signed round.
    with pytest.raises(ProtocolError, match="field sizes"):
        OneTimeServer(p, 11, signed=True).receive_upload(
            0, OneTimeClient(0, p, members_pk).upload(11, ups[0]))
