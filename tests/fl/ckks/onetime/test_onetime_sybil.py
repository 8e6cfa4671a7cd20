"""One-time CKKS against a server that makes sybil clients (review finding): from the
public plan and member keys alone, the server uploads zeros for every client index but
one victim's. In the default (signed) rounds the members pin the clients' identity keys
and count none of the sybils, so they never certify or decrypt a set holding them; with
the explicit opt-in ``signed=False`` the attack recovers the victim's update, which is
why that mode is documented as unsafe against the server."""

import numpy as np
import pytest
from onetime_helpers import committee_round

from pyppml.fl.ckks.onetime import OneTimeAggregator, OneTimeClient, OneTimeServer
from pyppml.fl.common import agreement
from pyppml.fl.common.errors import ProtocolError, TooFewSurvivorsError
from pyppml.fl.common.messages import SERVER, Kind, Message, ids_array, pack_ids

N, DIM = 5, 4
VICTIM = np.array([0.31, -0.72, 0.05, 0.66])


def _sybil_uploads(agg):
    """The server's round 1: the victim's real upload, then clients 1..N-1 made by the
    server (with identity keys of its own in a signed round)."""
    p, keys = agg.params, [m.public_key for m in agg.members]
    server = OneTimeServer(p, 1, agg.signed)
    server.receive_upload(0, agg.clients[0].upload(1, VICTIM))
    own = agreement.new_signing_keys(N) if agg.signed else [None] * N
    for i in range(1, N):
        server.receive_upload(i, OneTimeClient(i, p, keys, own[i]).upload(1, np.zeros(DIM)))
    return server


def _request(p, kind, *fields):
    return Message(kind, SERVER, 1, p.session, fields).to_bytes()


def test_default_round_refuses_server_sybils():
    agg = OneTimeAggregator(N, DIM, members=3, threshold=2)  # defaults: signed, min_clients 4
    p, everyone = agg.params, list(range(N))
    server = _sybil_uploads(agg)
    for j, req in server.verify_requests(range(3)).items():
        reply = agg.members[j].verify(req)
        # Every member names all sybils as refused, before any certification.
        assert ids_array(Message.from_bytes(reply, Kind.OT_VERIFIED).fields[0], "test", N).tolist() == [1, 2, 3, 4]
        server.receive_verification(j, reply)
    with pytest.raises(TooFewSurvivorsError):
        server.certify_requests(range(3))
    # A server ignoring the members' verdicts and asking outright for the full set gets
    # neither a signature nor a share from any member.
    for m in agg.members:
        with pytest.raises(ProtocolError, match="no verified seeds"):
            m.certify(_request(p, Kind.OT_CERTIFY, pack_ids(everyone)))
        parts = np.asarray(p.held_by(m.index), dtype="<u2").tobytes()
        with pytest.raises(ProtocolError):
            m.decryption_share(_request(p, Kind.OT_DECRYPT, pack_ids(everyone), parts, b""))


def test_unsigned_opt_in_lets_server_recover_one_update():
    agg = OneTimeAggregator(N, DIM, signed=False, members=3, threshold=2)
    server = _sybil_uploads(agg)
    committee_round(server, agg.members)
    assert server.accepted == list(range(N))
    assert np.abs(server.finish() - VICTIM).max() < 2.0 ** -agg.params.precision_bits


def test_member_needs_pinned_client_keys_unless_opted_out():
    from pyppml.fl.ckks.onetime import OneTimeMember, OneTimeParams
    from pyppml.fl.common.errors import ParameterError

    p = OneTimeParams(3, 8, members=2, poly_degree=2048)
    with pytest.raises(ParameterError, match="verify_keys is missing"):
        OneTimeMember(0, p)
    assert OneTimeMember(0, p, signed=False).verify_keys is None
    pins = {i: k.public_key() for i, k in enumerate(agreement.new_signing_keys(3))}
    assert OneTimeMember(0, p, pins).verify_keys is pins
