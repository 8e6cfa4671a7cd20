"""Secure aggregation (SecAgg+) and encrypted aggregation (CKKS committee), with
optional distributed DP, inside Flower.

SecAgg+: a Flower round of federated averaging becomes four Flower server rounds, one
per protocol step (advertise keys, share keys, masked input, unmask); the protocol
messages of :mod:`pyppml.fl` ride in the FitIns config (``pyppml_msg``, bytes) and in
the FitRes parameters (one bytes tensor). The Flower server only ever sees masked
updates. CKKS: one Flower round per aggregation, see :mod:`pyppml.fl.flower_ckks`.

Server side (``flwr.server.strategy.Strategy``):

- :class:`SecAggStrategy`: SecAgg+ rounds.
- :class:`CkksStrategy`: clients encrypt under a committee key, the server adds
  ciphertexts, the committee decrypts the sum (trust model in :mod:`pyppml.fl.flower_ckks`).
- :class:`OneTimeCkksStrategy`: clients encrypt under one-time keys whose seeds they seal
  to a committee, which decrypts only the sum (trust model in :mod:`pyppml.fl.flower_onetime`).

Client side (either one serves every strategy; the FitIns config says which):

- :class:`SecAggNumPyClient`: wraps a ``flwr.client.NumPyClient``; its ``fit`` trains
  with the wrapped client and sends the masked (or encrypted), clipped model delta
  instead of the weights.
- :func:`pyppml_mod`: a Flower client Mod, ``ClientApp(client_fn, mods=[pyppml_mod])``;
  it answers the protocol steps itself and calls the wrapped app (``call_next``) only
  for the training step, whose weights it turns into a masked or encrypted delta. Other
  messages (evaluate, train messages without pyppml config) pass through unchanged.

Requires ``flwr`` (``pip install pyppml[flower]``); tested with Flower 1.42 over the
gRPC server of ``start_server``, clients through ``start_client`` (NumPyClient wrapper)
and through a ``ClientApp`` with the mod.

DP (``noise_multiplier > 0``): each client clips its delta to L2 norm ``clip`` and adds
its share of the noise (discrete Gaussian on the quantization grid for SecAgg+), so the
sum carries noise of standard deviation ``noise_multiplier * clip``.

Weighting (``weighted=True``, the default of both strategies): FedAvg weighted by the
clients' ``num_examples`` inside the secure sum -- each client sends
``(w * delta, w * clip)`` with ``w = num_examples / max_examples`` in (0, 1], the server
learns only ``sum w delta`` and ``sum w`` and applies their ratio; ``max_examples`` is a
public bound (strategy argument) and a client outside ``1..max_examples`` refuses the
round (a failed FitRes). ``weighted=False``: the plain mean over the survivors. The
clients' FitRes never carry their real ``num_examples`` (always 1). Bounds, precision
and the interplay with DP (the total example count is released without noise): see
:mod:`pyppml.fl.flower_ckks`.
"""

from __future__ import annotations

import math
import os
from typing import Callable

import numpy as np
from flwr.client import Client, NumPyClient
from flwr.common import (Code, EvaluateIns, EvaluateRes, FitIns, FitRes, GetParametersIns, GetParametersRes,
                         Parameters, Status, ndarrays_to_parameters, parameters_to_ndarrays)

from pyppml.dp import PrivacyAccountant
from pyppml.fl.dp_fedavg import quantized_noise
from pyppml.fl.errors import ParameterError, ProtocolError
from pyppml.fl.flower_ckks import CkksStrategy, check_ckks_round, ckks_client_fit
from pyppml.fl.flower_common import (AveragingStrategy, ClientPolicy, check_denominator, check_weighting,
                                     example_weight, failed_fit, failure_reasons, flatten, prepare_delta, sum_width,
                                     weighted_update)
from pyppml.fl.flower_onetime import ONETIME_MODE, OneTimeCkksStrategy, onetime_client_fit, pinned_keys
from pyppml.fl.messages import Kind
from pyppml.fl.params import SecAggParams
from pyppml.fl.quantize import Quantizer
from pyppml.fl.secagg_client import SecAggClient
from pyppml.fl.secagg_server import SecAggServer

try:  # Flower >= 1.21
    from flwr.app import ConfigRecord, Context, Message, MessageType
    from flwr.compat.common import recorddict_compat as _compat
except ImportError:  # pragma: no cover - older Flower
    from flwr.common import ConfigRecord, Context, Message, MessageType
    from flwr.common import recorddict_compat as _compat

STEPS = ("advertise", "shares", "masked", "unmask")


class SecAggStrategy(AveragingStrategy):
    """Federated averaging of model deltas through SecAgg+ among ``n_clients`` clients.

    Parameters
    ----------
    initial_parameters : list of numpy arrays
    n_clients : int
        Clients per round (the server waits for them).
    clip : float
        Entry bound of each delta (quantization range); with DP also its L2 bound.
    threshold, neighbours : see :class:`SecAggParams`
    noise_multiplier : float
        > 0: each client adds discrete Gaussian noise so the sum carries noise of
        standard deviation noise_multiplier * clip (distributed DP); the accountant
        ``self.accountant`` records each round. With ``weighted=True`` no weight sum is
        sent and the average divides by ``denominator`` (:mod:`pyppml.fl.flower_common`).
    weighted : bool
        True (default): average weighted by the clients' ``num_examples`` like Flower's
        FedAvg, inside SecAgg+ (one more masked entry per client, the weight); False: the
        plain mean over the survivors.
    max_examples : int
        Public bound on a client's ``num_examples``, required when ``weighted``; clients
        with more (or fewer than 1) refuse the round. Keep it tight: the precision of the
        average degrades with ``max_examples / (total examples)``.
    denominator : float, optional
        Weighted with DP: the public denominator of the average (default ``n_clients``;
        the expected sum of ``num_examples / max_examples`` gives an unbiased average).

    Attributes
    ----------
    parameters : list of arrays (the global model); ``history``: per round survivors,
    rejected protocol messages, failed clients' messages (``failed``, by index) and,
    weighted without DP, the survivors' total examples (``examples``).

    Raises
    ------
    ParameterError
        ``weighted`` without a valid ``max_examples``, or one so large that a single
        example's weight is below the quantization step.
    """

    def __init__(self, initial_parameters, n_clients: int, clip: float = 1.0, threshold=None, neighbours=None,
                 noise_multiplier: float = 0.0, weighted: bool = True, max_examples: int | None = None,
                 denominator: float | None = None):
        self.parameters = [np.asarray(a) for a in initial_parameters]
        self.dim = int(sum(a.size for a in self.parameters))
        self.weighted = bool(weighted)
        self.max_examples = check_weighting("SecAggStrategy", self.weighted, max_examples)
        self.denominator = check_denominator("SecAggStrategy", denominator, n_clients)
        # Weighted without DP the weight w * clip rides along as one more entry.
        self.params = SecAggParams(n_clients, sum_width(self.dim, self.weighted, noise_multiplier), threshold,
                                   neighbours)
        self.clip = float(clip)
        self.noise_multiplier = float(noise_multiplier)
        self.accountant = PrivacyAccountant() if noise_multiplier > 0 else None
        self.quantizer = Quantizer(clip, n_clients, 32, noise_headroom=0.5 if noise_multiplier > 0 else 0.0)
        if self.params.dim > self.dim and self.clip * self.quantizer.scale < self.max_examples:
            # The weight entry of a 1-example client, clip / max_examples, would round to 0.
            raise ParameterError(f"SecAggStrategy: max_examples is too large for the 32-bit quantizer; expected <= "
                                 f"{math.floor(self.clip * self.quantizer.scale)} (clip * scale), got "
                                 f"{self.max_examples}")
        self.history: list[dict] = []
        self._server = None
        self._cids: dict[str, int] = {}
        self._failed: dict = {}
        self._agg_round = 0

    def initialize_parameters(self, client_manager):
        return ndarrays_to_parameters(self.parameters)

    def _config(self, step: str, msg: bytes, idx: int) -> dict:
        return {"pyppml_mode": "secagg", "pyppml_step": step, "pyppml_msg": msg, "pyppml_index": idx,
                "pyppml_round": self._agg_round,
                "pyppml_noise": self.noise_multiplier, "pyppml_clip": self.clip,
                "pyppml_weighted": self.weighted, "pyppml_max_examples": self.max_examples,
                "pyppml_params": np.array([self.params.n_clients, self.params.dim, self.params.threshold,
                                           self.params.neighbours], dtype=np.int64).tobytes()}

    def configure_fit(self, server_round, parameters, client_manager):
        step = STEPS[(server_round - 1) % 4]
        if step == "advertise":
            client_manager.wait_for(self.params.n_clients, timeout=60)
            proxies = sorted(client_manager.all().values(), key=lambda c: c.cid)[: self.params.n_clients]
            self._proxies = {i: p for i, p in enumerate(proxies)}
            self._agg_round += 1
            self._server = SecAggServer(self.params, round=self._agg_round)
            self._failed = {}
            start = self._server.start()
            outbox = {i: start for i in self._proxies}
        else:
            outbox = self._server.advance()
        params = ndarrays_to_parameters(self.parameters)
        return [(self._proxies[i], FitIns(params, self._config(step, m, i))) for i, m in outbox.items()]

    def aggregate_fit(self, server_round, results, failures):
        step = STEPS[(server_round - 1) % 4]
        index = {p.cid: i for i, p in self._proxies.items()}
        for cid, reason in failure_reasons(failures).items():
            self._failed[index.get(cid, cid)] = f"{step}: {reason}"
        for proxy, res in results:
            i = index.get(proxy.cid)
            if i is None or not res.parameters.tensors:
                continue
            try:
                self._server.receive(i, res.parameters.tensors[0])
            except ProtocolError:
                pass
        if step != "unmask":
            return ndarrays_to_parameters(self.parameters), {}
        total = self.quantizer.decode(self._server.finish())
        survivors = sorted(self._server.survivors[Kind.MASKED])
        entry = {"round": self._agg_round, "survivors": survivors, "rejected": dict(self._server.rejected),
                 "failed": dict(self._failed)}
        self.history.append(entry)
        return self.apply_sum(total, len(survivors), self.params.n_clients, entry, {"survivors": len(survivors)})


class _ClientState:
    """One participant's live protocol state across the Flower rounds of a SecAgg+ round
    (its X25519 secret keys stay in this object, never in a Flower record)."""

    def __init__(self):
        self.secagg: SecAggClient | None = None
        self.params: SecAggParams | None = None
        self.last_round = 0
        self.onetime_rounds: dict[bytes, int] = {}  # one-time CKKS: session -> last round uploaded
        self.committee_keys: bytes | None = None  # one-time CKKS: the members' keys pinned by the node
        self.policy: ClientPolicy | None = None  # limits on the server's clip, noise and client count
        self.identity_key = None  # CKKS under a collective key: signs the uploads (Ed25519)


def _fail(err: Exception) -> FitRes:
    return failed_fit(err, "pyppml-secagg")


def _trained(out) -> tuple[list[np.ndarray], object]:
    """``train``'s result: ``(weights, num_examples)`` or, without a count, the weights."""
    if isinstance(out, tuple) and len(out) == 2 and not isinstance(out[1], np.ndarray):
        return list(out[0]), out[1]
    return list(out), None


def client_fit(state: _ClientState, cfg, parameters: Parameters,
               train: Callable[[list[np.ndarray]], tuple[list[np.ndarray], int]]) -> FitRes:
    """A client's answer to one pyppml FitIns (SecAgg+ step, CKKS or one-time CKKS round).
    ``train(glob)`` returns ``(weights, num_examples)``, the locally trained weights and the number of
    examples they were trained on (the weights alone are accepted for unweighted rounds);
    it is called only in the training step. Protocol errors, and a ``num_examples``
    outside ``1..max_examples`` in a weighted round, become a FitRes with a non-OK status
    (Flower counts it as a failure). The FitRes never carries the real num_examples."""
    glob = parameters_to_ndarrays(parameters)
    mode = cfg.get("pyppml_mode", "secagg")
    try:  # every step, before anything leaves the client: the server may change the config
        _check_policy(state.policy, cfg, mode)
        if mode == "ckks":  # identity key and pinned context, before training
            check_ckks_round(cfg, state.policy, state.identity_key)
    except (KeyError, TypeError, ValueError) as err:
        return _fail(err if isinstance(err, ValueError) else ValueError(f"pyppml client: bad round config; {err!r}"))
    if mode == "ckks":
        return ckks_client_fit(cfg, glob, *_trained(train(glob)), policy=state.policy,
                               identity_key=state.identity_key)
    if mode == ONETIME_MODE:  # checks the config before training
        return onetime_client_fit(state.onetime_rounds, cfg, glob, lambda g: _trained(train(g)),
                                  state.committee_keys)
    step, msg = str(cfg["pyppml_step"]), bytes(cfg["pyppml_msg"])
    try:
        if step == "advertise":
            n, dim, t, k = np.frombuffer(bytes(cfg["pyppml_params"]), dtype=np.int64).tolist()
            state.params = SecAggParams(n, dim, t, k)
            state.secagg = SecAggClient(int(cfg["pyppml_index"]), state.params, last_round=state.last_round)
            reply = state.secagg.advertise(msg)
            state.last_round = state.secagg.round
        elif state.secagg is None:
            raise ProtocolError(f"pyppml flower client: {step} step without a round in progress")
        elif step == "shares":
            reply = state.secagg.share_keys(msg)
        elif step == "masked":
            new, num_examples = _trained(train(glob))
            delta = flatten(new) - flatten(glob)
            weight = example_weight(cfg, num_examples)  # None when unweighted; ValueError out of range
            clip, nm = float(cfg["pyppml_clip"]), float(cfg["pyppml_noise"])
            if sum_width(delta.size, weight is not None, nm) != state.params.dim or not np.all(np.isfinite(delta)):
                raise ValueError("pyppml flower client: local update has the wrong size or is not finite")
            # (w * clipped delta[, w * clip]): all entries in [-clip, clip], the quantizer's range.
            vec = weighted_update(prepare_delta(delta, clip, nm), weight, clip, nm)
            q = Quantizer(clip, state.params.n_clients, 32, noise_headroom=0.5 if nm > 0 else 0.0)
            noise = None
            if nm > 0:
                # Integer noise added to the quantized w * delta (not scaled by w): the
                # numerator's sensitivity is <= clip (+ the rounding, counted in the
                # variance), the unweighted calibration holds.
                noise = np.zeros(vec.size, dtype=np.int64)
                noise[:delta.size] = quantized_noise(nm, clip, q.scale, delta.size, state.params.n_clients)
            reply = state.secagg.masked_input(msg, q.encode(vec, noise))
        elif step == "unmask":
            reply = state.secagg.unmask(msg)
            state.secagg = None  # the round's keys are no longer needed
        else:
            raise ProtocolError(f"pyppml flower client: unknown step {step!r}")
    except (ProtocolError, ValueError) as err:
        return _fail(err)
    return FitRes(Status(Code.OK, ""), Parameters([reply], "pyppml-secagg"), 1, {})


def _identity_key(hex_key: str):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        raw = bytes.fromhex(hex_key)
        if len(raw) != 32:
            raise ValueError
    except ValueError:
        raise ParameterError("pyppml_mod: node config pyppml-identity-key is malformed; expected 64 hex digits "
                             "(a raw Ed25519 private key)") from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def _check_policy(policy: ClientPolicy | None, cfg, mode: str) -> None:
    """The round config's clip, noise multiplier and client count against the client's
    policy (ValueError when weakened)."""
    if policy is None:
        return
    if mode in ("ckks", ONETIME_MODE):
        n = int(cfg["pyppml_n"])
    else:
        n = int(np.frombuffer(bytes(cfg["pyppml_params"]), dtype=np.int64)[0])
    policy.check(float(cfg["pyppml_noise"]), float(cfg["pyppml_clip"]), n)


def _strip(cfg) -> dict:
    return {k: v for k, v in cfg.items() if not str(k).startswith("pyppml_")}


class SecAggNumPyClient(Client):
    """A Flower client that takes part in :class:`SecAggStrategy`, :class:`CkksStrategy`
    or :class:`OneTimeCkksStrategy` rounds on behalf of ``inner`` (a ``NumPyClient`` whose
    ``fit`` trains locally; the ``num_examples`` it returns weighs its delta in weighted rounds).
    Sends only protocol messages (masked or encrypted deltas); its metrics stay local.

    ``committee_keys`` (the one-time committee's X25519 public keys, in member order, as
    obtained out of band) pins the committee: a round whose config carries other keys is
    refused before training, so a server cannot substitute keys of its own.

    ``policy`` (:class:`pyppml.fl.flower_common.ClientPolicy`) bounds what the server's
    config may set: a round with a larger clip, less noise or a client count that
    dilutes this client's noise share is refused before anything is uploaded. CKKS
    rounds under a collective key need ``policy.ckks_context_sha256`` (the context is
    pinned; another one, or none pinned, is refused) and ``identity_key`` (the client's
    Ed25519 private key, whose public key the committee pinned) to sign its uploads."""

    def __init__(self, inner: NumPyClient, committee_keys=None, policy: ClientPolicy | None = None,
                 identity_key=None):
        self.inner = inner
        self._state = _ClientState()
        self._state.committee_keys = pinned_keys(committee_keys)
        if policy is not None and not isinstance(policy, ClientPolicy):
            raise ParameterError(f"SecAggNumPyClient: policy has the wrong type; expected a ClientPolicy, got "
                                 f"{type(policy).__name__}")
        self._state.policy = policy
        self._state.identity_key = identity_key

    def get_parameters(self, ins: GetParametersIns) -> GetParametersRes:
        return GetParametersRes(Status(Code.OK, ""), ndarrays_to_parameters(self.inner.get_parameters({})))

    def fit(self, ins: FitIns) -> FitRes:
        config = _strip(ins.config)

        def train(glob):
            weights, num_examples, _ = self.inner.fit(glob, config)  # metrics stay local
            return weights, num_examples

        return client_fit(self._state, ins.config, ins.parameters, train)

    def evaluate(self, ins: EvaluateIns) -> EvaluateRes:
        return EvaluateRes(Status(Code.OK, ""), 0.0, 0, {})


# Live protocol states of the mod, by the handle kept in each node's Context.state. The
# secret keys of a SecAgg+ round cannot go into Context.state (Flower persists and ships
# records), so the mod needs the ClientApp to run in one process for the four Flower
# rounds of a SecAgg+ round: true for start_client, the simulation engine and a
# SuperNode running its ClientApp in-process; a node restarted mid-round fails that round
# (reported as a fit failure, the server goes on with the survivors).
_MOD_STATES: dict[str, _ClientState] = {}
_STATE_KEY = "pyppml.fl"


def pyppml_mod(msg: Message, context: Context, call_next) -> Message:
    """Flower client Mod running pyppml's SecAgg+ client protocol (and the CKKS
    encryption of updates) around the wrapped ClientApp's training.

    ``ClientApp(client_fn=..., mods=[pyppml_mod])``. For a train message carrying a
    pyppml config it answers the key-exchange and unmask steps itself, and in the
    training step calls the wrapped app, reads the new weights and ``num_examples`` from
    its FitRes and replies with the masked (SecAgg+) or encrypted (CKKS) delta, weighted
    by ``num_examples`` in weighted rounds; the plain weights and the count never leave
    the node. Everything else is passed to ``call_next`` unchanged. A node config entry
    ``pyppml-committee-keys`` (hex of the members' X25519 keys, concatenated in member
    order) pins the one-time committee, as ``SecAggNumPyClient(committee_keys=...)`` does;
    the entries of :meth:`ClientPolicy.from_node_config` (``pyppml-min-noise-multiplier``,
    ``pyppml-max-clip``, ``pyppml-min-clients``, ``pyppml-ckks-context-sha256``) set the
    client's policy, as ``SecAggNumPyClient(policy=...)`` does; ``pyppml-identity-key``
    (hex of the raw 32-byte Ed25519 private key) signs CKKS uploads, as
    ``SecAggNumPyClient(identity_key=...)`` does.
    """
    if msg.metadata.message_type != MessageType.TRAIN or msg.has_error():
        return call_next(msg, context)
    fitins = _compat.recorddict_to_fitins(msg.content, keep_input=True)
    if "pyppml_mode" not in fitins.config and "pyppml_step" not in fitins.config:
        return call_next(msg, context)
    rec = context.state.config_records.get(_STATE_KEY)
    handle = str(rec["handle"]) if rec is not None and "handle" in rec else ""
    if handle not in _MOD_STATES:
        handle = handle or os.urandom(16).hex()
        _MOD_STATES[handle] = _ClientState()
        context.state.config_records[_STATE_KEY] = ConfigRecord({"handle": handle})
    state = _MOD_STATES[handle]
    pinned = context.node_config.get("pyppml-committee-keys") if context.node_config else None
    try:
        state.committee_keys = pinned_keys(bytes.fromhex(str(pinned))) if pinned else None
        state.policy = ClientPolicy.from_node_config(context.node_config)
        ident = context.node_config.get("pyppml-identity-key") if context.node_config else None
        state.identity_key = _identity_key(str(ident)) if ident else None
    except ValueError as err:
        return Message(_compat.fitres_to_recorddict(_fail(err), keep_input=False), reply_to=msg)

    def train(glob):
        out = call_next(msg, context)
        if out.has_error():
            raise ValueError(f"pyppml_mod: the wrapped ClientApp failed; {out.error.reason}")
        res = _compat.recorddict_to_fitres(out.content, keep_input=True)
        if res.status.code != Code.OK:
            raise ValueError(f"pyppml_mod: the wrapped ClientApp's fit failed; {res.status.message}")
        return parameters_to_ndarrays(res.parameters), res.num_examples

    try:
        res = client_fit(state, fitins.config, fitins.parameters, train)
    except ValueError as err:  # the wrapped app failed: no update this round
        res = _fail(err)
    return Message(_compat.fitres_to_recorddict(res, keep_input=False), reply_to=msg)


__all__ = ["CkksStrategy", "ClientPolicy", "OneTimeCkksStrategy", "SecAggNumPyClient", "SecAggStrategy", "client_fit",
           "pyppml_mod"]
