"""The client side of SecAgg / SecAgg+ as a state machine: one method per protocol step,
bytes in, bytes out, so the same object runs in the simulator, over TCP or inside Flower.

Implements Bonawitz et al. 2017 (Fig. 4, semi-honest variant: no consistency-check
round, optional Ed25519 signatures on the advertised keys against a server that forges
them) on the k-regular neighbour graph of Bell et al. 2020.
"""

from __future__ import annotations

import hashlib
import os
import struct

import numpy as np
from cryptography.exceptions import InvalidSignature, InvalidTag

from pyppml.fl import masks
from pyppml.fl.errors import ProtocolError, TooFewSurvivorsError
from pyppml.fl.messages import SERVER, Kind, Message, ids_array, pack_ids
from pyppml.fl.params import NeighbourGraph, SecAggParams
from pyppml.mpc.sharing import shamir_share

SIG_BYTES = 64
_SHARE_PLAIN = struct.Struct(f"<II{2 * masks.SECRET_CHUNKS}Q")
SHARE_CT_BYTES = _SHARE_PLAIN.size + 16  # + Poly1305 tag
ENC_INFO = b"pyppml-secagg-v1 share encryption"
MASK_INFO = b"pyppml-secagg-v1 pairwise mask"


def params_bytes(p: SecAggParams) -> bytes:
    return struct.pack("<QQQQQ", p.n_clients, p.dim, p.threshold, p.neighbours, p.mod_bits)


def signed_payload(session: bytes, rnd: int, index: int, c_pk: bytes, s_pk: bytes) -> bytes:
    return b"pyppml-secagg-v1 keys" + session + struct.pack("<II", rnd, index) + c_pk + s_pk


def commitment(session: bytes, seed: bytes) -> bytes:
    return hashlib.sha256(b"pyppml-secagg-v1 self-mask" + session + seed).digest()


class SecAggClient:
    """Client ``index`` of a secure-aggregation round.

    Call, in order, ``advertise(start)``, ``share_keys(keys)``, ``masked_input(forward,
    update)`` and ``unmask(request)``; each takes the server's message (bytes) and
    returns this client's reply (bytes). A client object serves one round.

    Parameters
    ----------
    index : int
        This client's id, 0 <= index < params.n_clients.
    params : SecAggParams
        The round's public parameters; a START message with other parameters is refused.
    identity_key : Ed25519PrivateKey, optional
        Signs the advertised keys.
    verify_keys : mapping {id: Ed25519PublicKey}, optional
        The other clients' identity keys; if given, a neighbour's keys without a valid
        signature abort the round (a server forging keys to read shares).
    last_round : int
        Highest round number this client has taken part in; older STARTs are replays.

    Raises (from the step methods)
    ------
    ProtocolError
        A message out of order, of another session or round, forged or malformed.
    TooFewSurvivorsError
        Fewer than ``threshold`` holders survive in this client's neighbourhood.
    ValueError
        A masked_input update of the wrong length, dtype or range.

    Examples
    --------
    See :class:`pyppml.fl.SecureAggregator`, which drives clients and server in-process.
    """

    def __init__(self, index: int, params: SecAggParams, identity_key=None, verify_keys=None, last_round: int = 0):
        if not 0 <= int(index) < params.n_clients:
            raise ValueError(f"SecAggClient: index is out of range; expected 0 <= index < {params.n_clients}, got {index}")
        self.index = int(index)
        self.params = params
        self.identity_key = identity_key
        self.verify_keys = verify_keys
        self.last_round = int(last_round)
        self._step = Kind.START
        self.bytes_sent = 0

    # -- helpers ---------------------------------------------------------------
    def _parse(self, data, kind: Kind) -> Message:
        if self._step != kind:
            raise ProtocolError(f"SecAggClient {self.index}: message out of order; expected {self._step.name}, "
                                f"got {kind.name}")
        msg = Message.from_bytes(data, kind)
        if msg.sender != SERVER:
            raise ProtocolError(f"SecAggClient {self.index}: {kind.name} not from the server; got sender {msg.sender}")
        if kind != Kind.START and (msg.session != self.session or msg.round != self.round):
            raise ProtocolError(f"SecAggClient {self.index}: {kind.name} of another round; expected round "
                                f"{self.round}, got round {msg.round} (or another session)")
        return msg

    def _reply(self, kind: Kind, *fields) -> bytes:
        out = Message(kind, self.index, self.round, self.session, tuple(fields)).to_bytes()
        self.bytes_sent += len(out)
        return out

    # -- step 0: advertise keys -----------------------------------------------
    def advertise(self, start: bytes) -> bytes:
        msg = self._parse(start, Kind.START)
        if msg.round <= self.last_round:
            raise ProtocolError(f"SecAggClient {self.index}: START replays an old round; expected round > "
                                f"{self.last_round}, got {msg.round}")
        if bytes(msg.fields[1]) != params_bytes(self.params):
            raise ProtocolError(f"SecAggClient {self.index}: START carries other parameters than {self.params}")
        if len(msg.fields[0]) != 32:
            raise ProtocolError(f"SecAggClient {self.index}: START graph seed has the wrong length; expected 32, "
                                f"got {len(msg.fields[0])}")
        self.session, self.round = msg.session, msg.round
        self.last_round = msg.round
        self.graph = NeighbourGraph(self.params.n_clients, self.params.neighbours, bytes(msg.fields[0]))
        self.neighbours = set(int(j) for j in self.graph.neighbours(self.index))
        self._c_sk, self.c_pk = masks.new_keypair()
        self._s_sk, self.s_pk = masks.new_keypair()
        sig = b""
        if self.identity_key is not None:
            sig = self.identity_key.sign(signed_payload(self.session, self.round, self.index, self.c_pk, self.s_pk))
        self._step = Kind.KEYS
        return self._reply(Kind.ADVERTISE, self.c_pk, self.s_pk, sig)

    # -- step 1: share keys -----------------------------------------------------
    def share_keys(self, keys: bytes) -> bytes:
        msg = self._parse(keys, Kind.KEYS)
        api = f"SecAggClient {self.index}: KEYS"
        ids = ids_array(msg.fields[0], api, self.params.n_clients)
        entry = 64 + (SIG_BYTES if self.verify_keys is not None else 0)
        blob = bytes(msg.fields[1])
        if len(blob) != entry * len(ids):
            raise ProtocolError(f"{api}: key list has the wrong length; expected {entry * len(ids)}, got {len(blob)}")
        self.peer_keys = {}
        seen = set()
        for n, j in enumerate(ids.tolist()):
            c_pk, s_pk = blob[entry * n:entry * n + 32], blob[entry * n + 32:entry * n + 64]
            if j != self.index and j not in self.neighbours:
                raise ProtocolError(f"{api}: client {j} is not a neighbour of {self.index}")
            if c_pk in seen or s_pk in seen or c_pk == s_pk:
                raise ProtocolError(f"{api}: duplicate public keys (client {j})")
            seen.update((c_pk, s_pk))
            if self.verify_keys is not None:
                vk = self.verify_keys.get(j)
                try:
                    if vk is None:
                        raise InvalidSignature
                    vk.verify(blob[entry * n + 64:entry * (n + 1)],
                              signed_payload(self.session, self.round, j, c_pk, s_pk))
                except InvalidSignature:
                    raise ProtocolError(f"{api}: keys of client {j} carry no valid signature (forged?)") from None
            self.peer_keys[j] = (c_pk, s_pk)
        if self.peer_keys.get(self.index) != (self.c_pk, self.s_pk):
            raise ProtocolError(f"{api}: this client's own keys are missing or altered")
        if len(ids) < self.params.threshold:
            raise TooFewSurvivorsError(f"{api}: too few neighbours advertised keys; expected >= "
                                       f"{self.params.threshold}, got {len(ids)}")
        self._seed = os.urandom(32)
        secrets = np.concatenate([masks.secret_to_field(self._seed),
                                  masks.secret_to_field(masks.private_bytes(self._s_sk))])
        shares = shamir_share(secrets, self.params.n_clients, self.params.threshold)
        self.own_share = shares[self.index]
        recipients = [j for j in ids.tolist() if j != self.index]
        cts = []
        for j in recipients:
            key = masks.agree(self._c_sk, self.peer_keys[j][0], ENC_INFO + self.session)
            plain = _SHARE_PLAIN.pack(self.index, j, *shares[j].tolist())
            cts.append(masks.aead(key).encrypt(masks.nonce(self.index, j), plain, self.session + bytes(4)))
        self._step = Kind.FORWARD
        return self._reply(Kind.SHARES, pack_ids(recipients), b"".join(cts), commitment(self.session, self._seed))

    # -- step 2: masked input ----------------------------------------------------
    def masked_input(self, forward: bytes, update: np.ndarray) -> bytes:
        """``update``: the quantized update, ``params.dim`` integers of ``params.dtype``
        in [0, 2^mod_bits) (see :class:`Quantizer`)."""
        p = self.params
        upd = np.asarray(update)
        if upd.shape != (p.dim,) or upd.dtype != p.dtype:
            raise ValueError(f"SecAggClient.masked_input: update has the wrong shape or dtype; expected ({p.dim},) "
                             f"{p.dtype}, got {upd.shape} {upd.dtype}")
        if p.mod_bits not in (32, 64) and upd.size and int(upd.max()) >> p.mod_bits:
            raise ValueError(f"SecAggClient.masked_input: update is out of range; expected < 2^{p.mod_bits}")
        msg = self._parse(forward, Kind.FORWARD)
        api = f"SecAggClient {self.index}: FORWARD"
        ids = ids_array(msg.fields[0], api, p.n_clients)
        blob = bytes(msg.fields[1])
        if len(blob) != SHARE_CT_BYTES * len(ids):
            raise ProtocolError(f"{api}: share list has the wrong length; expected {SHARE_CT_BYTES * len(ids)}, "
                                f"got {len(blob)}")
        self.held = {self.index: self.own_share}
        for n, j in enumerate(ids.tolist()):
            if j not in self.peer_keys or j == self.index:
                raise ProtocolError(f"{api}: share from client {j}, which advertised no keys to {self.index}")
            key = masks.agree(self._c_sk, self.peer_keys[j][0], ENC_INFO + self.session)
            try:
                plain = masks.aead(key).decrypt(masks.nonce(j, self.index), blob[SHARE_CT_BYTES * n:
                                                SHARE_CT_BYTES * (n + 1)], self.session + bytes(4))
            except InvalidTag:
                raise ProtocolError(f"{api}: share from client {j} fails authentication (forged or replayed)") from None
            fields = _SHARE_PLAIN.unpack(plain)
            if fields[0] != j or fields[1] != self.index:
                raise ProtocolError(f"{api}: share from client {j} is addressed {fields[0]} -> {fields[1]}")
            self.held[j] = np.array(fields[2:], dtype=np.uint64)
        if len(self.held) < p.threshold:
            raise TooFewSurvivorsError(f"{api}: too few neighbours sent shares; expected >= {p.threshold}, "
                                       f"got {len(self.held)}")
        y = masks.expand_mask(self._seed, p.dim, p.dtype).copy()
        y += upd
        for j in self.held:
            if j == self.index:
                continue
            seed = masks.agree(self._s_sk, self.peer_keys[j][1], MASK_INFO + self.session)
            m = masks.expand_mask(seed, p.dim, p.dtype)
            if self.index < j:
                y += m
            else:
                y -= m
        p.reduce(y)
        self._step = Kind.UNMASK_REQ
        return self._reply(Kind.MASKED, y)

    # -- step 3: unmasking ----------------------------------------------------------
    def unmask(self, request: bytes) -> bytes:
        msg = self._parse(request, Kind.UNMASK_REQ)
        api = f"SecAggClient {self.index}: UNMASK_REQ"
        alive = set(ids_array(msg.fields[0], api, self.params.n_clients).tolist())
        if self.index not in alive:
            raise ProtocolError(f"{api}: this client is not listed among the survivors")
        if not alive <= set(self.held):
            raise ProtocolError(f"{api}: survivors {sorted(alive - set(self.held))} never sent shares to {self.index}")
        if len(alive) < self.params.threshold:
            raise TooFewSurvivorsError(f"{api}: too few survivors; expected >= {self.params.threshold}, "
                                       f"got {len(alive)}")
        c = masks.SECRET_CHUNKS
        ids_b = sorted(alive)
        ids_s = sorted(set(self.held) - alive)
        sb = np.array([self.held[j][:c] for j in ids_b], dtype=np.uint64).reshape(-1)
        ss = np.array([self.held[j][c:] for j in ids_s], dtype=np.uint64).reshape(-1)
        # One round, one answer: never both shares of one client (that would unmask it).
        self._step = Kind.MASKED
        self.held = None
        return self._reply(Kind.UNMASK, pack_ids(ids_b), sb.astype("<u8").tobytes(), pack_ids(ids_s),
                           ss.astype("<u8").tobytes())
