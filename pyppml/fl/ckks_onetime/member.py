"""A committee member of one-time-key CKKS aggregation.

It holds a long-term X25519 key; per round it opens the seeds clients sealed to it
(``verify``), then returns, for the final client set U and the parts it is asked for,
d_t = a_t S + E_t with S the sum over U of those parts (``decryption_share``).

What it refuses, so that shares never reveal more than the sum:
- a second verification of a round once it has released a share for it;
- a decryption share for a client set other than the one it already answered for in this
  round (two sums over different sets would give away their difference), for a part it
  does not hold or already answered, or for fewer than ``min_clients`` clients;
- clients whose seeds it did not open or, given the clients' identity keys, whose
  ephemeral key is not signed by them; rounds older than its newest finished one.
"""

from __future__ import annotations

import numpy as np
from cryptography.exceptions import InvalidSignature, InvalidTag

from pyppml import _core
from pyppml.fl.ckks_onetime import ring
from pyppml.fl.ckks_onetime.params import OneTimeParams
from pyppml.fl.errors import ParameterError, ProtocolError
from pyppml.fl.masks import new_keypair
from pyppml.fl.messages import SERVER, Kind, Message, ids_array, pack_ids


class _Round:
    def __init__(self):
        self.seeds: dict[int, list[bytes]] = {}
        self.released: bytes | None = None
        self.answered: set[int] = set()


class OneTimeMember:
    """Committee member ``index`` (0 .. members - 1); ``public_key`` goes to the clients.
    With ``verify_keys`` ({client: Ed25519PublicKey}, every client) it accepts only uploads
    whose round key the client signed."""

    def __init__(self, index: int, params: OneTimeParams, verify_keys=None):
        if not 0 <= index < params.members:
            raise ParameterError(f"OneTimeMember: index is out of range; expected 0..{params.members - 1}, got {index}")
        self.index = index
        self.params = params
        self._sk, self.public_key = new_keypair()
        self._rounds: dict[int, _Round] = {}
        self._finished = 0
        self.verify_keys = verify_keys
        self._key_bytes = 32 + (64 if verify_keys is not None else 0)

    def _parse(self, data, kind: Kind) -> Message:
        msg = Message.from_bytes(data, kind)
        if msg.sender != SERVER or msg.session != self.params.session:
            raise ProtocolError(f"OneTimeMember: {kind.name} is not from this session's server; got sender "
                                f"{msg.sender}")
        if msg.round <= self._finished:
            raise ProtocolError(f"OneTimeMember: {kind.name} is for a finished round; expected > {self._finished}, "
                                f"got {msg.round}")
        return msg

    def _reply(self, kind: Kind, rnd: int, *fields) -> bytes:
        return Message(kind, self.index, rnd, self.params.session, fields).to_bytes()

    def verify(self, request: bytes) -> bytes:
        """Open the seeds sealed to this member; the reply lists the clients whose seeds
        did not open (forged or corrupted), which the server must drop."""
        p = self.params
        msg = self._parse(request, Kind.OT_VERIFY)
        ids = ids_array(msg.fields[0], "OneTimeMember.verify", p.n_clients)
        pks, blobs = bytes(msg.fields[1]), bytes(msg.fields[2])
        size = p.blob_bytes(self.index)
        kb = self._key_bytes
        if len(pks) != kb * ids.size or len(blobs) != size * ids.size:
            raise ProtocolError(f"OneTimeMember.verify: field sizes do not match {ids.size} clients; expected "
                                f"{kb * ids.size} and {size * ids.size} bytes, got {len(pks)} and {len(blobs)}")
        if msg.round not in self._rounds:
            self.finish_round(msg.round - 1)  # rounds run one after another: older ones are over
        state = self._rounds.setdefault(msg.round, _Round())
        if state.released is not None:
            raise ProtocolError(f"OneTimeMember.verify: round {msg.round} already released a share; expected a new round")
        aad = p.session + int(msg.round).to_bytes(4, "little")
        rejected = []
        for k, i in enumerate(ids.tolist()):
            pk, signature = pks[kb * k:kb * k + 32], pks[kb * k + 32:kb * (k + 1)]
            try:
                if self.verify_keys is not None:
                    if i not in self.verify_keys:
                        raise ProtocolError(f"OneTimeMember.verify: client {i} has no identity key")
                    self.verify_keys[i].verify(signature, ring.key_statement(p, msg.round, i, pk))
                key = ring.seed_key(p, self._sk, pk, msg.round, i, self.index)
                plain = ring.open_sealed(key, i, self.index, blobs[size * k:size * (k + 1)], aad)
            except (InvalidTag, InvalidSignature, ProtocolError):
                rejected.append(i)
                continue
            state.seeds[i] = [plain[32 * m:32 * m + 32] for m in range(len(plain) // 32)]
        return self._reply(Kind.OT_VERIFIED, msg.round, pack_ids(rejected))

    def decryption_share(self, request: bytes) -> bytes:
        """d_t = a_t S + E_t for every block, S the sum over the requested client set of
        the requested parts."""
        p = self.params
        msg = self._parse(request, Kind.OT_DECRYPT)
        api = "OneTimeMember.decryption_share"
        ids = ids_array(msg.fields[0], api, p.n_clients)
        parts_field = bytes(msg.fields[1])
        if len(parts_field) % 2 or not parts_field:
            raise ProtocolError(f"{api}: parts field is malformed; expected a non-empty uint16 list, "
                                f"got {len(parts_field)} bytes")
        parts = np.frombuffer(parts_field, dtype="<u2").tolist()
        held = p.held_by(self.index)
        state = self._rounds.get(msg.round)
        if state is None:
            raise ProtocolError(f"{api}: round {msg.round} was not verified; expected a verification first")
        if ids.size < p.min_count:
            raise ProtocolError(f"{api}: client set is too small; expected >= {p.min_count} clients, got {ids.size}")
        missing = [i for i in ids.tolist() if i not in state.seeds]
        if missing:
            raise ProtocolError(f"{api}: clients have no verified seeds; expected verified clients, got {missing[:8]}")
        key_set = bytes(msg.fields[0])
        if state.released is not None and state.released != key_set:
            raise ProtocolError(f"{api}: client set differs from the one answered in round {msg.round}; "
                                "expected the same set")
        bad = [m for m in parts if m not in held or m in state.answered or parts.count(m) > 1]
        if bad:
            raise ProtocolError(f"{api}: parts are not held by member {self.index} or already answered; "
                                f"expected parts of {list(held)} once, got {bad}")
        slot = {m: held.index(m) for m in parts}
        seeds = [state.seeds[i][slot[m]] for i in ids.tolist() for m in parts]
        state.released = key_set
        state.answered.update(parts)
        key_sum = ring.key_in_ntt_form(p, seeds)
        del seeds
        crs = ring.crs_seed(p, msg.round)
        noise = ring.noise(p)
        packed = [_core.pack_fixed_width(ring.member_block(p, key_sum, ring.crs_block(p, crs, t), noise[t]),
                                         p.modulus_bits) for t in range(p.blocks)]
        key_sum.coeffs.fill(0)
        if len(state.answered) == len(held):
            self.finish_round(msg.round)
        return self._reply(Kind.OT_SHARE, msg.round, parts_field, b"".join(packed))

    def finish_round(self, rnd: int) -> None:
        """Forget the round's seeds; later requests for it (or older rounds) are refused."""
        for r in [r for r in self._rounds if r <= rnd]:
            self._rounds.pop(r).seeds.clear()
        self._finished = max(self._finished, rnd, 0)
