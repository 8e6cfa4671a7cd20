"""One-time CKKS, issue 12 defects 2 and 5 at the protocol level: members agree on the
client set U before any share is released (a server, with threshold - 1 colluding
members, cannot have one key part answered over U and over U minus {i}), and the plan's
digest binds the sealed seeds (seeds sealed under one plan do not open under another)."""

import numpy as np
import pytest
from cryptography.exceptions import InvalidTag

from pyppml import _core
from pyppml.fl import ProtocolError
from pyppml.fl.common import agreement
from pyppml.fl.ckks.onetime import OneTimeClient, OneTimeMember, OneTimeParams, OneTimeServer, ring
from pyppml.fl.common.errors import ParameterError
from pyppml.fl.common.masks import new_keypair
from pyppml.fl.common.messages import SERVER, Kind, Message, pack_ids

VICTIM = 2
CORRUPT = 1  # threshold - 1 = 1 member colludes with the server


def _setup(n=4, dim=40):
    keys = agreement.new_signing_keys(3)
    p = agreement.with_signing_keys(OneTimeParams(n, dim, members=3, threshold=2, min_clients=2), keys)
    members = [OneTimeMember(j, p, signing_key=keys[j], signed=False) for j in range(3)]
    clients = [OneTimeClient(i, p, [m.public_key for m in members]) for i in range(n)]
    ups = list(np.random.default_rng(5).uniform(-1, 1, (n, dim)))
    server = OneTimeServer(p, 1, signed=False)
    uploads = {i: c.upload(1, ups[i]) for i, c in enumerate(clients)}
    for i, u in uploads.items():
        server.receive_upload(i, u)
    for j, r in server.verify_requests(range(3)).items():
        server.receive_verification(j, members[j].verify(r))
    return p, keys, members, ups, uploads


def _request(kind, p, ids, *fields):
    return Message(kind, SERVER, 1, p.session, (pack_ids(ids), *fields)).to_bytes()


def _decrypt_request(p, ids, parts, certificate):
    return _request(Kind.OT_DECRYPT, p, ids, np.asarray(parts, "<u2").tobytes(), certificate)


def _signature(p, key, ids):
    """What the colluding member signs for the server: anything it is asked."""
    return key.sign(agreement.statement(p, 1, pack_ids(ids)))


def _share(reply) -> bytes:
    return bytes(Message.from_bytes(reply, Kind.OT_SHARE, checked=True).fields[1])


def _certify(member, p, ids) -> bytes:
    return bytes(Message.from_bytes(member.certify(_request(Kind.OT_CERTIFY, p, ids)), Kind.OT_CERTIFIED).fields[0])


def _attack(p, members, ups, uploads, share_u, share_minus):
    """What the server decodes for the victim from its upload, the colluding member's
    key parts and the difference of one honest part's shares over U and U minus {i}."""
    q, n = p.modulus, p.poly_degree
    words = p.blocks * n
    total = _core.unpack_fixed_width(Message.from_bytes(uploads[VICTIM], Kind.OT_UPLOAD).fields[2], p.modulus_bits,
                                     words)
    for data, sign in ((share_u, 1), (share_minus, -1)):
        d = _core.unpack_fixed_width(data, p.modulus_bits, words)
        total = _core.eltwise("add" if sign > 0 else "sub", q, total, d)
    seeds = members[CORRUPT]._rounds[1].seeds[VICTIM]  # the colluding member opened them
    key = ring.key_in_ntt_form(p, seeds)
    crs = ring.crs_seed(p, 1)
    for t in range(p.blocks):
        d = ring.member_block(p, key, ring.crs_block(p, crs, t), np.zeros(n, dtype=np.uint64))
        total[t * n:(t + 1) * n] = _core.eltwise("add", q, total[t * n:(t + 1) * n], d)
    out = np.concatenate([ring.decode_block(p, total[t * n:(t + 1) * n]) for t in range(p.blocks)])[:p.dim]
    return np.abs(out - ups[VICTIM]).max()


def test_one_part_over_two_client_sets_is_refused():
    """The attack of defect 2 on the 2-of-3 plan: the part the colluding member lacks is
    held by members 0 and 2. The server has the honest members certify U (with the
    colluding member), member 0 answer that part over U, then asks member 2 for the same
    part over U minus {victim}, with the colluding member's signature: refused, and the
    victim's upload stays undecodable. Without the agreement member 2 answers and the
    victim's update decodes to 2^-20."""
    p, keys, members, ups, uploads = _setup()
    everyone = list(range(4))
    minus = [i for i in everyone if i != VICTIM]
    (part,) = [m for m in range(len(p.parts)) if CORRUPT in p.parts[m]]  # held by 0 and 2 only
    assert p.holders(part) == (0, 2) and p.quorum == 3
    # Member 2 is "unreachable" at certification: the server gathers 0 and the colluder on U.
    sigs = {0: _certify(members[0], p, everyone)}
    sigs[CORRUPT] = _signature(p, keys[CORRUPT], everyone)
    with pytest.raises(ProtocolError, match="too few signers"):
        members[0].decryption_share(_decrypt_request(p, everyone, [part], agreement.pack(sigs)))
    # With member 2's signature on U too (the honest run), member 0 answers over U ...
    sigs[2] = _certify(members[2], p, everyone)
    share_u = _share(members[0].decryption_share(_decrypt_request(p, everyone, [part], agreement.pack(sigs))))
    # ... and member 2 refuses the same part over U minus {victim}, whatever certificate.
    forged = {CORRUPT: _signature(p, keys[CORRUPT], minus)}
    for cert in (agreement.pack(sigs), agreement.pack(forged)):
        with pytest.raises(ProtocolError):
            members[2].decryption_share(_decrypt_request(p, minus, [part], cert))
    with pytest.raises(ProtocolError, match="differs"):
        members[2].certify(_request(Kind.OT_CERTIFY, p, minus))
    # All the server holds for the victim beyond its upload: the decoding is noise.
    assert _attack(p, members, ups, uploads, share_u, bytes(len(share_u))) > 0.5


def test_attack_decrypts_the_victim_without_the_agreement(monkeypatch):
    """The reproduction the test above guards against: with the certificate check
    removed, the two holders answer over U and U minus {victim} and the server decodes
    the victim's update to the plan's precision."""
    p, keys, members, ups, uploads = _setup()
    monkeypatch.setattr(agreement, "check", lambda *a, **k: [])
    everyone = list(range(4))
    minus = [i for i in everyone if i != VICTIM]
    (part,) = [m for m in range(len(p.parts)) if CORRUPT in p.parts[m]]
    share_u = _share(members[0].decryption_share(_decrypt_request(p, everyone, [part], b"")))
    share_minus = _share(members[2].decryption_share(_decrypt_request(p, minus, [part], b"")))
    assert _attack(p, members, ups, uploads, share_u, share_minus) < 2.0 ** -p.precision_bits


def test_split_committee_certifies_neither_set():
    """The server splits the honest members (0 signs U, 2 signs U minus {victim}) and the
    colluding member signs both: neither set reaches the quorum, no share is released."""
    p, keys, members, ups, uploads = _setup()
    everyone = list(range(4))
    minus = [i for i in everyone if i != VICTIM]
    (part,) = [m for m in range(len(p.parts)) if CORRUPT in p.parts[m]]
    s0, s2 = _certify(members[0], p, everyone), _certify(members[2], p, minus)
    cert_u = agreement.pack({0: s0, CORRUPT: _signature(p, keys[CORRUPT], everyone)})
    cert_minus = agreement.pack({2: s2, CORRUPT: _signature(p, keys[CORRUPT], minus)})
    with pytest.raises(ProtocolError, match="too few signers"):
        members[0].decryption_share(_decrypt_request(p, everyone, [part], cert_u))
    with pytest.raises(ProtocolError, match="too few signers"):
        members[2].decryption_share(_decrypt_request(p, minus, [part], cert_minus))
    # A certificate mixing signatures on both sets does not verify.
    with pytest.raises(ProtocolError, match="does not verify"):
        members[2].decryption_share(_decrypt_request(p, minus, [part], agreement.pack(
            {0: s0, 2: s2, CORRUPT: _signature(p, keys[CORRUPT], minus)})))


def test_quorum_intersections_hold_an_honest_member():
    """The docstring's argument, checked exhaustively for every plan up to 7 members: any
    two quorums share >= threshold members, so t - 1 colluders cannot fill the overlap."""
    import itertools

    for k in range(1, 8):
        for t in range(1, k + 1):
            q = -(-(k + t) // 2)
            assert q > k / 2 and q >= t
            for a in itertools.combinations(range(k), q):
                worst = min(len(set(a) & set(b)) for b in itertools.combinations(range(k), q))
                assert worst >= t, (k, t, q)


def test_plans_below_members_need_signing_keys():
    p = OneTimeParams(4, 10, members=3, threshold=2)
    for make in (lambda: OneTimeMember(0, p), lambda: OneTimeServer(p, 1, signed=False), lambda: OneTimeClient(0, p, [bytes(32)] * 3)):
        with pytest.raises(ParameterError, match="member_signing_keys is missing"):
            make()
    keys = agreement.new_signing_keys(3)
    pk = agreement.with_signing_keys(p, keys)
    with pytest.raises(ParameterError, match="signing_key does not match"):
        OneTimeMember(0, pk, signing_key=keys[1])
    with pytest.raises(ParameterError, match="member_signing_keys"):
        OneTimeParams(4, 10, members=3, member_signing_keys=(bytes(32),) * 3)  # not distinct


def test_seeds_sealed_under_another_plan_do_not_open():
    """Defect 5 at the protocol level: a client handed plan B (same session, ring and
    sizes, but signing keys the server made, so that it could certify any set) seals
    seeds that members of plan A cannot open; the plan digest is in the HKDF info and in
    the AEAD associated data."""
    p, keys, members, ups, uploads = _setup()
    forged = agreement.with_signing_keys(OneTimeParams(4, 40, members=3, threshold=2, min_clients=2,
                                                       session=p.session), agreement.new_signing_keys(3))
    assert forged.digest != p.digest and forged.blob_bytes(0) == p.blob_bytes(0)
    fooled = OneTimeClient(0, forged, [m.public_key for m in members]).upload(2, ups[0])
    server = OneTimeServer(p, 2, signed=False)
    server.receive_upload(0, fooled)  # same sizes: the server cannot tell
    server.receive_upload(1, OneTimeClient(1, p, [m.public_key for m in members]).upload(2, ups[1]))
    for j, r in server.verify_requests(range(3)).items():
        server.receive_verification(j, members[j].verify(r))
    assert 0 in server.rejected and "could not open" in server.rejected[0]
    # Key and associated data each carry the digest on their own.
    eph, eph_pk = new_keypair()
    blob = ring.seal(ring.seed_key(forged, eph, members[0].public_key, 3, 0, 0), 0, 0, bytes(64),
                     ring.seal_aad(forged, 3))
    assert ring.open_sealed(ring.seed_key(forged, members[0]._sk, eph_pk, 3, 0, 0), 0, 0, blob,
                            ring.seal_aad(forged, 3)) == bytes(64)  # plan B opens plan B
    with pytest.raises(InvalidTag):  # plan A's key
        ring.open_sealed(ring.seed_key(p, members[0]._sk, eph_pk, 3, 0, 0), 0, 0, blob, ring.seal_aad(forged, 3))
    with pytest.raises(InvalidTag):  # plan B's key, plan A's associated data
        ring.open_sealed(ring.seed_key(forged, members[0]._sk, eph_pk, 3, 0, 0), 0, 0, blob, ring.seal_aad(p, 3))
