"""The server of one-time-key CKKS aggregation: it collects uploads, has the committee
verify the sealed seeds, asks the members for decryption shares over the surviving
clients (each key part answered by one live holder) and adds everything up. It never
holds a key: what it can decrypt is the sum.

Steps::

    server.receive_upload(i, bytes)            # each client, any order
    server.verify_requests(live) -> {j: bytes}; server.receive_verification(j, bytes)
    server.certify_requests(live) -> {j: bytes}; server.receive_certification(j, bytes)
    server.decryption_requests(live) -> {j: bytes}; server.receive_share(j, bytes)
    (a member that fails to answer: call decryption_requests again with the others)
    server.finish() -> the sum of the accepted clients' updates

The certification step (members sign the final client set; shares are released only
against a quorum of signatures, :mod:`pyppml.fl.common.agreement`) runs in plans
that name the members' signing keys (required when threshold < members); without them
``certify_requests`` returns no request.
"""

from __future__ import annotations

import time

import numpy as np

from pyppml import _core
from pyppml.fl.common import replicated
from pyppml.fl.common import agreement
from pyppml.fl.ckks.onetime import ring
from pyppml.fl.ckks.onetime.params import OneTimeParams
from pyppml.fl.common.errors import ProtocolError, TooFewSurvivorsError, few, is_integer
from pyppml.fl.common.messages import SERVER, Kind, Message, check_round, ids_array, pack_ids

SIGNATURE_BYTES = 64  # a client's Ed25519 signature on its round key


class OneTimeServer:
    """One aggregation round.

    Parameters
    ----------
    params : OneTimeParams
    round : int
        1..2^32-1 (it travels as u32), increasing across the committee's rounds.
    signed : bool
        Default True: uploads carry the client's Ed25519 signature on its round key
        (clients with identity keys, members with the verify keys). ``signed=False``
        (members built with ``signed=False`` too) lets the server recover any single
        update with sybil clients of its own.

    Attributes
    ----------
    accepted : list of int
        Clients whose uploads count (after verification).
    rejected : dict
        Client -> reason, for uploads or seeds that were refused.
    seconds : float
        Time spent in the server's own work (parsing, adding, decoding).
    """

    def __init__(self, params: OneTimeParams, round: int = 1, signed: bool = True):
        rnd = check_round(round, "OneTimeServer")
        params.check_committee("OneTimeServer")
        self.params = params
        self.round = rnd
        self.key_bytes = 32 + (SIGNATURE_BYTES if signed else 0)  # X25519 key (+ Ed25519 signature)
        self._uploads: dict[int, tuple[bytes, bytes, memoryview]] = {}
        self.rejected: dict[int, str] = {}
        self._verified: set[int] = set()
        self._answered: dict[int, int] = {}  # part -> member
        self._pending: dict[int, list[int]] = {}  # member -> parts asked
        self._signatures: dict[int, bytes] | None = None  # member -> signature on the client set
        self._total: np.ndarray | None = None  # sum of accepted uploads and shares, mod q
        self.accepted: list[int] = []
        self.seconds = 0.0

    def _out(self, kind: Kind, *fields) -> bytes:
        return Message(kind, SERVER, self.round, self.params.session, fields).to_bytes()

    def _parse(self, data, kind: Kind, sender: int) -> Message:
        # A caller that already parsed the bytes (to read the sender) passes the Message:
        # the check trailer is then not hashed a second time.
        msg = data if isinstance(data, Message) else Message.from_bytes(data, kind, checked=self.params.agreement)
        if msg.sender != sender or msg.session != self.params.session or msg.round != self.round:
            raise ProtocolError(f"OneTimeServer: {kind.name} has a foreign header; expected sender {sender}, round "
                                f"{self.round} of this session, got sender {msg.sender}, round {msg.round}")
        return msg

    # ------------------------------------------------------------------ uploads
    def receive_upload(self, client: int, data) -> None:
        """Take a client's upload (its bytes, or the ``Message`` parsed from them as
        ``Kind.OT_UPLOAD``); a malformed, foreign or repeated one raises ProtocolError
        and the client is rejected (the round goes on without it)."""
        t0 = time.perf_counter()
        p = self.params
        try:
            if not 0 <= client < p.n_clients:
                raise ProtocolError(f"OneTimeServer: client is out of range; expected 0..{p.n_clients - 1}, "
                                    f"got {client}")
            if client in self._uploads or client in self.rejected or self._verified:
                raise ProtocolError(f"OneTimeServer: upload from client {client} is late or repeated; expected one "
                                    "upload per client before verification")
            msg = self._parse(data, Kind.OT_UPLOAD, client)
            pk, sealed, packed = msg.fields
            want = (self.key_bytes, sum(p.blob_bytes(j) for j in range(p.members)), p.blocks * p.block_bytes)
            got = (len(pk), len(sealed), len(packed))
            if got != want:
                raise ProtocolError(f"OneTimeServer: upload of client {client} has wrong field sizes; expected {want}, "
                                    f"got {got}")
            if self._total is None:
                self._total = np.zeros(p.blocks * p.poly_degree, dtype=np.uint64)
            try:  # checks every coefficient < q before touching the sum
                _core.accumulate_packed_mod(self._total, packed, p.modulus_bits, p.modulus)
            except ValueError as err:
                raise ProtocolError(f"OneTimeServer: upload of client {client} is malformed; {err}") from None
            # kept until the committee has checked the client's seeds, to take it back out
            self._uploads[client] = (bytes(pk), bytes(sealed), packed)
        except ProtocolError as err:
            if 0 <= client < p.n_clients and client not in self._uploads and client not in self.rejected:
                self.rejected[client] = str(err)
            raise
        finally:
            self.seconds += time.perf_counter() - t0

    # ------------------------------------------------------------------ verification
    def verify_requests(self, live_members) -> dict[int, bytes]:
        """Each live member gets the uploads' public keys and the seeds sealed to it."""
        p = self.params
        ids = sorted(self._uploads)
        self._need_clients(len(ids))
        id_field = pack_ids(ids)
        pks = b"".join(self._uploads[i][0] for i in ids)  # keys (and signatures) as uploaded
        out = {}
        for j in sorted(set(live_members)):
            start, size = sum(p.blob_bytes(m) for m in range(j)), p.blob_bytes(j)
            blobs = b"".join(self._uploads[i][1][start:start + size] for i in ids)
            out[j] = self._out(Kind.OT_VERIFY, id_field, pks, blobs)
        return out

    def receive_verification(self, member: int, data) -> None:
        """A member's list of clients whose seeds did not open; they are withdrawn."""
        self._check_member(member, "OT_VERIFIED")
        msg = self._parse(data, Kind.OT_VERIFIED, member)
        bad = ids_array(msg.fields[0], "OneTimeServer.receive_verification", self.params.n_clients).tolist()
        for i in bad:
            if i in self._uploads:
                self._withdraw(i)
                self.rejected[i] = f"member {member} could not open the client's sealed seeds"
        self._verified.add(member)

    def _withdraw(self, client: int) -> None:
        p = self.params
        c = _core.unpack_fixed_width(self._uploads.pop(client)[2], p.modulus_bits, p.blocks * p.poly_degree)
        _core.eltwise("sub", p.modulus, self._total, c, out=self._total)

    # ------------------------------------------------------------------ decryption
    def _need_clients(self, count: int) -> None:
        if count < self.params.min_count:
            raise TooFewSurvivorsError(f"OneTimeServer: too few clients; expected >= {self.params.min_count}, "
                                       f"got {count}")

    def _check_member(self, member, kind: str) -> None:
        """Refuse a message under a member index outside the committee, before parsing."""
        integral = is_integer(member)
        if not integral or not 0 <= member < self.params.members:
            shown = int(member) if integral and abs(int(member)) < 1 << 64 else type(member).__name__
            raise ProtocolError(f"OneTimeServer: {kind} sender is out of range; expected a member in "
                                f"0..{self.params.members - 1}, got {shown}")

    def _freeze(self) -> None:
        """Fix the client set U: the uploads that survived verification."""
        if not self._verified:
            raise ProtocolError("OneTimeServer: no member verified the seeds; expected verify_requests first")
        if not self.accepted:
            self.accepted = sorted(self._uploads)
            self._need_clients(len(self.accepted))
            self._uploads.clear()

    def certify_requests(self, live_members) -> dict[int, bytes]:
        """Ask each live, verified member to sign the client set U (plans with signing
        keys; {} otherwise). Calling it again asks only members that have not signed."""
        if not self.params.agreement:
            return {}
        self._freeze()
        if self._signatures is None:
            self._signatures = {}
        ids = pack_ids(self.accepted)
        return {j: self._out(Kind.OT_CERTIFY, ids)
                for j in sorted(set(live_members) & self._verified) if j not in self._signatures}

    def receive_certification(self, member: int, data) -> None:
        """A member's signature on U; one that does not verify raises ProtocolError."""
        msg = self._parse(data, Kind.OT_CERTIFIED, member)
        if self._signatures is None or not 0 <= member < self.params.members:
            raise ProtocolError(f"OneTimeServer: certification of member {member} was not asked for; expected "
                                "certify_requests first")
        text = agreement.statement(self.params, self.round, pack_ids(self.accepted))
        if not agreement.verify_one(self.params, member, msg.fields[0], text):
            raise ProtocolError(f"OneTimeServer: certification of member {member} does not verify; expected its "
                                "signature on this round's client set")
        self._signatures[member] = bytes(msg.fields[0])

    def decryption_requests(self, live_members) -> dict[int, bytes]:
        """Assign every key part not yet answered to a live, verified holder; call again
        with the remaining members if one fails to answer.

        Raises
        ------
        ProtocolError
            No verification yet, or (plans with signing keys) no certification yet.
        TooFewSurvivorsError
            Too few clients, fewer than ``params.quorum`` members signed the client set,
            or a part that no live verified member holds.
        """
        p = self.params
        self._freeze()
        fields = ()
        if p.agreement:
            if self._signatures is None:
                raise ProtocolError("OneTimeServer.decryption_requests: the client set is not certified; expected "
                                    "certify_requests first")
            if len(self._signatures) < p.quorum:
                raise TooFewSurvivorsError(f"OneTimeServer: too few members certified the client set; expected >= "
                                           f"{p.quorum} (ceil((members + threshold) / 2)), got "
                                           f"{len(self._signatures)}")
            fields = (agreement.pack(self._signatures),)
        live = sorted(set(live_members) & self._verified)
        try:
            plan = replicated.assign(p.parts, p.members, live, self._answered)
        except LookupError as err:
            raise TooFewSurvivorsError(f"OneTimeServer: {err}") from None
        self._pending = plan
        ids = pack_ids(self.accepted)
        return {j: self._out(Kind.OT_DECRYPT, ids, np.asarray(parts, dtype="<u2").tobytes(), *fields)
                for j, parts in plan.items()}

    def receive_share(self, member: int, data) -> None:
        """Add a member's decryption share; a share from a member outside the committee
        or not asked (again), for other parts, of the wrong size, with a coefficient >= q
        or (plans with signing keys) without the member's valid signature raises
        ProtocolError and leaves the sum untouched."""
        t0 = time.perf_counter()
        p = self.params
        self._check_member(member, "OT_SHARE")
        msg = self._parse(data, Kind.OT_SHARE, member)
        field = bytes(msg.fields[0])
        if len(field) % 2:
            raise ProtocolError(f"OneTimeServer: share of member {member} has a malformed parts field; expected a "
                                f"uint16 list, got {len(field)} bytes")
        want = self._pending.get(member)
        if want is None:
            raise ProtocolError(f"OneTimeServer: share of member {member} was not asked for; expected a share from "
                                f"a member with a pending request, got one from member {member} (late or repeated)")
        parts = np.frombuffer(field, dtype="<u2")
        if parts.size != len(want) or parts.tolist() != want:
            raise ProtocolError(f"OneTimeServer: share of member {member} answers other parts; expected "
                                f"{few(want)}, got {few(parts[:9].tolist())}")
        if len(msg.fields[1]) != p.blocks * p.block_bytes:
            raise ProtocolError(f"OneTimeServer: share of member {member} has the wrong size; expected "
                                f"{p.blocks * p.block_bytes} bytes, got {len(msg.fields[1])}")
        if p.agreement:
            text = agreement.share_statement(p, self.round, pack_ids(self.accepted), msg.fields[0], msg.fields[1])
            if not agreement.verify_one(p, member, msg.fields[2], text):
                raise ProtocolError(f"OneTimeServer: share of member {member} is not signed by it; expected its "
                                    "signature on this round's share")
        try:  # checks every coefficient < q before touching the sum
            _core.accumulate_packed_mod(self._total, msg.fields[1], p.modulus_bits, p.modulus)
        except ValueError as err:
            raise ProtocolError(f"OneTimeServer: share of member {member} is malformed; {err}") from None
        for part in parts:
            self._answered[part] = member
        del self._pending[member]
        self.seconds += time.perf_counter() - t0

    def finish(self) -> np.ndarray:
        """The sum of the accepted clients' updates (float64, length dim).

        Raises
        ------
        TooFewSurvivorsError
            Some key part was never answered.
        ProtocolError
            An entry of the decoded sum (padding included) exceeds what the accepted
            clients can sum to, ``len(accepted) * max_abs_value`` plus 4 times the
            decryption error bound 2^-precision_bits: a share or upload was altered.
        """
        p = self.params
        if not self.accepted or len(self._answered) != len(p.parts):
            missing = [m for m in range(len(p.parts)) if m not in self._answered]
            raise TooFewSurvivorsError(f"OneTimeServer.finish: key parts are unanswered; expected all "
                                       f"{len(p.parts)}, missing {few(missing)}")
        t0 = time.perf_counter()
        n = p.poly_degree
        out = np.concatenate([ring.decode_block(p, self._total[t * n:(t + 1) * n]) for t in range(p.blocks)])
        self.seconds += time.perf_counter() - t0
        # Every accepted entry is within max_abs_value (the clients check it) and the
        # decryption error within 2^-precision_bits (7 standard deviations): a sum beyond
        # 4 times that is no sum of uploads. An altered share or upload (which the
        # messages' check trailer cannot see when whoever altered it rewrote the message)
        # decodes to values near q / scale, far beyond it.
        bound = len(self.accepted) * p.max_abs_value * (1 + 2.0 ** -40) + 4 * 2.0 ** -p.precision_bits
        over = int(np.count_nonzero(~(np.abs(out) <= bound)))
        if over:
            raise ProtocolError(f"OneTimeServer.finish: the decoded sum is out of range (a share or upload altered "
                                f"on its way); expected |entry| <= {bound:.6g} ({len(self.accepted)} clients of "
                                f"max_abs_value {p.max_abs_value:g}), got {over} entries beyond it")
        return out[:p.dim]
