"""The wire format of the federated protocols (PSA2): every message of every kind, from
real rounds, refuses each single-bit flip; earlier versions are refused by name."""

import numpy as np
import pytest

from pyppml import fl
from pyppml.fl.ckks.onetime import OneTimeClient, OneTimeMember, OneTimeParams, OneTimeServer
from pyppml.fl.common import agreement
from pyppml.fl.common.messages import FIELDS, Kind, Message, check_round

SECAGG_KINDS = {Kind.START, Kind.ADVERTISE, Kind.KEYS, Kind.SHARES, Kind.FORWARD, Kind.MASKED, Kind.UNMASK_REQ,
                Kind.UNMASK}
ONETIME_KINDS = {Kind.OT_UPLOAD, Kind.OT_VERIFY, Kind.OT_VERIFIED, Kind.OT_DECRYPT, Kind.OT_SHARE}


def _recorded(monkeypatch, run) -> dict:
    """The first message of each (kind, field count) that ``run()`` serializes."""
    seen = {}
    to_bytes = Message.to_bytes

    def spy(self):
        out = to_bytes(self)
        seen.setdefault((self.kind, len(self.fields)), out)
        return out

    monkeypatch.setattr(Message, "to_bytes", spy)
    run()
    monkeypatch.setattr(Message, "to_bytes", to_bytes)
    return seen


def _secagg_round(signed: bool):
    agg = fl.SecureAggregator(5, 4, signed=signed)
    ups = [np.full(4, 0.1 * (i + 1)) for i in range(5)]
    assert np.abs(agg.run_round(ups) - np.sum(ups, axis=0)).max() < 1e-6


def _onetime_round(signing: bool):
    base = OneTimeParams(3, 4, members=2, poly_degree=2048, min_clients=2)
    keys = agreement.new_signing_keys(2) if signing else [None, None]
    p = agreement.with_signing_keys(base, keys) if signing else base
    ids = agreement.new_signing_keys(3)
    pins = {i: k.public_key() for i, k in enumerate(ids)}
    members = [OneTimeMember(j, p, pins, keys[j]) for j in range(2)]
    server = OneTimeServer(p, 1)
    ups = [np.full(4, 0.25 * (i + 1)) for i in range(3)]
    for i in range(3):
        server.receive_upload(i, OneTimeClient(i, p, [m.public_key for m in members], ids[i]).upload(1, ups[i]))
    for j, req in server.verify_requests({0, 1}).items():
        server.receive_verification(j, members[j].verify(req))
    for j, req in server.certify_requests({0, 1}).items():
        server.receive_certification(j, members[j].certify(req))
    for j, req in server.decryption_requests({0, 1}).items():
        server.receive_share(j, members[j].decryption_share(req))
    assert np.abs(server.finish() - np.sum(ups, axis=0)).max() < 1e-3


def _messages(monkeypatch) -> dict:
    out = {}
    for name, run in (("secagg signed", lambda: _secagg_round(True)), ("secagg", lambda: _secagg_round(False)),
                      ("onetime signed", lambda: _onetime_round(True)), ("onetime", lambda: _onetime_round(False))):
        for (kind, nf), data in _recorded(monkeypatch, run).items():
            out[f"{name} {kind.name}/{nf}"] = (kind, nf != FIELDS[kind], data)
    return out


def test_every_single_bit_flip_of_a_protocol_message_is_refused(monkeypatch):
    """Review rev6 M1: PSA1 had no checksum, and a bit flipped in a neighbour's mask key
    or a masked input gave a wrong aggregate without any error. One message of each kind
    (and field count) from a real signed and unsigned SecAgg round and a one-time round
    with and without member signing keys: the genuine bytes parse, and every one of their
    single-bit flips raises ProtocolError."""
    messages = _messages(monkeypatch)
    kinds = {kind for kind, _, _ in messages.values()}
    assert kinds >= SECAGG_KINDS | ONETIME_KINDS | {Kind.CHECK_REQ, Kind.CHECK, Kind.OT_CERTIFY, Kind.OT_CERTIFIED}
    assert any(checked for kind, checked, _ in messages.values() if kind == Kind.OT_SHARE)
    assert any(not checked for kind, checked, _ in messages.values() if kind == Kind.OT_SHARE)
    for name, (kind, checked, data) in messages.items():
        Message.from_bytes(data, kind, checked=checked)
        buf = bytearray(data)
        for bit in range(8 * len(buf)):
            buf[bit >> 3] ^= 1 << (bit & 7)
            with pytest.raises(fl.ProtocolError):
                Message.from_bytes(buf, kind, checked=checked)
            buf[bit >> 3] ^= 1 << (bit & 7)


def test_earlier_version_is_refused_by_name():
    """PSA1 messages (no check trailer) are refused with a message naming the version;
    protocol messages live for one round, so no compatibility is kept."""
    data = bytearray(Message(Kind.MASKED, 1, 1, bytes(16), (b"abc",)).to_bytes())
    data[:4] = b"PSA1"
    with pytest.raises(fl.ProtocolError, match="earlier protocol version.*PSA1"):
        Message.from_bytes(bytes(data[:-8]), Kind.MASKED)


@pytest.mark.parametrize("rnd", [0, -1, 1 << 32, True, 1.0, "1"])
def test_rounds_outside_u32_are_refused(rnd):
    with pytest.raises(fl.ProtocolError, match="round is out of range"):
        check_round(rnd, "test")
    assert check_round((1 << 32) - 1, "test") == (1 << 32) - 1
