"""A committee member of one-time-key CKKS aggregation.

It holds a long-term X25519 key (and, when the plan names the members' signing keys, an
Ed25519 key); per round it opens the seeds clients sealed to it (``verify``), signs the
final client set U (``certify``), then returns, for U and the parts it is asked for,
d_t = a_t S + E_t with S the sum over U of those parts (``decryption_share``).

What it refuses, so that shares never reveal more than the sum:
- with signing keys in the plan (required when threshold < members): a share for a
  client set that does not carry signatures of a quorum of members on that same set
  (:mod:`pyppml.fl.common.agreement`: two different sets cannot both be
  certified), and a signature on a second client set in a round;
- a second verification of a round once it has signed or released a share for it; a
  verification in which no client's seeds open (a request altered in transit: the
  member's state does not move);
- a decryption share for a client set other than the one it already signed or answered
  for in this round, for a part it does not hold or already answered, or for fewer than
  ``min_clients`` clients;
- clients whose seeds it did not open or, given the clients' identity keys, whose
  ephemeral key is not signed by them; rounds older than its newest finished one.
"""

from __future__ import annotations

import numpy as np
from cryptography.exceptions import InvalidSignature, InvalidTag

from pyppml import _core
from pyppml.fl.common import agreement
from pyppml.fl.ckks.onetime import ring
from pyppml.fl.ckks.onetime.params import OneTimeParams
from pyppml.fl.common.errors import ParameterError, ProtocolError, few
from pyppml.fl.common.masks import new_keypair
from pyppml.fl.common.messages import SERVER, Kind, Message, ids_array, pack_ids


class _Round:
    def __init__(self):
        self.seeds: dict[int, list[bytes]] = {}
        self.client_set: bytes | None = None  # the one U this member signs or answers for
        self.answered: set[int] = set()


class OneTimeMember:
    """Committee member ``index`` (0 .. members - 1); ``public_key`` goes to the clients.

    Parameters
    ----------
    index : int
    params : OneTimeParams
        With ``threshold < members`` the plan must name every member's signing key.
    verify_keys : dict
        {client: Ed25519PublicKey}, the pinned identity keys of the clients: only uploads
        whose round key the client signed with a pinned key count. Required unless
        ``signed=False``.
    signing_key : Ed25519PrivateKey, optional
        This member's signing key; required when the plan names signing keys, and its
        public part must be ``params.member_signing_keys[index]``.
    signed : bool
        Default True: require ``verify_keys``. ``signed=False`` is an explicit opt-in to
        unauthenticated clients, under which the server alone can recover any single
        client's update: it uploads zeros for sybil clients of its own (built from the
        public plan and member keys) next to the victim's upload, and the members
        decrypt that sum (min_clients counts the sybils).

    Raises
    ------
    ParameterError
        Index out of range, a plan without signing keys at threshold < members, a
        missing or foreign signing key, or no ``verify_keys`` in a signed round.

    Examples
    --------
    >>> from pyppml.fl.common import agreement
    >>> keys = agreement.new_signing_keys(3)
    >>> p = agreement.with_signing_keys(OneTimeParams(4, 10, members=3, threshold=2), keys)
    >>> ids = agreement.new_signing_keys(4)  # the clients' identity keys
    >>> pins = {i: k.public_key() for i, k in enumerate(ids)}
    >>> OneTimeMember(1, p, pins, signing_key=keys[1]).index
    1
    """

    def __init__(self, index: int, params: OneTimeParams, verify_keys=None, signing_key=None, *,
                 signed: bool = True):
        if not 0 <= index < params.members:
            raise ParameterError(f"OneTimeMember: index is out of range; expected 0..{params.members - 1}, got {index}")
        params.check_committee("OneTimeMember")
        if params.agreement and (signing_key is None
                                 or agreement.raw_public(signing_key) != params.member_signing_keys[index]):
            raise ParameterError(f"OneTimeMember: signing_key does not match the plan; expected the private key of "
                                 f"member_signing_keys[{index}], got "
                                 f"{'none' if signing_key is None else 'another key'}")
        if signed and verify_keys is None:
            raise ParameterError("OneTimeMember: verify_keys is missing; expected the clients' pinned Ed25519 "
                                 "public keys (or the explicit opt-in signed=False), got none")
        if not signed and verify_keys is not None:
            raise ParameterError("OneTimeMember: verify_keys is set; expected none with signed=False, got "
                                 f"{len(verify_keys)} keys")
        self._signing_key = signing_key if params.agreement else None
        self.index = index
        self.params = params
        self._sk, self.public_key = new_keypair()
        self._rounds: dict[int, _Round] = {}
        self._finished = 0
        self.verify_keys = verify_keys
        self._key_bytes = 32 + (64 if verify_keys is not None else 0)

    def _parse(self, data, kind: Kind) -> Message:
        msg = Message.from_bytes(data, kind, checked=self.params.agreement)
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
        state = self._rounds.get(msg.round)
        if state is not None and state.client_set is not None:
            raise ProtocolError(f"OneTimeMember.verify: round {msg.round} already signed or answered a client set; "
                                "expected a new round")
        aad = ring.seal_aad(p, msg.round)
        rejected, opened = [], {}
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
            opened[i] = [plain[32 * m:32 * m + 32] for m in range(len(plain) // 32)]
        if ids.size and not opened:
            # Nothing sealed for this round and plan opens: an altered request (e.g. its
            # round), which must not end the round in progress.
            raise ProtocolError(f"OneTimeMember.verify: no client's seeds open for round {msg.round}; expected seeds "
                                "sealed to this member for this round and plan")
        if state is None:
            self.finish_round(msg.round - 1)  # rounds run one after another: older ones are over
            state = self._rounds.setdefault(msg.round, _Round())
        state.seeds.update(opened)
        return self._reply(Kind.OT_VERIFIED, msg.round, pack_ids(rejected))

    def _client_set(self, msg: Message, api: str) -> tuple[_Round, bytes, np.ndarray]:
        """The round's state and the requested client set, checked: verified round, at
        least ``min_clients`` clients, all with opened seeds, and no other set signed or
        answered before in this round."""
        p = self.params
        ids = ids_array(msg.fields[0], api, p.n_clients)
        state = self._rounds.get(msg.round)
        if state is None:
            raise ProtocolError(f"{api}: round {msg.round} was not verified; expected a verification first")
        least = max(2, p.min_count)  # a sum of one client is that client's update, whatever the plan says
        if ids.size < least:
            raise ProtocolError(f"{api}: client set is too small; expected >= {least} clients, got {ids.size}")
        missing = [i for i in ids.tolist() if i not in state.seeds]
        if missing:
            raise ProtocolError(f"{api}: clients have no verified seeds; expected verified clients, got {missing[:8]}")
        key_set = bytes(msg.fields[0])
        if state.client_set is not None and state.client_set != key_set:
            raise ProtocolError(f"{api}: client set differs from the one signed or answered in round {msg.round}; "
                                "expected the same set")
        return state, key_set, ids

    def certify(self, request: bytes) -> bytes:
        """Sign the round's client set U (one set per round, never another).

        Raises
        ------
        ProtocolError
            A plan without signing keys, an unverified round, a set that is too small,
            holds unverified clients or differs from the one already signed.
        """
        api = "OneTimeMember.certify"
        msg = self._parse(request, Kind.OT_CERTIFY)
        if self._signing_key is None:
            raise ProtocolError(f"{api}: the plan has no member signing keys; expected a plan with "
                                "member_signing_keys")
        state, key_set, _ = self._client_set(msg, api)
        state.client_set = key_set
        signature = self._signing_key.sign(agreement.statement(self.params, msg.round, key_set))
        return self._reply(Kind.OT_CERTIFIED, msg.round, signature)

    def decryption_share(self, request: bytes) -> bytes:
        """d_t = a_t S + E_t for every block, S the sum over the requested client set of
        the requested parts; with signing keys in the plan, only for a set certified by
        a quorum of members.

        Raises
        ------
        ProtocolError
            Malformed or foreign request, a missing or invalid certificate, or a
            request the member refuses (module note).
        """
        p = self.params
        api = "OneTimeMember.decryption_share"
        msg = self._parse(request, Kind.OT_DECRYPT)
        parts_field = bytes(msg.fields[1])
        held = p.held_by(self.index)
        # Cheap checks first: the parts list is at most as long as what this member holds
        # and repeats nothing, before any work per part or per signature.
        if len(parts_field) % 2 or not parts_field or len(parts_field) // 2 > len(held):
            raise ProtocolError(f"{api}: parts field is malformed; expected a non-empty uint16 list of at most "
                                f"{len(held)} parts, got {len(parts_field)} bytes")
        parts = np.frombuffer(parts_field, dtype="<u2").tolist()
        if len(set(parts)) != len(parts):
            raise ProtocolError(f"{api}: parts repeat; expected distinct parts, got {few(parts)}")
        state, key_set, ids = self._client_set(msg, api)
        if p.agreement:
            agreement.check(p, msg.round, key_set, msg.fields[2], api)
        bad = sorted(set(parts) - set(held)) + sorted(set(parts) & state.answered)
        if bad:
            raise ProtocolError(f"{api}: parts are not held by member {self.index} or already answered; "
                                f"expected parts of {few(list(held))} once, got {few(bad)}")
        slot = {m: held.index(m) for m in parts}
        seeds = [state.seeds[i][slot[m]] for i in ids.tolist() for m in parts]
        state.client_set = key_set  # never sign or answer for another set this round
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
        share = b"".join(packed)
        if self._signing_key is None:
            return self._reply(Kind.OT_SHARE, msg.round, parts_field, share)
        # Signed, so that a share altered in transit is refused instead of corrupting the sum.
        signature = self._signing_key.sign(agreement.share_statement(p, msg.round, key_set, parts_field, share))
        return self._reply(Kind.OT_SHARE, msg.round, parts_field, share, signature)

    def finish_round(self, rnd: int) -> None:
        """Forget the round's seeds; later requests for it (or older rounds) are refused."""
        for r in [r for r in self._rounds if r <= rnd]:
            self._rounds.pop(r).seeds.clear()
        self._finished = max(self._finished, rnd, 0)
