"""One member of the collective-key CKKS committee (:mod:`pyppml.fl.ckks.committee`): it
holds key parts that never leave it, certifies one set of signed client uploads per round
with the other members (:mod:`pyppml.fl.common.agreement`), and answers with smudged
decryption shares of the sum it verified and added itself, at its own planned width."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import struct

import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pyppml.ckks import Context
from pyppml.ckks.ciphertext import Ciphertext
from pyppml.fl.common import agreement
from pyppml.fl.common.errors import ParameterError, ProtocolError, TooFewSurvivorsError, is_integer, shown
from pyppml.fl.ckks.uploads import upload_payload, uploads_digest

MAX_ROUND = (1 << 63) - 1
MAX_PENDING_ROUNDS = 64  # rounds a member certified but has not yet answered
MAX_SMUDGING_BITS = 120  # the core's range of flooding widths, 0..120


def key_id_from_crs(crs: bytes) -> int:
    return int.from_bytes(hashlib.sha256(b"pyppml-fl ckks key id" + crs).digest()[:8], "little") >> 1


@dataclasses.dataclass(frozen=True)
class CommitteePlan:
    """What the members of one committee agree on: its key id, size, threshold and every
    member's Ed25519 public key (raw 32 bytes, member order). ``digest`` and ``quorum``
    serve :mod:`pyppml.fl.common.agreement`.

    Raises
    ------
    ParameterError
        Sizes out of range, or not ``members`` distinct 32-byte keys.
    """

    key_id: int
    members: int
    threshold: int
    member_signing_keys: tuple

    def __post_init__(self):
        keys = self.member_signing_keys
        if not 1 <= self.threshold <= self.members or len(keys) != self.members or len(set(keys)) != len(keys) \
                or any(not isinstance(k, bytes) or len(k) != 32 for k in keys):
            raise ParameterError(f"CommitteePlan: member_signing_keys are out of range; expected {self.members} "
                                 f"distinct 32-byte keys and 1 <= threshold <= members, got {len(keys)} keys and "
                                 f"threshold {self.threshold}")
        object.__setattr__(self, "member_signing_keys", tuple(keys))

    @property
    def quorum(self) -> int:
        return agreement.quorum(self.members, self.threshold)

    @functools.cached_property
    def digest(self) -> bytes:
        return hashlib.sha256(b"pyppml-ckks-committee-v1 plan" + struct.pack("<QII", self.key_id, self.members,
                                                                            self.threshold)
                              + b"".join(self.member_signing_keys)).digest()


def raw_key(key) -> bytes:
    raw = key.public_bytes_raw() if isinstance(key, Ed25519PublicKey) else bytes(key)
    if len(raw) != 32:
        raise ParameterError(f"ckks committee: client key has the wrong length; expected 32 bytes, got {len(raw)}")
    return raw


class CommitteeMember:
    """One committee member: it holds secret key parts (never leaving it), publishes their
    public-key shares and, per round, smudged decryption shares (uint64 arrays) of the
    sum of signed client uploads it verified and added itself.

    Parameters
    ----------
    ctx : Context
    parts : dict {part: secret}, optional
    client_keys : iterable of Ed25519PublicKey or 32 raw bytes
        The pinned clients: uploads signed by any other key are refused.
    min_clients : int
        Fewest distinct clients in a sum the member decrypts (>= 2).
    key_id : int
        The committee key the uploads must be signed for.
    plan : CommitteePlan, optional
        The committee this member belongs to (default: a committee of this member alone,
        with ``signing_key``).
    index : int
        This member's index in ``plan``.
    signing_key : Ed25519PrivateKey, optional
        Its key for certifying uploads (the plan's key of ``index``); default a fresh
        one, for a committee of one.
    smudging_bits : int
        The flooding width of its decryption shares, fixed by the committee's plan; a
        request with a smaller width is refused (without it the member decrypts nothing).
    max_clients : int, optional
        Most distinct clients in a sum the member decrypts: the count its flooding width
        was sized for (a larger sum carries more key-dependent noise than it hides).
        Required with ``smudging_bits``.

    Raises
    ------
    ParameterError
        ``signing_key`` is not the plan's key of ``index``.
    """

    def __init__(self, ctx: Context, parts: dict | None = None, client_keys=(), min_clients: int = 2,
                 key_id: int = 0, plan: CommitteePlan | None = None, index: int = 0, signing_key=None,
                 smudging_bits: int | None = None, max_clients: int | None = None):
        # A "sum" of one upload is that client's update: never decrypted.
        if isinstance(min_clients, bool) or not isinstance(min_clients, (int, np.integer)) or min_clients < 2:
            raise ParameterError(f"CommitteeMember: min_clients is out of range; expected an integer >= 2, got "
                                 f"{min_clients!r}")
        counted = isinstance(max_clients, (int, np.integer)) and not isinstance(max_clients, bool)
        if smudging_bits is not None and not (counted and max_clients >= min_clients):
            raise ParameterError(f"CommitteeMember: max_clients is out of range; expected an integer >= min_clients "
                                 f"({min_clients}) with smudging_bits, got {max_clients!r}")
        self.max_clients = None if max_clients is None else int(max_clients)
        # The member's own flooding width: a requester cannot lower it (0 would hand out
        # the exact decryption noise, the key-recovery setting of Li-Micciancio 2021).
        self.smudging_bits = None if smudging_bits is None else int(smudging_bits)
        self.ctx = ctx
        self._parts = {0: ctx._native.keygen_secret()} if parts is None else dict(parts)
        self.client_keys = {raw_key(k): (k if isinstance(k, Ed25519PublicKey) else
                                          Ed25519PublicKey.from_public_bytes(raw_key(k))) for k in client_keys}
        self.min_clients = int(min_clients)
        self.key_id = int(key_id)
        self._signing_key = signing_key if signing_key is not None else agreement.new_signing_keys(1)[0]
        self.plan = plan or CommitteePlan(self.key_id, 1, 1, (agreement.raw_public(self._signing_key),))
        self.index = int(index)
        if not 0 <= self.index < self.plan.members or \
                agreement.raw_public(self._signing_key) != self.plan.member_signing_keys[self.index]:
            raise ParameterError(f"CommitteeMember: signing_key is not the plan's key of member {self.index}; "
                                 f"expected the key of member {self.index} of {self.plan.members}")
        self.last_round = 0
        self._signed: dict[int, bytes] = {}  # round -> uploads digest this member certified

    @property
    def parts(self) -> list[int]:
        return sorted(self._parts)

    def public_key_share(self, crs: bytes, part: int | None = None) -> np.ndarray:
        sk = self._parts[self.parts[0] if part is None else part]
        return np.array(self.ctx._native.public_key_share(sk, bytes(crs)).coeffs, copy=True)

    def verified_sum(self, uploads, round: int) -> list[Ciphertext]:
        """The ciphertext sums (one per position) of ``uploads`` after every check of the
        module note; does not use up the round.

        Raises
        ------
        ProtocolError
            A bad, unpinned, duplicate or unsigned upload, a non-fresh ciphertext, uploads
            of different lengths, too few clients, or a round not above the last one
            answered.
        """
        api = "CommitteeMember"
        rnd = int(round)
        if not 0 < rnd <= MAX_ROUND:
            raise ProtocolError(f"{api}: round is out of range; expected 1..2^63-1, got {rnd}")
        if rnd <= self.last_round:
            raise ProtocolError(f"{api}: round is not new; expected round > {self.last_round}, got {rnd}")
        uploads = list(uploads)
        seen, sums, width = set(), None, None
        for pk, blobs, sig in uploads:
            pk = bytes(pk)
            vk = self.client_keys.get(pk)
            if vk is None:
                raise ProtocolError(f"{api}: upload from a client key that is not pinned; got key {pk.hex()[:16]}...")
            if pk in seen:
                raise ProtocolError(f"{api}: two uploads from one client key {pk.hex()[:16]}...")
            seen.add(pk)
            blobs = [bytes(b) for b in blobs]
            try:
                vk.verify(bytes(sig), upload_payload(self.key_id, rnd, blobs))
            except InvalidSignature:
                raise ProtocolError(f"{api}: upload of client key {pk.hex()[:16]}... carries no valid signature for "
                                    f"round {rnd}") from None
            if width is None:
                width = len(blobs)
            if len(blobs) != width or width == 0:
                raise ProtocolError(f"{api}: uploads have different lengths; expected {width} ciphertexts, got "
                                    f"{len(blobs)}")
            try:
                cts = [Ciphertext.from_bytes(b, self.ctx) for b in blobs]
            except ValueError as err:
                raise ProtocolError(f"{api}: upload of client key {pk.hex()[:16]}... is not a ciphertext; {err}") \
                    from None
            if any(c.level != self.ctx.max_level or c.scale != self.ctx.scale or c.size != 2 for c in cts):
                raise ProtocolError(f"{api}: upload is not a fresh encryption; expected level {self.ctx.max_level}, "
                                    f"the default scale and 2 components")
            sums = cts if sums is None else [a + b for a, b in zip(sums, cts)]
        if len(seen) < self.min_clients:
            raise TooFewSurvivorsError(f"{api}: too few client uploads to decrypt; expected >= {self.min_clients}, "
                                       f"got {len(seen)}")
        if self.max_clients is not None and len(seen) > self.max_clients:
            raise ProtocolError(f"{api}: too many client uploads for the planned flooding; expected <= "
                                f"{self.max_clients}, got {len(seen)}")
        return sums

    def certify(self, uploads, round: int) -> bytes:
        """This member's signature on (plan, round, :func:`uploads_digest`) after every
        check of :meth:`verified_sum`; one set of uploads per round, never another.

        Raises
        ------
        ProtocolError, TooFewSurvivorsError
            From :meth:`verified_sum`, or other uploads already certified this round.
        """
        uploads = list(uploads)
        self.verified_sum(uploads, round)
        digest = self._claim(uploads, round, "CommitteeMember.certify")
        return self._signing_key.sign(agreement.statement(self.plan, int(round), digest))

    def _claim(self, uploads, round: int, api: str) -> bytes:
        """Bind the round to these uploads (refusing others) and return their digest."""
        digest = uploads_digest(uploads)
        rnd = int(round)
        if rnd not in self._signed and len(self._signed) >= MAX_PENDING_ROUNDS:
            raise ProtocolError(f"{api}: too many rounds certified and not decrypted; expected at most "
                                f"{MAX_PENDING_ROUNDS}, got round {rnd}")
        if self._signed.get(rnd, digest) != digest:
            raise ProtocolError(f"{api}: uploads differ from the ones certified in round {rnd}; expected the same "
                                "uploads")
        self._signed[rnd] = digest
        return digest

    def decryption_share(self, uploads, round: int, smudging_bits: int, parts=None,
                         certificate: bytes = b"") -> list[np.ndarray]:
        """Per ciphertext position, the sum over ``parts`` (default every part it holds) of
        the smudged decryption shares of the sum of ``uploads`` it verified and added
        itself (:meth:`verified_sum`), only against a ``certificate``
        (:func:`pyppml.fl.common.agreement.pack`) with a quorum of the plan's members' signatures
        on these uploads for this round. Answers once per round.

        Raises
        ------
        ProtocolError, TooFewSurvivorsError
            From :meth:`verified_sum`, a missing or invalid certificate, uploads other
            than those this member certified this round, ``smudging_bits`` that is not an
            integer in ``self.smudging_bits``..120, or ``parts`` that are not distinct
            integers it holds; nothing is decrypted then, and the round stays answerable.
        """
        api = "CommitteeMember.decryption_share"
        # Every argument is checked before the round is used up: a refused request leaves
        # the member able to answer the genuine one.
        if not is_integer(smudging_bits):
            raise ProtocolError(f"{api}: smudging_bits is not an integer; expected an integer in "
                                f"{self.smudging_bits}..{MAX_SMUDGING_BITS}, got {type(smudging_bits).__name__}")
        bits = int(smudging_bits)
        if self.smudging_bits is None or bits < self.smudging_bits:
            raise ProtocolError(f"{api}: smudging_bits is below the member's planned flooding; expected >= "
                                f"{self.smudging_bits}, got {shown(bits)}")
        if bits > MAX_SMUDGING_BITS:
            raise ProtocolError(f"{api}: smudging_bits is out of range; expected {self.smudging_bits}.."
                                f"{MAX_SMUDGING_BITS}, got {shown(bits)}")
        if parts is None:
            parts = self.parts
        else:
            parts = list(parts)
            if not all(is_integer(q) for q in parts):
                raise ProtocolError(f"{api}: parts are not integers; expected a non-empty subset of {self.parts}, got "
                                    f"types {sorted({type(q).__name__ for q in parts})}")
            parts = [int(q) for q in parts]
        if not parts or len(set(parts)) != len(parts) or any(q not in self._parts for q in parts):
            raise ProtocolError(f"{api}: parts are not distinct parts this member holds; expected a non-empty subset "
                                f"of {self.parts}, got {parts[:8]}{'...' if len(parts) > 8 else ''}")
        uploads = list(uploads)
        sums = self.verified_sum(uploads, round)
        agreement.check(self.plan, int(round), uploads_digest(uploads), certificate, api)
        self._claim(uploads, round, api)
        out = []
        for ct in sums:
            q = np.array(self.ctx.coeff_moduli[:ct.level + 1], dtype=np.uint64)[:, None]
            total = None
            for part in parts:
                share = np.array(self.ctx._native.decryption_share(self._parts[part], ct._native, bits).coeffs,
                                 copy=True)
                total = share if total is None else (total + share) % q
            out.append(total)
        # One answer per round: recorded once every share is computed.
        self.last_round = int(round)
        self._signed = {r: d for r, d in self._signed.items() if r > self.last_round}
        return out
