"""The client side of SecAgg / SecAgg+ as a state machine: one method per protocol step,
bytes in, bytes out, so the same object runs in the simulator, over TCP or inside Flower.

Implements Bonawitz et al. 2017 (Fig. 4) on the k-regular neighbour graph of Bell et al.
2020, in two variants:

- without identity keys (the semi-honest variant, four steps): private against a server
  and fewer than ``threshold`` clients that follow the protocol but pool what they see.
  Nothing stops a server that deviates from the protocol from forging clients' keys
  or showing different survivor sets to different clients.
- with identity keys (``identity_key`` and ``verify_keys``; the actively secure variant,
  five steps): advertised keys are Ed25519-signed, and the ConsistencyCheck round
  (Fig. 4 round 3) runs between the masked input and the unmasking: every survivor
  signs the survivor set U3 the server shows it, and reveals shares only against
  ``threshold`` signatures on that same U3 from the holders of the secrets it reveals
  shares of. Against a malicious server colluding with a set C of clients, an honest
  client's update stays hidden (all honest holders of its shares act on one U3, so the
  server gets its self-mask seed or its mask key, never both) when, for every honest
  client v, ``2 * threshold > |N[v]| + |C & N[v]|``, N[v] being v's closed
  neighbourhood (the k + 1 holders of its shares; all n clients in SecAgg): that is,
  t > (n + |C|) / 2 in SecAgg, i.e. ``|C & N[v]| < 2 * threshold - |N[v]|``.
  ``|C| < threshold`` alone is necessary but not sufficient: the honest-majority
  threshold floor((k + 1) / 2) + 1 withstands a malicious server only without
  colluders (one when k + 1 is even), so rounds with identity keys need at least
  ``signed_threshold(k)``, about 2 (k + 1) / 3 (the default of
  ``SecAggParams(signed=True)``), which withstands floor((k + 1) / 3) colluding
  clients per neighbourhood or more. The sum the server learns covers the survivor set U3,
  which every client checks has at least ``threshold`` members in its closed
  neighbourhood: at least ``threshold - |C & N[v]|`` honest ones, v among them. In
  SecAgg+ the neighbour graph comes from the server's START seed (signed with the
  keys, so every honest client of a neighbourhood uses the same graph), and a
  malicious server can try seeds until colluders crowd a victim's neighbourhood: count
  |C & N[v]| as min(|C|, k) unless the seed comes from a source the server cannot
  bias. Nothing protects the integrity of the sum (a server can drop honest clients or
  return a wrong aggregate).
"""

from __future__ import annotations

import hashlib
import os
import struct

import numpy as np
from cryptography.exceptions import InvalidSignature, InvalidTag

from pyppml.fl.common import masks
from pyppml.fl.common.errors import ParameterError, ProtocolError, TooFewSurvivorsError
from pyppml.fl.common.messages import SERVER, Kind, Message, ids_array, pack_ids
from pyppml.fl.secagg.params import NeighbourGraph, SecAggParams, signed_threshold
from pyppml.mpc.sharing import shamir_share_at

SIG_BYTES = 64
_SHARE_PLAIN = struct.Struct(f"<II{2 * masks.SECRET_CHUNKS}Q")
SHARE_CT_BYTES = _SHARE_PLAIN.size + 16  # + Poly1305 tag
ENC_INFO = b"pyppml-secagg-v1 share encryption"
MASK_INFO = b"pyppml-secagg-v1 pairwise mask"


def params_bytes(p: SecAggParams) -> bytes:
    return struct.pack("<QQQQQ", p.n_clients, p.dim, p.threshold, p.neighbours, p.mod_bits)


def signed_payload(session: bytes, rnd: int, index: int, graph_seed: bytes, c_pk: bytes, s_pk: bytes) -> bytes:
    """What a client signs at advertise: its keys and the neighbour graph seed of START, so
    that a server showing clients different graphs fails the neighbours' signature check."""
    return b"pyppml-secagg-v1 keys" + session + struct.pack("<II", rnd, index) + graph_seed + c_pk + s_pk


def check_payload(session: bytes, rnd: int, u3) -> bytes:
    """What a client signs in the consistency check: the round and the sorted survivor set U3."""
    ids = pack_ids(u3)
    return b"pyppml-secagg-v1 survivors" + session + struct.pack("<II", rnd, len(ids) // 4) + ids


def commitment(session: bytes, seed: bytes) -> bytes:
    return hashlib.sha256(b"pyppml-secagg-v1 self-mask" + session + seed).digest()


class SecAggClient:
    """Client ``index`` of a secure-aggregation round.

    Call, in order, ``advertise(start)``, ``share_keys(keys)``, ``masked_input(forward,
    update)``, in rounds with identity keys ``check(check_req)``, and ``unmask(request)``;
    each takes the server's message (bytes) and returns this client's reply (bytes). A
    client object serves one round.

    Parameters
    ----------
    index : int
        This client's id, 0 <= index < params.n_clients.
    params : SecAggParams
        The round's public parameters; a START message with other parameters is refused.
    identity_key : Ed25519PrivateKey, optional
        Signs the advertised keys and, with ``verify_keys``, the survivor set U3.
    verify_keys : mapping {id: Ed25519PublicKey}, optional
        The clients' identity keys (this one's included); if given (``identity_key`` is
        then required), a neighbour's keys without a valid signature abort the round (a
        server forging keys to read shares), and the round runs the consistency check:
        ``check`` signs U3, and ``unmask`` reveals nothing unless the request carries
        the same U3 and enough valid signatures on it (see ``unmask``). The server must
        be given the same ``verify_keys``. Needs ``params.threshold`` >=
        ``signed_threshold(k)`` (``SecAggParams(signed=True)``), else ParameterError
        unless ``params.insecure_threshold``.
    last_round : int
        Highest round number this client has taken part in; older STARTs are replays.

    Raises (from the step methods)
    ------
    ProtocolError
        A message out of order, of another session or round, forged or malformed. With
        the consistency check, a failed ``check`` or ``unmask`` also ends the round for
        this client: its shares are erased and every later message is refused.
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
        if verify_keys is not None and identity_key is None:
            raise ValueError(f"SecAggClient: verify_keys without identity_key; the consistency check needs client "
                             f"{index}'s identity key to sign")
        least = signed_threshold(params.neighbours)
        if verify_keys is not None and params.threshold < least and not params.insecure_threshold:
            # A malicious server with one colluder splits the survivor views below it.
            raise ParameterError(f"SecAggClient: threshold is below the signed-round minimum; expected >= {least} for "
                                 f"{params.neighbours} neighbours with identity keys (SecAggParams(signed=True) sets "
                                 f"it), got {params.threshold}")
        self.identity_key = identity_key
        self.verify_keys = verify_keys
        self.checked = verify_keys is not None
        self.last_round = int(last_round)
        self._step = Kind.START
        self.bytes_sent = 0

    # -- helpers ---------------------------------------------------------------
    def _parse(self, data, kind: Kind) -> Message:
        if self._step is None:
            raise ProtocolError(f"SecAggClient {self.index}: the round was aborted; got {kind.name}")
        if self._step != kind:
            raise ProtocolError(f"SecAggClient {self.index}: message out of order; expected {self._step.name}, "
                                f"got {kind.name}")
        msg = Message.from_bytes(data, kind, checked=self.checked)
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
        self.graph_seed = bytes(msg.fields[0])
        self.graph = NeighbourGraph(self.params.n_clients, self.params.neighbours, self.graph_seed)
        self.neighbours = set(int(j) for j in self.graph.neighbours(self.index))
        self._c_sk, self.c_pk = masks.new_keypair()
        self._s_sk, self.s_pk = masks.new_keypair()
        sig = b""
        if self.identity_key is not None:
            sig = self.identity_key.sign(signed_payload(self.session, self.round, self.index, self.graph_seed,
                                                        self.c_pk, self.s_pk))
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
        self.low_order = []  # neighbours whose keys are low-order points: treated as dropped
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
                              signed_payload(self.session, self.round, j, self.graph_seed, c_pk, s_pk))
                except InvalidSignature:
                    raise ProtocolError(f"{api}: keys of client {j} carry no valid signature (forged?)") from None
            if j != self.index and (masks.is_low_order(c_pk) or masks.is_low_order(s_pk)):
                # No key agreement with it is possible (a pyppml server rejects such keys at
                # ADVERTISE): no share goes to it and no mask is shared with it.
                self.low_order.append(j)
                continue
            self.peer_keys[j] = (c_pk, s_pk)
        if self.peer_keys.get(self.index) != (self.c_pk, self.s_pk):
            raise ProtocolError(f"{api}: this client's own keys are missing or altered")
        if len(self.peer_keys) < self.params.threshold:
            raise TooFewSurvivorsError(f"{api}: too few neighbours advertised keys; expected >= "
                                       f"{self.params.threshold}, got {len(self.peer_keys)}")
        self._seed = os.urandom(32)
        secrets = np.concatenate([masks.secret_to_field(self._seed),
                                  masks.secret_to_field(masks.private_bytes(self._s_sk))])
        recipients = [j for j in ids.tolist() if j != self.index and j in self.peer_keys]
        # Evaluated at the holders' points only (global id + 1, as the server reconstructs):
        # k + 1 points whatever n_clients is, within the 4096 parties of one sharing.
        shares = shamir_share_at(secrets, [j + 1 for j in [self.index, *recipients]], self.params.threshold)
        self.own_share = shares[self.index + 1]
        cts = []
        for j in recipients:
            key = masks.agree(self._c_sk, self.peer_keys[j][0], ENC_INFO + self.session)
            plain = _SHARE_PLAIN.pack(self.index, j, *shares[j + 1].tolist())
            cts.append(masks.aead(key).encrypt(masks.nonce(self.index, j), plain, self.session + bytes(4)))
        self._step = Kind.FORWARD
        return self._reply(Kind.SHARES, pack_ids(recipients), b"".join(cts), commitment(self.session, self._seed))

    # -- step 2: masked input ----------------------------------------------------
    def masked_input(self, forward: bytes, update: np.ndarray) -> bytes:
        """``update``: the quantized update, ``params.dim`` integers of ``params.dtype``
        in [0, 2^mod_bits) (see :class:`Quantizer`). The masked input carries
        ``params.check_words`` zeros after it (masked too), which let the server tell a
        sum whose masks did not cancel."""
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
        y = masks.expand_mask(self._seed, p.masked_dim, p.dtype).copy()
        y[:p.dim] += upd
        for j in self.held:
            if j == self.index:
                continue
            seed = masks.agree(self._s_sk, self.peer_keys[j][1], MASK_INFO + self.session)
            m = masks.expand_mask(seed, p.masked_dim, p.dtype)
            if self.index < j:
                y += m
            else:
                y -= m
        p.reduce(y)
        self._step = Kind.CHECK_REQ if self.checked else Kind.UNMASK_REQ
        return self._reply(Kind.MASKED, y)

    def _abort(self) -> None:
        """End the round for this client: forget the shares, refuse every later message."""
        self._step = None
        self.held = None

    def _check_alive(self, alive: set, api: str) -> None:
        """The survivors the server names (in this client's closed neighbourhood), checked
        against this client's view."""
        if self.index not in alive:
            raise ProtocolError(f"{api}: this client is not listed among the survivors")
        if not alive <= set(self.held):
            raise ProtocolError(f"{api}: survivors {sorted(alive - set(self.held))} never sent shares to {self.index}")
        if len(alive) < self.params.threshold:
            raise TooFewSurvivorsError(f"{api}: too few survivors; expected >= {self.params.threshold}, "
                                       f"got {len(alive)}")

    # -- consistency check (rounds with identity keys) ----------------------------------
    def check(self, request: bytes) -> bytes:
        """Sign the survivor set U3 of a CHECK_REQ (Bonawitz et al. Fig. 4 round 3).

        An honest client signs one U3 per round; ``unmask`` later reveals shares only
        against that same U3.
        """
        if not self.checked:
            raise ProtocolError(f"SecAggClient {self.index}: CHECK_REQ in a round without identity keys")
        try:
            msg = self._parse(request, Kind.CHECK_REQ)
            api = f"SecAggClient {self.index}: CHECK_REQ"
            u3 = set(ids_array(msg.fields[0], api, self.params.n_clients).tolist())
            self._check_alive(u3 & (self.neighbours | {self.index}), api)
        except (ProtocolError, TooFewSurvivorsError):
            self._abort()
            raise
        self._u3 = sorted(u3)
        sig = self.identity_key.sign(check_payload(self.session, self.round, self._u3))
        self._step = Kind.UNMASK_REQ
        return self._reply(Kind.CHECK, sig)

    def _verify_check(self, msg: Message, api: str) -> set:
        """The checks of Fig. 4 round 4 before anything is revealed: the request's U3 is
        the one this client signed, and it carries enough valid signatures on it."""
        u3 = ids_array(msg.fields[0], api, self.params.n_clients).tolist()
        if u3 != self._u3:
            raise ProtocolError(f"{api}: the survivor set differs from the one this client signed (the server shows "
                                f"different sets to different clients?)")
        signers = ids_array(msg.fields[1], api, self.params.n_clients).tolist()  # sorted, distinct: no duplicates
        blob = bytes(msg.fields[2])
        if len(blob) != SIG_BYTES * len(signers):
            raise ProtocolError(f"{api}: signature list has the wrong length; expected {SIG_BYTES * len(signers)}, "
                                f"got {len(blob)}")
        u3_set = set(u3)
        payload = check_payload(self.session, self.round, u3)
        for n, v in enumerate(signers):
            if v not in u3_set:
                raise ProtocolError(f"{api}: signer {v} is not in the survivor set")
            vk = self.verify_keys.get(v)
            try:
                if vk is None:
                    raise InvalidSignature
                vk.verify(blob[SIG_BYTES * n:SIG_BYTES * (n + 1)], payload)
            except InvalidSignature:
                raise ProtocolError(f"{api}: client {v}'s signature on the survivor set is invalid (forged?)") from None
        # Whose signatures count. The check's guarantee: every honest client that reveals
        # shares of a client j acted on one and the same U3, so j's holders agree on
        # whether j survived, and the server learns the sum over that one U3 (not sums
        # over different sets shown to different clients). j's shares are held by its
        # closed neighbourhood N[j] (k + 1 clients; all n in SecAgg) and an honest client
        # signs a single U3: if every revealer of j's shares requires t signatures from
        # N[j], two different sets would each need t there, i.e. 2 (t - c_j) distinct
        # honest signers (c_j colluding clients in N[j]): impossible when
        # 2 t > |N[j]| + c_j. A count over all n clients proves nothing in SecAgg+
        # (t ~ k / 2 << n: far-away clients can sign any two sets), and a count over this
        # client's own neighbourhood covers only j = this client: two holders of j on
        # opposite sides of j on the ring have neighbourhoods that meet only near j, so
        # each could be shown its own U3 with t signatures from its own neighbourhood.
        # Hence t valid signatures from N[j] for every j whose share is revealed below,
        # N[self] included. This never refuses a round the server could finish: that needs
        # t shares of every such j from N[j], all from clients that signed.
        signed = set(signers)
        t = self.params.threshold
        for j in sorted(self.held):
            nbhd = signed & (set(int(x) for x in self.graph.neighbours(j)) | {j})
            if len(nbhd) < t:
                raise ProtocolError(f"{api}: too few signatures on the survivor set from the holders of client {j}'s "
                                    f"shares; expected >= {t}, got {len(nbhd)}")
        return u3_set

    # -- last step: unmasking -------------------------------------------------------------
    def unmask(self, request: bytes) -> bytes:
        """Reveal shares of the survivors' self-mask seeds and of the dropped clients' mask
        keys (never both for one client).

        With the consistency check the request carries (U3, U4, signatures) and, before
        anything is revealed, must carry exactly the U3 this client signed in ``check``,
        only valid signatures on it, from distinct clients of U3, and at least
        ``threshold`` of them from the closed neighbourhood of every client whose share
        this client reveals (itself included); otherwise ProtocolError and the client
        aborts.
        """
        api = f"SecAggClient {self.index}: UNMASK_REQ"
        if self.checked:
            try:
                msg = self._parse(request, Kind.UNMASK_REQ)
                alive = self._verify_check(msg, api) & (self.neighbours | {self.index})
            except (ProtocolError, TooFewSurvivorsError):
                self._abort()
                raise
        else:
            msg = self._parse(request, Kind.UNMASK_REQ)
            alive = set(ids_array(msg.fields[0], api, self.params.n_clients).tolist())
            self._check_alive(alive, api)
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
