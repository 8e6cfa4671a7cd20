"""Agreement of a t-of-k committee on a round's client set U before any member releases
a decryption share; used by both CKKS committees (collective key, :mod:`pyppml.fl.ckks.committee`,
and one-time keys, :mod:`pyppml.fl.ckks.onetime`).

Why: with ``threshold`` t < ``members`` k, every key part is held by k - t + 1 members
(:mod:`pyppml.fl.common.replicated`). A server that obtained one part's share over U from one
holder and over U minus {i} from another would decrypt both sums with the help of t - 1
colluding members (who hold every other part) and subtract: client i's update. Answering
one request per round does not stop this, since the two requests go to different
members. Members therefore sign (plan, round, U) with the Ed25519 keys the plan names,
each at most one U per round, and release a share for U only against signatures on the
same U from a quorum of Q = ceil((k + t) / 2) distinct members.

Why two different client sets cannot both be certified: two sets of Q signers among k
members share at least 2Q - k >= (k + t) - k = t members. At most t - 1 members collude
with the server, so at least one honest member is in both sets, and it would have signed
two different client sets in one round, which an honest member never does. Hence all
honest members release shares over one U only, and every key part that the colluding
members lack is answered over that U alone. Q > k / 2 and Q >= t follow (t >= 1, t <= k).

The price is liveness at certification: Q members must be up to certify (k - Q may be
down), t to decrypt. For 2-of-3 that is all three members at certification; for 3-of-5,
four. With t = k (each part held by one member) the certificate is not needed for
privacy, but members still use it when the plan names signing keys: a request whose
client set was altered in transit is refused instead of locking the member on it.

A plan is any object with ``digest`` (32 bytes naming the protocol, the committee and
every member's key), ``members``, ``quorum`` and ``member_signing_keys`` (raw 32-byte
Ed25519 public keys in member order); U is any byte string naming the client set.
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pyppml.fl.common.errors import ProtocolError, is_integer

SIGNATURE_BYTES = 64
_ENTRY = 2 + SIGNATURE_BYTES  # member index (u16) and its signature


def quorum(members: int, threshold: int) -> int:
    """Signatures on one client set a member needs before it releases a share:
    ceil((members + threshold) / 2), so that two quorums share >= threshold members."""
    return -(-(int(members) + int(threshold)) // 2)


def statement(plan, round: int, client_set: bytes) -> bytes:
    """What a member signs: the plan's digest (protocol, committee, every member's key),
    the round and U (bytes naming the client set)."""
    return b"pyppml-fl client set" + plan.digest + struct.pack("<Q", int(round)) + bytes(client_set)


def share_statement(plan, round: int, client_set: bytes, parts: bytes, share: bytes) -> bytes:
    """What a member signs with its share: plan, round, U, the parts answered and the
    SHA-256 of the packed share."""
    return (b"pyppml-fl share" + plan.digest + struct.pack("<Q", int(round))
            + hashlib.sha256(bytes(client_set) + b"|" + bytes(parts) + b"|" + bytes(share)).digest())


def pack(signatures: dict[int, bytes]) -> bytes:
    """A certificate: (member u16, 64-byte signature) per signer, by member index."""
    return b"".join(struct.pack("<H", j) + signatures[j] for j in sorted(signatures))


def check(plan, round: int, client_set: bytes, certificate, api: str) -> list[int]:
    """The signers of a valid certificate of ``client_set``; every signature must verify
    under the plan's key of its member and there must be at least ``plan.quorum``
    distinct signers.

    Raises
    ------
    ProtocolError
        Malformed certificate, a repeated or unknown signer, a signature that does not
        verify, or fewer than ``plan.quorum`` signers.
    """
    cert = bytes(certificate)
    if len(cert) % _ENTRY:
        raise ProtocolError(f"{api}: certificate is malformed; expected entries of {_ENTRY} bytes, got {len(cert)} bytes")
    text = statement(plan, round, client_set)
    signers: list[int] = []
    for off in range(0, len(cert), _ENTRY):
        (j,) = struct.unpack_from("<H", cert, off)
        if j >= plan.members or j in signers:
            raise ProtocolError(f"{api}: certificate names an unknown or repeated member; expected distinct members "
                                f"< {plan.members}, got {j}")
        try:
            Ed25519PublicKey.from_public_bytes(plan.member_signing_keys[j]).verify(
                cert[off + 2:off + _ENTRY], text)
        except InvalidSignature:
            raise ProtocolError(f"{api}: certificate signature of member {j} does not verify; expected a signature "
                                "on this plan, round and client set") from None
        signers.append(j)
    if len(signers) < plan.quorum:
        raise ProtocolError(f"{api}: certificate has too few signers; expected >= {plan.quorum} members "
                            f"(ceil((members + threshold) / 2)), got {len(signers)}")
    return signers


def verify_one(plan, member: int, signature, text: bytes) -> bool:
    """Whether ``signature`` is ``member``'s signature on ``text`` (a statement above);
    False for a member outside the plan (or a plan without signing keys)."""
    keys = plan.member_signing_keys or ()
    if not is_integer(member) or not 0 <= member < len(keys):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(keys[member]).verify(bytes(signature), text)
    except (InvalidSignature, ValueError):
        return False
    return True


def raw_public(signing_key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key of an Ed25519 private key (what the plan names)."""
    return signing_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def new_signing_keys(members: int) -> list[Ed25519PrivateKey]:
    """One fresh Ed25519 key per member (OS randomness). In a deployment each member
    makes its own and publishes the public part with the plan."""
    return [Ed25519PrivateKey.generate() for _ in range(members)]


def with_signing_keys(plan, signing_keys):
    """``plan`` naming the public parts of ``signing_keys`` (same session)."""
    return dataclasses.replace(plan, member_signing_keys=tuple(raw_public(k) for k in signing_keys))
