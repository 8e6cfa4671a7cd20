"""The server side of SecAgg / SecAgg+ as a state machine: it routes encrypted shares,
sums masked inputs as they arrive and, at the end, removes the masks of the survivors
(self masks) and of the dropped clients (pairwise masks) from Shamir shares.

Each ``receive`` validates one client message; a bad one raises ``ProtocolError`` and
the client counts as dropped (``rejected`` keeps the reason). ``advance`` closes a step
and returns the next message for each surviving client. ``finish`` withholds the sum
when the masks did not cancel (``SecAggParams.check_words``).

Steps (the kinds received): ADVERTISE, SHARES, MASKED, UNMASK; with identity keys
(``verify_keys``) CHECK comes between MASKED and UNMASK: the consistency check of
Bonawitz et al. 2017 (Fig. 4 round 3), see :mod:`pyppml.fl.secagg.client` for the
threat model.
"""

from __future__ import annotations

import os
import time

import numpy as np
from cryptography.exceptions import InvalidSignature

from pyppml.fl.common import masks
from pyppml.fl.common.errors import ProtocolError, TooFewSurvivorsError
from pyppml.fl.common.messages import SERVER, Kind, Message, check_round, ids_array, pack_ids
from pyppml.fl.secagg.params import NeighbourGraph, SecAggParams
from pyppml.fl.secagg.client import (MASK_INFO, SHARE_CT_BYTES, SIG_BYTES, check_payload, commitment, params_bytes,
                                     signed_payload)
from pyppml.mpc.sharing import SHAMIR_PRIME, shamir_reconstruct

STEPS = (Kind.ADVERTISE, Kind.SHARES, Kind.MASKED, Kind.UNMASK)
CHECKED_STEPS = (Kind.ADVERTISE, Kind.SHARES, Kind.MASKED, Kind.CHECK, Kind.UNMASK)


class SecAggServer:
    """Server of one secure-aggregation round.

    Parameters
    ----------
    params : SecAggParams
    round : int
        Round number (clients refuse a round they have already seen).
    verify_keys : mapping {id: Ed25519PublicKey}, optional
        Clients' identity keys; if given, unsigned or badly signed ADVERTISE messages are
        rejected, and the round runs the consistency check: after MASKED, ``advance``
        sends each survivor CHECK_REQ with U3 (``survivors[Kind.MASKED]``), each answers
        CHECK with its signature on U3 (a bad one is rejected), and UNMASK_REQ goes to the
        signers U4 (``survivors[Kind.CHECK]``) with U3 and the signatures of the U4
        members in the closed neighbourhoods of the clients whose shares the recipient
        holds. The clients must have identity keys and the same ``verify_keys``.

    Attributes
    ----------
    steps : tuple of Kind
        The kinds received, in order (``STEPS`` or, with the check, ``CHECKED_STEPS``).
    survivors : dict {Kind: set of ids}
        The clients whose message of each step was accepted.
    rejected : dict {id: reason}
        Clients 0 .. n_clients - 1 whose message was refused (a message under an id
        outside that range is refused and recorded nowhere). A client advertising a
        low-order X25519 key is rejected at ADVERTISE, so it never reaches the others.
    seconds : float
        Server compute time so far (receive, advance and finish calls).

    Raises
    ------
    TooFewSurvivorsError
        From ``advance`` / ``finish`` when fewer than ``threshold`` clients (or shares of
        one client) remain; no aggregate is returned then.

    Examples
    --------
    See :class:`pyppml.fl.SecureAggregator`.
    """

    def __init__(self, params: SecAggParams, round: int = 1, verify_keys=None):
        self.params = params
        self.round = check_round(round, "SecAggServer")
        self.session = os.urandom(16)
        self.graph_seed = os.urandom(32)
        self.graph = NeighbourGraph(params.n_clients, params.neighbours, self.graph_seed)
        self.verify_keys = verify_keys
        self.checked = verify_keys is not None
        self.steps = CHECKED_STEPS if self.checked else STEPS
        self._next = dict(zip(self.steps, self.steps[1:] + (None,)))
        self._prev = dict(zip(self.steps[1:], self.steps))
        self.step = Kind.ADVERTISE
        self.survivors: dict[Kind, set] = {k: set() for k in self.steps}
        self._u3: list | None = None
        self._check_sigs: dict[int, bytes] = {}
        self.rejected: dict[int, str] = {}
        self.keys: dict[int, tuple[bytes, bytes, bytes]] = {}
        self._shares_to: dict[int, dict[int, bytes]] = {}
        self._commit: dict[int, bytes] = {}
        self._total = np.zeros(params.masked_dim, dtype=params.dtype)
        self._unmask: dict[int, tuple] = {}
        self._closed_nbhd = {}
        self.seconds = 0.0
        self.bytes_received = 0

    def closed_neighbourhood(self, i: int) -> set:
        s = self._closed_nbhd.get(i)
        if s is None:
            s = self._closed_nbhd[i] = set(int(j) for j in self.graph.neighbours(i)) | {i}
        return s

    def _out(self, kind: Kind, *fields) -> bytes:
        return Message(kind, SERVER, self.round, self.session, tuple(fields)).to_bytes()

    def start(self) -> bytes:
        """The START message, the same for every client."""
        return self._out(Kind.START, self.graph_seed, params_bytes(self.params))

    # -- receiving --------------------------------------------------------------
    def receive(self, client: int, data) -> None:
        """Validate and take in ``client``'s message of the current step.

        Raises
        ------
        ProtocolError
            Malformed, another step/session/round, a sender other than ``client``, a
            second message from the same client, a bad signature or wrong sizes. The
            client is then rejected for the rest of the round. A ``client`` outside
            0 .. n_clients - 1 is refused without a trace in ``rejected``.
        """
        i = int(client)
        if not 0 <= i < self.params.n_clients:
            raise ProtocolError(f"SecAggServer: client is out of range; expected 0..{self.params.n_clients - 1}, "
                                f"got {i}")
        t0 = time.perf_counter()
        try:
            self._receive(i, data)
        except ProtocolError as err:
            self.rejected[i] = str(err)
            raise
        finally:
            self.seconds += time.perf_counter() - t0
            self.bytes_received += len(data)

    def _receive(self, i: int, data) -> None:
        kind = self.step
        if kind is None:
            raise ProtocolError(f"SecAggServer: message from client {i} after the round ended")
        msg = Message.from_bytes(data, kind)
        api = f"SecAggServer: {kind.name} from client {i}"
        if msg.sender != i or msg.session != self.session or msg.round != self.round:
            raise ProtocolError(f"{api}: wrong sender, session or round (replayed or forged); got sender "
                                f"{msg.sender}, round {msg.round}")
        if i in self.rejected:
            raise ProtocolError(f"{api}: client was rejected earlier in the round")
        if i in self.survivors[kind]:
            raise ProtocolError(f"{api}: second message for this step (replay)")
        prev = self._prev.get(kind)
        if prev is not None and i not in self.survivors[prev]:
            raise ProtocolError(f"{api}: client did not take part in the previous step")
        getattr(self, f"_take_{kind.name.lower()}")(i, msg, api)
        self.survivors[kind].add(i)

    def _take_advertise(self, i, msg, api):
        c_pk, s_pk, sig = (bytes(f) for f in msg.fields)
        if len(c_pk) != 32 or len(s_pk) != 32:
            raise ProtocolError(f"{api}: public keys have the wrong length; expected 32 bytes, got {len(c_pk)} and "
                                f"{len(s_pk)}")
        for name, pk in (("c_pk", c_pk), ("s_pk", s_pk)):
            if masks.is_low_order(pk):
                # Every neighbour's key agreement with it would fail: reject it here, alone.
                raise ProtocolError(f"{api}: {name} is a low-order point; expected an X25519 public key of large "
                                    f"order, got {pk[:8].hex()}...")
        if self.verify_keys is not None:
            vk = self.verify_keys.get(i)
            try:
                if vk is None or len(sig) != SIG_BYTES:
                    raise InvalidSignature
                vk.verify(sig, signed_payload(self.session, self.round, i, self.graph_seed, c_pk, s_pk))
            except InvalidSignature:
                raise ProtocolError(f"{api}: keys carry no valid signature (forged?)") from None
        self.keys[i] = (c_pk, s_pk, sig if self.verify_keys is not None else b"")

    def _take_shares(self, i, msg, api):
        ids = ids_array(msg.fields[0], api, self.params.n_clients)
        expected = sorted((self.closed_neighbourhood(i) & self.survivors[Kind.ADVERTISE]) - {i})
        if ids.tolist() != expected:
            raise ProtocolError(f"{api}: shares for the wrong clients; expected {expected[:8]}..., got "
                                f"{ids[:8].tolist()}...")
        blob = bytes(msg.fields[1])
        if len(blob) != SHARE_CT_BYTES * len(ids) or len(msg.fields[2]) != 32:
            raise ProtocolError(f"{api}: share list or commitment has the wrong length")
        for n, j in enumerate(expected):
            self._shares_to.setdefault(j, {})[i] = blob[SHARE_CT_BYTES * n:SHARE_CT_BYTES * (n + 1)]
        self._commit[i] = bytes(msg.fields[2])

    def _take_masked(self, i, msg, api):
        p = self.params
        y = msg.fields[0]
        if len(y) != p.masked_dim * p.dtype.itemsize:
            raise ProtocolError(f"{api}: masked input has the wrong length; expected "
                                f"{p.masked_dim * p.dtype.itemsize} bytes, got {len(y)}")
        self._total += np.frombuffer(y, dtype=p.dtype)

    def _take_check(self, i, msg, api):
        sig = bytes(msg.fields[0])
        try:
            if len(sig) != SIG_BYTES:
                raise InvalidSignature
            self.verify_keys[i].verify(sig, check_payload(self.session, self.round, self._u3))
        except (InvalidSignature, KeyError):
            raise ProtocolError(f"{api}: no valid signature on the survivor set") from None
        self._check_sigs[i] = sig

    def _take_unmask(self, i, msg, api):
        c = masks.SECRET_CHUNKS
        held = (self.closed_neighbourhood(i) & self.survivors[Kind.SHARES])
        alive = self.survivors[Kind.MASKED]
        ids_b = ids_array(msg.fields[0], api, self.params.n_clients)
        ids_s = ids_array(msg.fields[2], api, self.params.n_clients)
        if ids_b.tolist() != sorted(held & alive) or ids_s.tolist() != sorted(held - alive):
            raise ProtocolError(f"{api}: shares for the wrong clients")
        if len(msg.fields[1]) != 8 * c * len(ids_b) or len(msg.fields[3]) != 8 * c * len(ids_s):
            raise ProtocolError(f"{api}: share arrays have the wrong length")
        sb = np.frombuffer(msg.fields[1], dtype="<u8").reshape(-1, c)
        ss = np.frombuffer(msg.fields[3], dtype="<u8").reshape(-1, c)
        if (sb >= SHAMIR_PRIME).any() or (ss >= SHAMIR_PRIME).any():
            # Rejected here, as every malformed message is, not at finish() as a core error.
            raise ProtocolError(f"{api}: shares are not field elements; expected values < 2^61 - 1, got larger ones")
        self._unmask[i] = (ids_b.tolist(), sb, ids_s.tolist(), ss)

    # -- closing steps ----------------------------------------------------------------
    def _need(self, count: int, what: str) -> None:
        if count < self.params.threshold:
            raise TooFewSurvivorsError(f"SecAggServer: too few clients {what}; expected >= "
                                       f"{self.params.threshold}, got {count}")

    def advance(self) -> dict[int, bytes]:
        """Close the current step; the next message for each of its survivors.

        Raises
        ------
        TooFewSurvivorsError
            Fewer than ``threshold`` clients answered this step.
        """
        t0 = time.perf_counter()
        try:
            kind = self.step
            alive = self.survivors[kind]
            self._need(len(alive), f"answered {kind.name}")
            out = {}
            if kind == Kind.ADVERTISE:
                entry_sig = self.verify_keys is not None
                for i in sorted(alive):
                    ids = sorted(self.closed_neighbourhood(i) & alive)
                    blob = b"".join(self.keys[j][0] + self.keys[j][1] + (self.keys[j][2] if entry_sig else b"")
                                    for j in ids)
                    out[i] = self._out(Kind.KEYS, pack_ids(ids), blob)
            elif kind == Kind.SHARES:
                for i in sorted(alive):
                    got = {j: ct for j, ct in self._shares_to.get(i, {}).items() if j in alive}
                    ids = sorted(got)
                    out[i] = self._out(Kind.FORWARD, pack_ids(ids), b"".join(got[j] for j in ids))
            elif kind == Kind.MASKED and self.checked:
                self._u3 = sorted(alive)
                u3 = pack_ids(self._u3)
                for i in self._u3:
                    out[i] = self._out(Kind.CHECK_REQ, u3)
            elif kind == Kind.MASKED:
                for i in sorted(alive):
                    out[i] = self._out(Kind.UNMASK_REQ, pack_ids(sorted(self.closed_neighbourhood(i) & alive)))
            elif kind == Kind.CHECK:
                u3 = pack_ids(self._u3)
                shared = self.survivors[Kind.SHARES]
                for i in sorted(alive):
                    # i needs t signatures from N[j] for each j whose share it holds.
                    if self.params.complete:
                        signers = sorted(alive)
                    else:
                        near = set()
                        for j in self.closed_neighbourhood(i) & shared:
                            near |= self.closed_neighbourhood(j)
                        signers = sorted(near & alive)
                    out[i] = self._out(Kind.UNMASK_REQ, u3, pack_ids(signers),
                                       b"".join(self._check_sigs[v] for v in signers))
            else:
                raise ProtocolError("SecAggServer.advance: the last step is closed by finish()")
            self.step = self._next[kind]
            return out
        finally:
            self.seconds += time.perf_counter() - t0

    def finish(self) -> np.ndarray:
        """Remove every mask; the sum of the surviving clients' quantized updates mod
        2^mod_bits (``params.dtype``), for the clients in ``survivors[Kind.MASKED]``.

        Raises
        ------
        TooFewSurvivorsError
            Some client's secret has fewer than ``threshold`` shares among the clients
            that answered the unmasking step.
        ProtocolError
            A reconstructed secret does not match its commitment or public key (bad
            shares), or the check words are not zero after unmasking (masks that do not
            cancel: a key or a masked input altered on its way, which the check trailer
            of the messages cannot see when whoever altered it rewrote the message); the
            aggregate is withheld.
        """
        if self.step != Kind.UNMASK:
            raise ProtocolError(f"SecAggServer.finish: round not at the unmasking step; at {self.step}")
        t0 = time.perf_counter()
        try:
            return self._finish()
        finally:
            self.step = None
            self.seconds += time.perf_counter() - t0

    def _collect(self, which: int) -> dict[int, dict[int, np.ndarray]]:
        out: dict[int, dict[int, np.ndarray]] = {}
        for holder, rec in self._unmask.items():
            ids, arr = rec[2 * which], rec[2 * which + 1]
            for row, j in enumerate(ids):
                out.setdefault(j, {})[holder + 1] = arr[row]
        return out

    def _reconstruct(self, shares: dict[int, np.ndarray], whose: int, what: str) -> bytes:
        t = self.params.threshold
        if len(shares) < t:
            raise TooFewSurvivorsError(f"SecAggServer: too few shares of client {whose}'s {what}; expected >= {t}, "
                                       f"got {len(shares)}")
        pick = dict(sorted(shares.items())[:t])
        return masks.field_to_secret(shamir_reconstruct(pick))

    def _finish(self) -> np.ndarray:
        p = self.params
        self._need(len(self._unmask), "answered UNMASK")
        alive = self.survivors[Kind.MASKED]
        dropped = self.survivors[Kind.SHARES] - alive
        b_shares, s_shares = self._collect(0), self._collect(1)
        total = self._total
        for i in sorted(alive):
            seed = self._reconstruct(b_shares.get(i, {}), i, "self-mask seed")
            if commitment(self.session, seed) != self._commit[i]:
                raise ProtocolError(f"SecAggServer: client {i}'s self-mask seed does not match its commitment "
                                    "(bad shares)")
            total -= masks.expand_mask(seed, p.masked_dim, p.dtype)
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        for j in sorted(dropped):
            raw = self._reconstruct(s_shares.get(j, {}), j, "mask key")
            sk = X25519PrivateKey.from_private_bytes(raw)
            if sk.public_key().public_bytes_raw() != self.keys[j][1]:
                raise ProtocolError(f"SecAggServer: client {j}'s reconstructed key does not match its public key "
                                    "(bad shares)")
            for i in sorted(self.closed_neighbourhood(j) & alive):
                m = masks.expand_mask(masks.agree(sk, self.keys[i][1], MASK_INFO + self.session), p.masked_dim,
                                      p.dtype)
                # i added +m if i < j, -m if i > j; j's opposite term never arrived.
                if i < j:
                    total -= m
                else:
                    total += m
        p.reduce(total)
        bad = int(np.count_nonzero(total[p.dim:]))
        if bad:
            # Each client added zeros there; a mask that did not cancel left uniform words.
            raise ProtocolError(f"SecAggServer: the masks did not cancel (a key or masked input altered on its way); "
                                f"expected {p.check_words} zero check words, got {bad} nonzero")
        return total[:p.dim].copy()
