"""Wire format of the secure-aggregation messages: a fixed header and a list of
length-prefixed byte fields, validated before use; never pickled.

Layout (little endian)::

    magic "PSA2" | kind u8 | sender u32 | round u32 | session 16 bytes | fields u8
    | fields x (length u64 | bytes) | check 8 bytes

``sender`` is a client index, or ``SERVER`` for the server. Each kind has a fixed
number of fields (``FIELDS``; UNMASK_REQ has ``CHECKED_FIELDS`` in rounds with the
consistency check); a handler checks the field sizes it needs. ``check`` is the first
8 bytes of the SHA-256 of everything before it, so a message corrupted in transit is
refused (every single-bit flip is). It is not a MAC: whoever rewrites a message can
recompute it, so integrity against an attacker comes from the signatures of signed
rounds and plans or from TLS.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import struct

import numpy as np

from pyppml.fl.common.errors import ProtocolError, is_integer, shown

MAGIC = b"PSA2"
# Earlier versions, refused by name. Protocol messages live for one round, so nothing
# stored needs them; PSA1 had no check trailer.
OLD_MAGICS = (b"PSA1",)
CHECK_BYTES = 8
SERVER = 0xFFFFFFFF
MAX_ROUND = 0xFFFFFFFF  # rounds travel as u32 (header, seed binding); 1..MAX_ROUND
SESSION_BYTES = 16
_HEAD = struct.Struct("<4sBII16sB")
_LEN = struct.Struct("<Q")


class Kind(enum.IntEnum):
    """One message per protocol step (Bonawitz et al. 2017, Fig. 4 rounds 0-4; CHECK_REQ /
    CHECK are round 3, ConsistencyCheck, run only in rounds with identity keys)."""

    START = 1       # server -> client: round, session, graph seed
    ADVERTISE = 2   # client -> server: two X25519 public keys (+ Ed25519 signature)
    KEYS = 3        # server -> client: the neighbours' advertised keys
    SHARES = 4      # client -> server: encrypted Shamir shares, one per neighbour
    FORWARD = 5     # server -> client: the encrypted shares addressed to it
    MASKED = 6      # client -> server: the masked, quantized update
    UNMASK_REQ = 7  # server -> client: the clients whose masked input arrived (+ U4 and signatures)
    UNMASK = 8      # client -> server: shares of self-mask seeds and of dropped keys
    # CKKS aggregation under one-time keys (pyppml.fl.ckks.onetime)
    OT_UPLOAD = 9        # client -> server: X25519 public key, sealed seeds per member, packed blocks
    OT_VERIFY = 10       # server -> member: the uploads' public keys and the seeds sealed to it
    OT_VERIFIED = 11     # member -> server: clients whose seeds did not open
    OT_DECRYPT = 12      # server -> member: the final client set and the key parts to answer for
    OT_SHARE = 13        # member -> server: its packed decryption share blocks
    # SecAgg consistency check (rounds with identity keys)
    CHECK_REQ = 14  # server -> client: U3, every client whose masked input arrived
    CHECK = 15      # client -> server: its Ed25519 signature on (session, round, U3)
    # One-time CKKS agreement on the client set (plans with member signing keys)
    OT_CERTIFY = 16      # server -> member: the final client set U
    OT_CERTIFIED = 17    # member -> server: its Ed25519 signature on (plan, round, U)


FIELDS = {Kind.START: 2, Kind.ADVERTISE: 3, Kind.KEYS: 2, Kind.SHARES: 3, Kind.FORWARD: 2, Kind.MASKED: 1,
          Kind.UNMASK_REQ: 1, Kind.UNMASK: 4, Kind.OT_UPLOAD: 3, Kind.OT_VERIFY: 3, Kind.OT_VERIFIED: 1,
          Kind.OT_DECRYPT: 2, Kind.OT_SHARE: 2, Kind.CHECK_REQ: 1, Kind.CHECK: 1, Kind.OT_CERTIFY: 1,
          Kind.OT_CERTIFIED: 1}
# Rounds with the consistency check: UNMASK_REQ carries U3, the signers U4 and their signatures;
# one-time plans with member signing keys: OT_DECRYPT carries the certificate of U as well,
# OT_SHARE the member's signature on its share.
CHECKED_FIELDS = {Kind.UNMASK_REQ: 3, Kind.OT_DECRYPT: 3, Kind.OT_SHARE: 3}


@dataclasses.dataclass(frozen=True)
class Message:
    kind: Kind
    sender: int
    round: int
    session: bytes
    fields: tuple

    def to_bytes(self) -> bytes:
        parts = [_HEAD.pack(MAGIC, int(self.kind), self.sender, self.round, self.session, len(self.fields))]
        for f in self.fields:
            b = f.tobytes() if isinstance(f, np.ndarray) else bytes(f)
            parts.append(_LEN.pack(len(b)))
            parts.append(b)
        h = hashlib.sha256()
        for b in parts:
            h.update(b)
        parts.append(h.digest()[:CHECK_BYTES])
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data, kind: Kind, max_bytes: int = 1 << 33, checked: bool = False) -> "Message":
        """Parse and check the framing of a message of ``kind`` (``checked``: of a round
        with the consistency check, see ``CHECKED_FIELDS``).

        Raises
        ------
        ProtocolError
            Bad magic (an earlier version included), a check trailer that does not
            match (corrupted), another kind, a wrong number of fields or lengths that do
            not add up.
        """
        mv = memoryview(data).cast("B")
        least = _HEAD.size + CHECK_BYTES
        if len(mv) < least:
            raise ProtocolError(f"secagg: message is too short; expected >= {least} bytes, got {len(mv)}")
        if len(mv) > max_bytes:
            raise ProtocolError(f"secagg: message is too long; expected <= {max_bytes} bytes, got {len(mv)}")
        magic = bytes(mv[:4])
        if magic in OLD_MAGICS:
            raise ProtocolError(f"secagg: message is of an earlier protocol version; expected {MAGIC!r} (messages "
                                f"with a check trailer), got {magic!r}")
        if magic != MAGIC:
            raise ProtocolError(f"secagg: message has a bad magic; expected {MAGIC!r}, got {magic!r}")
        end = len(mv) - CHECK_BYTES
        check, got = hashlib.sha256(mv[:end]).digest()[:CHECK_BYTES], bytes(mv[end:])
        if check != got:
            raise ProtocolError(f"secagg: message check does not match its bytes (corrupted in transit); expected "
                                f"{check.hex()}, got {got.hex()}")
        mv = mv[:end]
        _, k, sender, rnd, session, nf = _HEAD.unpack_from(mv, 0)
        if k != int(kind):
            raise ProtocolError(f"secagg: message has the wrong kind; expected {Kind(kind).name}, got {k}")
        want = CHECKED_FIELDS.get(kind, FIELDS[kind]) if checked else FIELDS[kind]
        if nf != want:
            raise ProtocolError(f"secagg: {kind.name} has the wrong number of fields; expected {want}, got {nf}")
        off = _HEAD.size
        fields = []
        for _ in range(nf):
            if off + _LEN.size > len(mv):
                raise ProtocolError(f"secagg: {kind.name} is truncated; expected a field length at byte {off}")
            (ln,) = _LEN.unpack_from(mv, off)
            off += _LEN.size
            if off + ln > len(mv):
                raise ProtocolError(f"secagg: {kind.name} is truncated; expected {ln} field bytes, got {len(mv) - off}")
            fields.append(mv[off:off + ln])
            off += ln
        if off != len(mv):
            raise ProtocolError(f"secagg: {kind.name} has trailing bytes; expected {off} bytes, got {len(mv)}")
        return cls(Kind(k), int(sender), int(rnd), bytes(session), tuple(fields))


def check_round(rnd, api: str) -> int:
    """``rnd`` as an int, refused unless an integer in 1..MAX_ROUND (it travels as u32).

    Raises
    ------
    ProtocolError
        Not an integer (bool included) or out of range.
    """
    if not is_integer(rnd) or not 1 <= int(rnd) <= MAX_ROUND:
        raise ProtocolError(f"{api}: round is out of range; expected an integer in 1..2^32-1, got {shown(rnd)}")
    return int(rnd)


def ids_array(field, api: str, n_clients: int) -> np.ndarray:
    """A field holding uint32 client ids: sorted, distinct, each < n_clients."""
    if len(field) % 4:
        raise ProtocolError(f"{api}: id list length is not a multiple of 4; got {len(field)} bytes")
    ids = np.frombuffer(field, dtype="<u4").astype(np.int64)
    if ids.size and (ids.max() >= n_clients or np.any(np.diff(ids) <= 0)):
        raise ProtocolError(f"{api}: id list is not sorted, distinct ids < {n_clients}; got {ids[:8].tolist()}...")
    return ids


def pack_ids(ids) -> bytes:
    return np.asarray(sorted(ids), dtype="<u4").tobytes()
