"""CKKS aggregation under one-time committee keys (:mod:`pyppml.fl.ckks.onetime`) inside
Flower.

One Flower round is one aggregation round. The strategy sends each client, in the FitIns
config, the committee's public plan (every :class:`OneTimeParams` field, the session
bytes), the members' X25519 public keys, the client's index and the aggregation round;
the client trains, encrypts its (clipped, weighted, optionally noised) delta under a
fresh one-time key, seals the key's seeds to the members and sends the upload (one bytes
tensor, about 1.2x the float32 update). The server adds the uploads
(:class:`OneTimeServer`), has the committee open the seeds and return decryption shares
for the sum only, and moves the model by the decoded average.

This module is the server side (the strategy, :class:`LocalCommittee`); the client's
step is in :mod:`pyppml.fl.flower.onetime_client` (``onetime_client_fit``, also
importable from here), the plan as the config carries it and its pin in
:mod:`pyppml.fl.flower.onetime_pin`.

Trust model
-----------
- Server and members are honest-but-curious. An individual update stays confidential
  against the server together with up to ``threshold - 1`` members (and clients, as long
  as two honest clients are summed); the server learns the sum over at least
  ``min_clients`` clients, members refuse anything else (second sums, replays, small sets).
- The default committee (:class:`LocalCommittee`, all members in the strategy's process)
  is a convenience for tests and demos: the strategy then holds every member's secret
  key and could open any client's seeds, so the server must be trusted with single
  updates. In a deployment each member is a separate party; pass ``committee=`` an object
  whose ``verify`` / ``decryption_share`` reach the members (byte messages in and out).
- The plan and the members' public keys reach the clients through the server (FitIns
  config). A server that substituted its own keys, or lowered the threshold (to 1: one
  member, or the server with one member, decrypts a single update), the members, the
  clip or the noise, could read or weaken single updates, so clients should pin the whole
  plan, obtained out of band: :func:`committee_pin` (``OneTimeCkksStrategy.pin()``) is a
  40-byte digest of the plan (every :class:`OneTimeParams` field, the members' X25519 and
  Ed25519 keys, ``clip``, ``noise_multiplier``, the weighting); pass it as
  ``SecAggNumPyClient(inner, committee_keys=pin)`` or, hex-encoded, as the node config
  entry ``pyppml-committee-keys`` for the Mod. A pinned client refuses any other config
  before training. The plan's digest also enters the key derivation and the associated
  data of the sealed seeds, so seeds sealed under another plan do not open at honest
  members. Unpinned clients trust the server to forward the genuine plan.
- With ``threshold < members`` the members sign the round's client set and release
  shares only against a quorum of ceil((members + threshold) / 2) signatures on one set
  (:mod:`pyppml.fl.common.agreement`): the plan names every member's Ed25519 key.
- Clients: give the strategy ``client_keys`` (the clients' Ed25519 identity keys,
  pinned by the members; each client signs its round key with its
  ``identity_key`` / node config ``pyppml-identity-key`` and takes its index from its
  key's place in the list) and members count no upload the server made. Without
  ``client_keys`` (still the default) rounds are unsigned and clients are only as
  authenticated as Flower's transport: the server alone can then read any single update
  by adding sybil clients of its own (made from the public plan and member keys,
  uploading zeros) next to one victim, and the members decrypt that sum
  (``min_clients`` counts the sybils); the confidentiality claim above holds only with
  ``client_keys``. A malicious client can poison the sum (as in plain FedAvg).
  Malformed, foreign or replayed uploads and seeds that do not open reject only their
  sender.
- A key is never reused: every upload draws fresh seeds, and a client uploads at most once
  per (session, round) with rounds increasing (replayed or stale configs are refused).
- Dropouts: clients cost nothing; ceil((members + threshold) / 2) members must sign the
  client set (for 2-of-3: all three), then any ``threshold`` of the members decrypt, a
  member that fails is replaced by other holders of its key parts; with too few the round
  keeps the model.

Weighting (``weighted=True``: ``(w delta, w clip)``, ``w = num_examples / max_examples``;
with DP ``w delta`` alone and a public ``denominator``) and DP (each client rounds to a
power-of-two grid and adds its share of discrete Gaussian noise,
:func:`pyppml.fl.flower.updates.add_client_noise`) work as in
:mod:`pyppml.fl.flower.ckks`, including what the server learns (without DP, the
survivors' total example count).
With DP the plan's ``max_abs_value`` is ``clip`` plus 9 standard deviations of a client's
noise (a client whose noisy entry still exceeds it, probability ~1e-19 per entry, fails
the round rather than clip its noise); without DP it is ``clip``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flwr.common import FitIns, ndarrays_to_parameters

from pyppml.fl.common import agreement
from pyppml.fl.ckks.onetime import OneTimeMember, OneTimeParams, OneTimeServer
from pyppml.fl.dp_fedavg import NOISE_TAIL
from pyppml.fl.dp_fedavg_noise import check_grid_encodes, check_noise_shares
from pyppml.fl.common.errors import ParameterError, ProtocolError, TooFewSurvivorsError
from pyppml.fl.common.messages import Kind, Message, check_round
from pyppml.fl.flower.common import AveragingStrategy, failure_reasons
# The client's step lives in onetime_client; its names stay importable from here.
from pyppml.fl.flower.onetime_client import (MAX_SESSIONS, ONETIME_MODE, ONETIME_TENSOR_TYPE,  # noqa: F401
                                             onetime_client_fit)
from pyppml.fl.flower.onetime_pin import SECURITY_LEVELS, committee_pin, config_pin


class LocalCommittee:
    """All ``params.members`` committee members in this process (:class:`OneTimeMember`),
    behind the interface :class:`OneTimeCkksStrategy` expects of a committee:
    ``public_keys()``, ``verify(member, request)``, ``certify(member, request)`` and
    ``decryption_share(member, request)``, byte messages in and out, and ``params``, the
    plan naming the members' signing keys (made here when ``params`` names none). A
    convenience: whoever holds this object holds every member's secret key (see the
    module's trust model). ``client_keys`` (raw Ed25519 public keys, client i's at place
    i) makes the members pin them (signed rounds); without, rounds are unsigned and the
    server can recover single updates with sybil clients.

    Examples
    --------
    >>> c = LocalCommittee(OneTimeParams(3, 10, members=3, threshold=2, poly_degree=2048))
    >>> c.params.quorum, len(c.params.member_signing_keys)
    (3, 3)
    """

    def __init__(self, params: OneTimeParams, client_keys=None):
        signing = agreement.new_signing_keys(params.members)
        self.params = agreement.with_signing_keys(params, signing)
        # With client_keys the members pin client i's Ed25519 key client_keys[i]; without,
        # rounds are unsigned (explicit opt-in: the server can add sybil clients).
        pins = None if client_keys is None else {i: Ed25519PublicKey.from_public_bytes(k)
                                                 for i, k in enumerate(_client_keys(params, client_keys))}
        self.members = [OneTimeMember(j, self.params, pins, signing[j], signed=pins is not None)
                        for j in range(params.members)]

    def public_keys(self) -> list[bytes]:
        return [m.public_key for m in self.members]

    def verify(self, member: int, request: bytes) -> bytes:
        return self.members[member].verify(request)

    def certify(self, member: int, request: bytes) -> bytes:
        return self.members[member].certify(request)

    def decryption_share(self, member: int, request: bytes) -> bytes:
        return self.members[member].decryption_share(request)


def _client_keys(params: OneTimeParams, keys) -> list[bytes]:
    """The clients' raw Ed25519 public keys, checked: one per client index, distinct."""
    out = [bytes(k) for k in keys]
    if len(out) != params.n_clients or any(len(k) != 32 for k in out) or len(set(out)) != len(out):
        raise ParameterError(f"pyppml onetime: client_keys is invalid; expected {params.n_clients} distinct 32-byte "
                             f"Ed25519 public keys, got {len(out)} keys of {sorted({len(k) for k in out})} bytes")
    return out


def _plan_diff(a: OneTimeParams, b: OneTimeParams) -> list[str]:
    """The fields (as the protocol reads them) in which two plans differ, signing keys aside."""
    return [f for f in ("n_clients", "dim", "members", "t", "poly_degree", "precision_bits", "max_abs_value",
                        "min_count", "session", "security") if getattr(a, f) != getattr(b, f)]


class OneTimeCkksStrategy(AveragingStrategy):
    """Federated averaging of model deltas through one-time-key CKKS aggregation.

    Clients: :class:`pyppml.fl.flower.SecAggNumPyClient` or a ``ClientApp`` with
    :func:`pyppml.fl.flower.pyppml_mod` (both handle this strategy's rounds).

    Parameters
    ----------
    initial_parameters : list of numpy arrays
    n_clients : int
        Clients asked per round (the server waits for them); the ring is sized for sums of
        this many updates.
    members, threshold, poly_degree, precision_bits, min_clients, security :
        The committee's plan, see :class:`OneTimeParams` (``threshold`` of ``members``
        decrypt; members refuse sums of fewer than ``min_clients`` clients, default
        ceil(2 n_clients / 3)). ``security`` must be 128, 192 or 256 (clients refuse less).
    clip : float
        Entry bound of each delta; with DP also its L2 bound. The plan's max_abs_value
        (with DP plus room for the clients' noise, module note).
    noise_multiplier : float
        > 0: distributed DP (module note); ``self.accountant`` records each decrypted round.
    weighted, max_examples, denominator :
        Weighting, see :class:`pyppml.fl.flower.common.AveragingStrategy`.
    committee : object or callable, optional
        Default: a :class:`LocalCommittee` (in-process members). Otherwise an object with
        ``public_keys() -> list of bytes``, ``verify(member, request) -> bytes``,
        ``certify(member, request) -> bytes`` (plans with signing keys) and
        ``decryption_share(member, request) -> bytes`` that raises (or returns None) when
        the member does not answer; or a callable taking the strategy's
        :class:`OneTimeParams` and returning such an object. An object with a ``params``
        attribute must have been built for this plan (its session and the members'
        signing keys are used); one without needs ``session`` and, when
        ``threshold < members``, ``member_signing_keys``.
    session : bytes, optional
        16 bytes naming the committee's session (default: the committee's, or random).
    member_signing_keys : sequence of bytes, optional
        The members' raw Ed25519 public keys, for a committee without ``params``.
    client_keys : sequence of bytes, optional
        Signed rounds: the ``n_clients`` clients' raw Ed25519 public keys (their identity
        keys, ``SecAggNumPyClient(identity_key=...)`` or node config
        ``pyppml-identity-key``); client i of the plan is the holder of ``client_keys[i]``,
        signs its round key with it, and members count no other upload. The default
        committee pins them; a custom committee must pin the same list. Without them
        (the default for now) rounds are unsigned: the server alone can recover any
        single update with sybil clients (module note).
    inner : flwr.server.strategy.Strategy, optional
        The Flower strategy wrapped (default ``FedAvg(fraction_evaluate=0.0)``): its fit
        config, server optimizer, evaluation and metrics aggregation apply to the
        decrypted average (:mod:`pyppml.fl.flower.compose`).
    colluders : int
        Clients that may pool their DP noise shares with the server (default 0): the
        accountant counts the noise of the other clients in each sum only. Must stay
        below the fewest clients a sum may hold.

    Attributes
    ----------
    params : the :class:`OneTimeParams` of every round (dim = model size + 1 when weighted
        without DP),
        naming the members' signing keys.
    parameters : the global model (list of arrays).
    history : per aggregation round: ``accepted`` and ``rejected`` (client index -> reason)
        uploads, ``failed`` (Flower failures by client index), ``member_failures``
        (member -> reason), ``examples`` (weighted) and ``error`` when the model did not move.

    Raises
    ------
    ParameterError
        Invalid plan or weighting arguments, or a committee built for another plan.
    """

    def __init__(self, initial_parameters, n_clients: int, members: int = 3, threshold: int | None = None,
                 poly_degree: int = 4096, precision_bits: int = 20, min_clients: int | None = None,
                 clip: float = 1.0, noise_multiplier: float = 0.0, weighted: bool = True,
                 max_examples: int | None = None, committee=None, session: bytes | None = None,
                 security: int = 128, member_signing_keys=None, denominator: float | None = None,
                 client_keys=None, inner=None, colluders: int = 0):
        api = "OneTimeCkksStrategy"
        super().__init__(api, initial_parameters, n_clients, clip, noise_multiplier, weighted, max_examples,
                         denominator, inner, colluders)
        check_noise_shares(api, self.noise_multiplier, self.clip, self.dim, self.n_clients)
        if security not in SECURITY_LEVELS:
            raise ParameterError(f"{api}: security is out of range; expected one of {SECURITY_LEVELS}, got {security}")
        self.max_abs_value = self.clip
        if self.noise_multiplier > 0:
            self.max_abs_value += NOISE_TAIL * self.noise_multiplier * self.clip / math.sqrt(max(1, self.n_clients))
        plugged = committee is not None and callable(getattr(committee, "public_keys", None))
        factory = committee is not None and not plugged
        if factory and not callable(committee):
            raise ParameterError(f"{api}: committee is invalid; expected an object with public_keys, verify and "
                                 f"decryption_share, or a callable building one, got {type(committee).__name__}")
        given = getattr(committee, "params", None) if plugged else None
        given = given if isinstance(given, OneTimeParams) else None
        if session is None and given is not None:
            session = given.session
        if plugged and session is None:
            raise ParameterError(f"{api}: session is missing; expected the 16-byte session of the committee's "
                                 "plan (the committee has no params attribute)")
        plan = dict(members=members, threshold=threshold, poly_degree=poly_degree, precision_bits=precision_bits,
                    max_abs_value=self.max_abs_value, min_clients=min_clients, security=security)
        if session is not None:
            plan["session"] = session
        self.params = OneTimeParams(self.n_clients, self.vec_dim, **plan)
        if self.noise_multiplier > 0:
            check_grid_encodes(api, self.params, self.clip, self.dim)
        self.check_colluders(api, self.params.min_count)
        diff = _plan_diff(given, self.params) if given is not None else []
        if diff:
            raise ParameterError(f"{api}: committee is for another plan; expected the strategy's params, got "
                                 f"different {diff}")
        self.client_keys = None if client_keys is None else _client_keys(self.params, client_keys)
        if committee is None:
            committee = LocalCommittee(self.params, self.client_keys)
        elif factory:
            committee = committee(self.params)
        built = getattr(committee, "params", None)
        if isinstance(built, OneTimeParams):
            diff = _plan_diff(built, self.params)
            if diff:
                raise ParameterError(f"{api}: committee is for another plan; expected the strategy's params, got "
                                     f"different {diff}")
            self.params = built  # names the members' signing keys
        elif member_signing_keys is not None:
            self.params = dataclasses.replace(self.params, member_signing_keys=tuple(bytes(k) for k in
                                                                                     member_signing_keys))
        self.params.check_committee(api)
        if self.params.agreement and not callable(getattr(committee, "certify", None)):
            raise ParameterError(f"{api}: committee is invalid; expected a certify(member, request) method for a plan "
                                 f"with member signing keys, got {type(committee).__name__}")
        self.committee = committee
        self._agg_round = 0
        self._server: OneTimeServer | None = None
        self._index: dict[str, int] = {}

    def _member_keys(self) -> bytes:
        keys = [bytes(k) for k in self.committee.public_keys()]
        if len(keys) != self.params.members or any(len(k) != 32 for k in keys):
            raise ProtocolError(f"OneTimeCkksStrategy: committee public keys are invalid; expected "
                                f"{self.params.members} keys of 32 bytes, got {[len(k) for k in keys]}")
        return b"".join(keys)

    def _config(self, keys: bytes) -> dict:
        p = self.params
        return {**self.common_config(), "pyppml_mode": ONETIME_MODE, "pyppml_round": self._agg_round,
                "pyppml_n": p.n_clients,
                "pyppml_dim": self.dim, "pyppml_ot_dim": p.dim, "pyppml_ot_members": p.members,
                "pyppml_ot_threshold": p.t, "pyppml_ot_poly_degree": int(p.poly_degree),
                "pyppml_ot_precision_bits": int(p.precision_bits), "pyppml_ot_max_abs": float(p.max_abs_value),
                "pyppml_ot_min_clients": p.min_count, "pyppml_ot_security": int(p.security),
                "pyppml_ot_session": p.session, "pyppml_ot_keys": keys,
                "pyppml_ot_signing_keys": b"".join(p.member_signing_keys or ()),
                "pyppml_ot_client_keys": b"".join(self.client_keys or ())}

    def pin(self) -> bytes:
        """The plan's pin (:func:`committee_pin`) for clients to hold: whoever sets up the
        committee hands it to the clients out of band (the server must not be the one
        that tells them, or it could pin its own plan)."""
        return config_pin(self._config(self._member_keys()))

    def _no_round(self, server_round: int, error: str) -> dict:
        return {"round": self._agg_round, "server_round": server_round, "accepted": [], "rejected": {},
                "failed": {}, "member_failures": {}, "error": error}

    def configure_fit(self, server_round, parameters, client_manager):
        proxies = self.select(client_manager)
        self._agg_round += 1
        self._server = None
        try:
            check_round(self._agg_round, "OneTimeCkksStrategy")  # rounds travel as u32
            keys = self._member_keys()
        except ProtocolError as err:  # no round number left, or malformed committee keys: no round
            self.history.append(self._no_round(server_round, str(err)))
            return []
        except Exception as err:  # an unreachable committee: no round
            self.history.append(self._no_round(server_round, f"committee public keys unavailable: {err}"))
            return []
        self._server = OneTimeServer(self.params, self._agg_round, signed=self.client_keys is not None)
        self._index = {p.cid: i for i, p in enumerate(proxies)}
        params = ndarrays_to_parameters(self.parameters)
        user = self.round_configs(server_round, proxies)
        out = []
        for i, proxy in enumerate(proxies):
            cfg = {**user[proxy.cid], **self._config(keys)}
            cfg["pyppml_index"] = i
            out.append((proxy, FitIns(params, cfg)))
        return out

    def _decrypt(self, server: OneTimeServer, entry: dict) -> np.ndarray:
        """Verification and decryption with the committee; a member that raises, returns
        None or sends a reply the server refuses is dropped (its parts go to other holders)."""
        live = set(range(self.params.members))
        failures = entry["member_failures"]

        def ask(step, call, receive, j, req):
            try:
                reply = call(j, req)
                if reply is None:
                    raise ProtocolError(f"member {j} did not answer")
                receive(j, reply)
            except Exception as err:  # unreachable, refusing or malformed: the member is dropped
                live.discard(j)
                failures[j] = f"{step}: {type(err).__name__}: {err}"

        for j, req in server.verify_requests(live).items():
            ask("verify", self.committee.verify, server.receive_verification, j, req)
        for j, req in server.certify_requests(live).items():
            ask("certify", self.committee.certify, server.receive_certification, j, req)
        while True:
            requests = server.decryption_requests(live)  # TooFewSurvivorsError: a part without live holder
            if not requests:
                return server.finish()
            for j, req in requests.items():
                ask("decrypt", self.committee.decryption_share, server.receive_share, j, req)

    def aggregate_fit(self, server_round, results, failures):
        server = self._server
        entry = {"round": self._agg_round, "server_round": server_round, "accepted": [], "rejected": {},
                 "failed": {}, "member_failures": {}}
        self.history.append(entry)
        for cid, reason in failure_reasons(failures).items():
            entry["failed"][self._index.get(cid, cid)] = reason
        if server is None:
            entry["error"] = "no round in progress"
            return self.keep_model(server_round, {}, failures)
        self._server = None
        rejected = {}
        for proxy, res in results:
            i = self._index.get(proxy.cid)
            if i is None:
                continue  # not asked this round
            tensors = res.parameters.tensors
            upload = tensors[0] if len(tensors) == 1 else None
            if self.client_keys is not None and upload is not None:
                # Signed: the client's index is its place in client_keys (in the header).
                # The server takes the parsed message: the upload is hashed once.
                try:
                    upload = Message.from_bytes(upload, Kind.OT_UPLOAD)
                except ValueError as err:
                    rejected[self._index[proxy.cid]] = f"malformed upload: {err}"
                    continue
                i = upload.sender
            if res.parameters.tensor_type != ONETIME_TENSOR_TYPE or upload is None:
                rejected[i] = (f"expected one {ONETIME_TENSOR_TYPE} tensor, got {len(tensors)} "
                               f"{res.parameters.tensor_type!r}")
                continue
            try:
                server.receive_upload(i, upload)
            except ProtocolError:
                pass  # recorded in server.rejected
        try:
            total = self._decrypt(server, entry)
        except (TooFewSurvivorsError, ProtocolError) as err:
            entry["error"] = str(err)
            total = None
        entry["accepted"] = list(server.accepted)
        entry["rejected"] = {**rejected, **server.rejected}
        metrics = {"clients": len(server.accepted)}
        if total is None:
            return self.keep_model(server_round, metrics, failures)
        return self.apply_sum(total, len(server.accepted), self.n_clients, entry, metrics, server_round, failures)


__all__ = ["LocalCommittee", "OneTimeCkksStrategy", "committee_pin", "config_pin", "onetime_client_fit"]
