"""One-time CKKS under mutated messages (truncated, extended, one bit flipped), delivered
to the real parties of a 2-of-3 round before the genuine message: every mutated request
and reply is refused with a ValueError subclass and leaves its receiver's state alone,
so that the round then completes with the right sum.

Refused means: a member raises on a mutated verification, certification or decryption
request, except that a verification whose client list was altered may instead answer
with the altered clients marked as not opening (it then keeps only seeds it could open,
which are genuine); a certification request whose client set was altered into another
valid set is a server asking for another set, which the member cannot tell from a
genuine one: it is delivered to a copy of the member and the server must refuse the
signature it returns. The server raises on a mutated certification or decryption share
(the members sign their shares). Uploads are left out: a client's own payload is as
free as its update (a malicious client can poison the sum in any FedAvg).
"""

import copy

import numpy as np
import pytest

from pyppml.fl.common import agreement
from pyppml.fl.ckks.onetime import OneTimeClient, OneTimeMember, OneTimeParams, OneTimeServer
from pyppml.fl.common.errors import ProtocolError
from pyppml.fl.common.messages import SERVER, Kind, Message, ids_array

N, DIM, MUTATIONS = 4, 100, 60
HEADER = 30  # magic, kind, sender, round, session, field count (pyppml.fl.common.messages)


def _mutations(msg: bytes, seed: int):
    """Every one-bit flip of the header and of each field's length word (kind, sender,
    round, session, counts: the fields a random flip rarely hits), then random
    truncations, extensions and bit flips anywhere."""
    header, off = list(range(HEADER)), HEADER
    while off + 8 <= len(msg):
        header += range(off, off + 8)
        off += 8 + int.from_bytes(msg[off:off + 8], "little")
    for pos in header:
        for bit in range(8):
            b = bytearray(msg)
            b[pos] ^= 1 << bit
            yield bytes(b)
    rng = np.random.default_rng(seed)
    for _ in range(MUTATIONS):
        b = bytearray(msg)
        kind = rng.integers(3)
        if kind == 0:
            b = b[: rng.integers(len(b))]
        elif kind == 1:
            b += bytes(rng.integers(1, 9))
        else:
            b[rng.integers(len(b))] ^= 1 << int(rng.integers(8))
        yield bytes(b)


def _twin(member):
    """A copy of a member with its own round state (keys shared)."""
    twin = copy.copy(member)
    twin._rounds = {r: copy.deepcopy(state) for r, state in member._rounds.items()}
    return twin


def _refused(call, bad) -> Exception:
    with pytest.raises(ValueError) as info:
        call(bad)
    return info.value


@pytest.fixture
def round_parts():
    keys = agreement.new_signing_keys(3)
    p = agreement.with_signing_keys(OneTimeParams(N, DIM, members=3, threshold=2, min_clients=3), keys)
    members = [OneTimeMember(j, p, signing_key=keys[j], signed=False) for j in range(3)]
    ups = list(np.random.default_rng(2).uniform(-1, 1, (N, DIM)))
    server = OneTimeServer(p, 1, signed=False)
    for i in range(N):
        server.receive_upload(i, OneTimeClient(i, p, [m.public_key for m in members]).upload(1, ups[i]))
    return p, members, server, ups


def test_mutated_requests_and_replies_are_refused_and_the_sum_stays_right(round_parts):
    p, members, server, ups = round_parts
    live = range(3)
    # Verification requests.
    for j, req in server.verify_requests(live).items():
        for bad in _mutations(req, 10 + j):
            try:
                reply = members[j].verify(bad)
            except ValueError:
                continue
            # Accepted only with altered clients (ids, keys or seeds): those do not open.
            genuine = ids_array(Message.from_bytes(req, Kind.OT_VERIFY).fields[0], "test", N).tolist()
            got = ids_array(Message.from_bytes(bad, Kind.OT_VERIFY).fields[0], "test", N).tolist()
            rejected = ids_array(Message.from_bytes(reply, Kind.OT_VERIFIED).fields[0], "test", N).tolist()
            assert rejected and set(got) - set(genuine) <= set(rejected) <= set(got)
        server.receive_verification(j, members[j].verify(req))
    # Certification requests (to copies, see the module note) and the signatures returned.
    requests = server.certify_requests(live)
    for j, req in requests.items():
        for bad in _mutations(req, 20 + j):
            twin = _twin(members[j])
            try:
                reply = twin.certify(bad)
            except ValueError:
                continue
            _refused(lambda r: server.receive_certification(j, r), reply)  # signed another set
        reply = members[j].certify(req)
        for bad in _mutations(reply, 30 + j):
            _refused(lambda r: server.receive_certification(j, r), bad)
        server.receive_certification(j, reply)
    # Decryption requests and shares.
    for j, req in server.decryption_requests(live).items():
        for bad in _mutations(req, 40 + j):
            _refused(members[j].decryption_share, bad)
        share = members[j].decryption_share(req)
        for bad in _mutations(share, 50 + j):
            _refused(lambda r: server.receive_share(j, r), bad)
        server.receive_share(j, share)
    assert server.accepted == list(range(N)) and not server.rejected
    assert np.abs(server.finish() - np.sum(ups, axis=0)).max() < 2.0 ** -p.precision_bits


def test_mutated_uploads_raise_value_errors_only(round_parts):
    """A mutated upload raises a ValueError subclass or is taken as that client's
    upload; nothing else escapes the server."""
    p, members, server, ups = round_parts
    upload = OneTimeClient(0, p, [m.public_key for m in members]).upload(2, ups[0])
    for bad in _mutations(upload, 60):
        try:
            OneTimeServer(p, 2, signed=False).receive_upload(0, bad)
        except ValueError:
            pass


# -- review rev6 ------------------------------------------------------------------------

def _verified(round_parts):
    p, members, server, ups = round_parts
    for j, req in server.verify_requests(range(3)).items():
        server.receive_verification(j, members[j].verify(req))
    return p, members, server, ups


def test_decryption_request_with_a_million_parts_is_refused_at_once(round_parts):
    """Review rev6 M2: the parts list was checked with parts.count() per entry, before the
    certificate (O(k^2): minutes for a few MB) and quoted whole in the error. 10^6 copies
    of a held part are refused in well under 0.5 s with a one-line message; repeats are
    refused by set size, and the certificate is checked before any part is looked at."""
    import time

    p, members, server, ups = _verified(round_parts)
    ids = Message.from_bytes(server.certify_requests(range(3))[0], Kind.OT_CERTIFY).fields[0]
    held = p.held_by(0)
    assert len(held) == 2

    def request(parts, certificate=b""):
        return Message(Kind.OT_DECRYPT, SERVER, 1, p.session, (ids, np.asarray(parts, "<u2").tobytes(),
                                                               certificate)).to_bytes()

    bad = request(np.full(10**6, held[0]))
    t0 = time.perf_counter()
    with pytest.raises(ProtocolError) as err:
        members[0].decryption_share(bad)
    assert time.perf_counter() - t0 < 0.5
    assert len(str(err.value)) < 300 and "\n" not in str(err.value)
    with pytest.raises(ProtocolError, match="parts repeat"):
        members[0].decryption_share(request([held[0], held[0]]))
    not_held = next(m for m in range(len(p.parts)) if m not in held)
    with pytest.raises(ProtocolError, match="certificate"):  # checked before the parts
        members[0].decryption_share(request([not_held], bytes(2 + 64)))


def _two_of_two(signing: bool):
    base = OneTimeParams(3, 4, members=2, poly_degree=2048, min_clients=2)
    keys = agreement.new_signing_keys(2) if signing else [None, None]
    p = agreement.with_signing_keys(base, keys) if signing else base
    members = [OneTimeMember(j, p, signing_key=keys[j], signed=False) for j in range(2)]
    server = OneTimeServer(p, 1, signed=False)
    ups = [np.full(4, 0.25 * (i + 1)) for i in range(3)]
    for i in range(3):
        server.receive_upload(i, OneTimeClient(i, p, [m.public_key for m in members]).upload(1, ups[i]))
    for j, req in server.verify_requests({0, 1}).items():
        server.receive_verification(j, members[j].verify(req))
    for j, req in server.certify_requests({0, 1}).items():
        server.receive_certification(j, members[j].certify(req))
    return p, members, server, np.sum(ups, axis=0)


def _reshare(reply, sender, checked, parts=None, share=None) -> bytes:
    m = Message.from_bytes(reply, Kind.OT_SHARE, checked=checked)
    fields = list(m.fields)
    if parts is not None:
        fields[0] = parts
    if share is not None:
        fields[1] = share
    return Message(Kind.OT_SHARE, sender, m.round, m.session, tuple(fields)).to_bytes()


@pytest.mark.parametrize("signing", [False, True])
def test_late_odd_or_foreign_shares_are_refused_and_the_sum_stays_right(signing):
    """Review rev6 M3: a share whose parts field had an odd length parsed to None, which
    matched a member with no pending request: in plans without signing keys it was added
    to the sum (then TypeError), and a member index outside the committee gave
    IndexError. Each is now a ProtocolError before anything is compared or added."""
    p, members, server, want = _two_of_two(signing)
    shares = {j: members[j].decryption_share(req) for j, req in server.decryption_requests({0, 1}).items()}
    for j, share in shares.items():
        server.receive_share(j, share)
    with pytest.raises(ProtocolError, match="malformed parts field"):
        server.receive_share(0, _reshare(shares[0], 0, signing, parts=b"\x00"))
    with pytest.raises(ProtocolError, match="not asked"):
        server.receive_share(0, shares[0])  # repeated
    for member in (7, 2, -1):
        with pytest.raises(ProtocolError, match="out of range"):
            server.receive_share(member, _reshare(shares[0], member & 0xFFFFFFFF, signing, parts=b"\x00"))
    assert not agreement.verify_one(p, 7, bytes(64), b"") and not agreement.verify_one(p, -1, bytes(64), b"")
    assert np.abs(server.finish() - want).max() < 2.0 ** -p.precision_bits


def test_rewritten_share_of_a_plan_without_signing_keys_is_refused_at_finish():
    """Review rev6 M1: in an n-of-n plan without signing keys OT_SHARE is not signed, and a
    share rewritten with a valid check (what the trailer cannot see) gave a wrong sum.
    Its decoded sum is now refused: beyond what len(accepted) clients of max_abs_value
    can sum to."""
    from pyppml import _core

    p, members, server, want = _two_of_two(False)
    for j, req in server.decryption_requests({0, 1}).items():
        share = members[j].decryption_share(req)
        if j == 0:  # a member that answers zeros instead of its share
            zeros = _core.pack_fixed_width(np.zeros(p.poly_degree, dtype=np.uint64), p.modulus_bits) * p.blocks
            share = _reshare(share, 0, False, share=zeros)
        server.receive_share(j, share)
    with pytest.raises(ProtocolError, match="decoded sum is out of range"):
        server.finish()
