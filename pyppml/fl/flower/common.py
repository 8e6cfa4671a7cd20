"""The base every pyppml Flower driver shares: the strategy base
(:class:`AveragingStrategy`: model, DP and weighting settings, client selection, the
model step from a sum) and the client base (:class:`ClientState`, :func:`client_fit`
dispatching to the step each protocol registers as a :class:`ClientProtocol`,
:class:`SecAggNumPyClient` and the Mod :func:`pyppml_mod`). The protocols' strategies
and client steps: :mod:`.secagg`, :mod:`.ckks`, :mod:`.onetime`; the client's update and
the average: :mod:`.updates`; the client's policy: :mod:`.policy`.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Callable

import numpy as np
from flwr.client import Client, NumPyClient
from flwr.common import (Code, EvaluateIns, EvaluateRes, FitIns, FitRes, GetParametersIns, GetParametersRes,
                         Parameters, Status, ndarrays_to_parameters, parameters_to_ndarrays)
from flwr.server.strategy import Strategy

from pyppml.dp import PrivacyAccountant
from pyppml.fl.common.errors import ParameterError, ProtocolError
from pyppml.fl.flower.compose import (aggregate_with_inner, inner_fit_configs, inner_initial_parameters,
                                      wrap_inner)
from pyppml.fl.flower.policy import ClientPolicy
from pyppml.fl.flower.updates import (check_denominator, check_weighting, flatten, max_examples, sum_width, unflatten,
                                      weighted_average)

try:  # Flower >= 1.21
    from flwr.app import ConfigRecord, Context, Message, MessageType
    from flwr.compat.common import recorddict_compat as _compat
except ImportError:  # pragma: no cover - older Flower
    from flwr.common import ConfigRecord, Context, Message, MessageType
    from flwr.common import recorddict_compat as _compat


def failure_reasons(failures) -> dict:
    """{cid: status message} of the clients whose FitRes was not OK (exceptions by repr)."""
    out = {}
    for k, f in enumerate(failures):
        if isinstance(f, tuple) and len(f) == 2:
            out[str(getattr(f[0], "cid", k))] = str(getattr(getattr(f[1], "status", None), "message", f[1]))
        else:
            out[f"exception {k}"] = repr(f)
    return out


def failed_fit(err: Exception, tensor_type: str) -> FitRes:
    """A client's refusal: a non-OK status Flower counts as a failure, no tensors."""
    return FitRes(Status(Code.FIT_NOT_IMPLEMENTED, str(err)), Parameters([], tensor_type), 0, {})


class AveragingStrategy(Strategy):
    """Base of the pyppml strategies: the model, the DP and weighting settings, the inner
    Flower strategy they wrap (:mod:`pyppml.fl.flower.compose`), and the model step from
    a decrypted or unmasked sum. A subclass calls ``super().__init__`` and implements
    ``configure_fit`` (with :meth:`round_configs`) and ``aggregate_fit`` (ending in
    :meth:`apply_sum` or :meth:`keep_model`) for its protocol. Evaluation, centralised
    and federated, is the inner strategy's.

    Parameters
    ----------
    api : str
        The subclass's name, for error messages.
    initial_parameters : list of numpy arrays or None
        The initial model; None takes the inner strategy's ``initial_parameters``.
    n_clients : int
        Clients asked per round; the DP noise is split among this many.
    clip : float
        Entry bound of each delta (the secure sums are sized for entries in
        ``[-clip, clip]``), with DP also its L2 bound; a client warns
        (:class:`~pyppml.fl.flower.clipping.UpdateClippedWarning`) when it clips.
    noise_multiplier : float
        > 0: distributed DP, ``self.accountant`` records each round (0: none).
    weighted : bool
        True: average weighted by the clients' ``num_examples`` like Flower's FedAvg,
        inside the secure sum (:mod:`pyppml.fl.flower.updates`); False: the plain mean
        over the clients whose updates were summed.
    max_examples : int or None
        Public bound on a client's ``num_examples``, required when ``weighted``; clients
        with more (or fewer than 1) refuse the round. Keep it tight: the precision of the
        average degrades with ``max_examples / (total examples)``.
    denominator : float or None
        Weighted with DP: the public denominator of the average (default ``n_clients``;
        the expected sum of ``num_examples / max_examples`` gives an unbiased average).
    inner : flwr.server.strategy.Strategy or None
        The strategy whose averaging pyppml replaces by the secure mean and which keeps
        the rest (fit config, server optimizer, evaluation, metrics aggregation); default
        ``FedAvg(fraction_evaluate=0.0)``. Strategies that need per-client results are
        refused (:data:`pyppml.fl.flower.compose.INNER_REFUSED`).

    Raises
    ------
    ParameterError
        ``clip`` not finite and > 0, ``noise_multiplier`` not finite and >= 0, the
        weighting arguments (:func:`check_weighting`, :func:`check_denominator`), an
        ``inner`` refused by :func:`~pyppml.fl.flower.compose.wrap_inner` or another pyppml
        strategy, no initial model, or initial models that differ.
    """

    #: Flower server rounds per averaging round (SecAgg+ runs its steps inside one round).
    flower_rounds_per_round = 1

    def __init__(self, api: str, initial_parameters, n_clients: int, clip: float, noise_multiplier: float,
                 weighted: bool, max_examples, denominator, inner=None, colluders: int = 0):
        if isinstance(inner, AveragingStrategy):
            raise ParameterError(f"{api}: inner is a pyppml strategy; expected a Flower strategy (FedAvg, FedAdam, "
                                 f"...), got {type(inner).__name__}")
        self.inner = wrap_inner(api, inner)
        own = inner_initial_parameters(self.inner)
        if initial_parameters is None and own is None:
            raise ParameterError(f"{api}: initial_parameters is missing; expected the initial model (here or as the "
                                 f"inner strategy's initial_parameters), got None")
        if initial_parameters is None:
            initial_parameters = own
        elif own is not None and (len(own) != len(initial_parameters) or not all(
                np.shape(a) == np.shape(b) and np.array_equal(a, b) for a, b in zip(own, initial_parameters))):
            raise ParameterError(f"{api}: initial_parameters differs from the inner strategy's; expected one initial "
                                 f"model (pass it once, e.g. only to the inner strategy), got two")
        self.parameters = [np.asarray(a) for a in initial_parameters]
        self.dim = int(sum(a.size for a in self.parameters))
        self.n_clients = int(n_clients)
        self.clip = float(clip)
        self.noise_multiplier = float(noise_multiplier)
        if not (math.isfinite(self.clip) and self.clip > 0):
            raise ParameterError(f"{api}: clip is out of range; expected a finite value > 0, got {clip}")
        if not (math.isfinite(self.noise_multiplier) and self.noise_multiplier >= 0):
            raise ParameterError(f"{api}: noise_multiplier is out of range; expected >= 0, got {noise_multiplier}")
        self.weighted = bool(weighted)
        self.max_examples = check_weighting(api, self.weighted, max_examples)
        self.denominator = check_denominator(api, denominator, self.n_clients)
        # Entries each client sends: the delta, plus the weight entry when weighted without DP.
        self.vec_dim = sum_width(self.dim, self.weighted, self.noise_multiplier)
        self.accountant = PrivacyAccountant() if self.noise_multiplier > 0 else None
        if isinstance(colluders, (bool, np.bool_)) or not isinstance(colluders, (int, np.integer)) or colluders < 0:
            raise ParameterError(f"{api}: colluders is out of range; expected an integer >= 0, got {colluders!r}")
        self.colluders = int(colluders)
        self.history: list[dict] = []

    def check_colluders(self, api: str, least: int) -> None:
        """Refuse ``colluders`` that would leave no honest noise share in the smallest sum
        the protocol releases (``least`` clients)."""
        if self.colluders >= least:
            raise ParameterError(f"{api}: colluders leaves no honest noise share in the smallest sum; expected "
                                 f"0 <= colluders < {least} (the fewest clients a sum may hold), got {self.colluders}")

    def initialize_parameters(self, client_manager):
        return ndarrays_to_parameters(self.parameters)

    def select(self, client_manager) -> list:
        """The round's clients: the first ``n_clients`` by id, once that many connected."""
        # num_available() first: under a ServerApp it refreshes the registered nodes (Flower
        # wraps it, not wait_for, which would otherwise sleep until the next refresh).
        if client_manager.num_available() < self.n_clients:
            client_manager.wait_for(self.n_clients, timeout=60)
        return sorted(client_manager.all().values(), key=lambda c: c.cid)[: self.n_clients]

    def common_config(self) -> dict:
        """What every protocol's FitIns config carries: the DP and weighting settings."""
        return {"pyppml_clip": self.clip, "pyppml_noise": self.noise_multiplier, "pyppml_weighted": self.weighted,
                "pyppml_max_examples": self.max_examples}

    def round_configs(self, server_round: int, proxies) -> dict[str, dict]:
        """The inner strategy's fit config per selected client (by cid), for this round
        (:func:`~pyppml.fl.flower.compose.inner_fit_configs`)."""
        return inner_fit_configs(self.inner, server_round, self.parameters, proxies)

    def apply_sum(self, total: np.ndarray, count: int, expected: int, entry: dict, metrics: dict,
                  server_round: int, failures=()):
        """The average the sum ``total`` of ``count`` clients (out of the ``expected`` the
        noise is calibrated for) gives, handed to the inner strategy as the round's one
        result (:func:`~pyppml.fl.flower.compose.aggregate_with_inner`); the accountant
        steps once (the sum carries the noise whether or not the model moves). Returns
        aggregate_fit's value; a total weight below one example keeps the model and
        records the error."""
        if self.accountant is not None:
            # The weighting leaves the sensitivity of the numerator sum(w delta) at clip
            # (w <= 1), so the accounting is the unweighted one; with DP no weight sum is
            # sent (updates.py, module note).
            # Clients that pool their shares with the server (``colluders``) know their
            # noise: only the others' counts.
            self.accountant.step(self.noise_multiplier * math.sqrt((count - self.colluders) / expected), 1.0, 1)
        examples = count  # what the inner strategy is told when the total examples are not released
        if self.weighted and self.noise_multiplier > 0:
            delta = np.asarray(total[:self.dim]) / self.denominator
        elif self.weighted:
            try:
                delta, entry["examples"] = weighted_average(total, self.dim, self.clip, self.max_examples)
            except ValueError as err:
                entry["error"] = str(err)
                return self.keep_model(server_round, metrics, failures)
            examples = entry["examples"]
            metrics = {**metrics, "examples": round(float(examples))}
        else:
            delta = np.asarray(total[:self.dim]) / count
        mean = unflatten(flatten(self.parameters) + delta, self.parameters)
        new, inner_metrics = aggregate_with_inner(self.inner, server_round, mean, examples,
                                                  {"round": server_round, **metrics}, failures)
        if new is None:
            entry["error"] = "the inner strategy kept the model"
        else:
            self.parameters = new
        return ndarrays_to_parameters(self.parameters), {**metrics, **inner_metrics}

    def keep_model(self, server_round: int, metrics: dict, failures=()):
        """A round without an aggregate: the inner strategy sees no result (and the
        failures), the model stays."""
        _, inner_metrics = aggregate_with_inner(self.inner, server_round, None, 0, metrics, failures)
        return ndarrays_to_parameters(self.parameters), {**metrics, **inner_metrics}

    def configure_evaluate(self, server_round, parameters, client_manager):
        return self.inner.configure_evaluate(server_round, ndarrays_to_parameters(self.parameters), client_manager)

    def aggregate_evaluate(self, server_round, results, failures):
        return self.inner.aggregate_evaluate(server_round, results, failures)

    def evaluate(self, server_round, parameters):
        return self.inner.evaluate(server_round, ndarrays_to_parameters(self.parameters))


class ClientState:
    """One client's settings (policy, pins, identity key) and the live protocol states
    across rounds and protocol steps, by mode (e.g. a SecAgg+ round's X25519 secret keys, which stay
    in this object, never in a Flower record)."""

    def __init__(self, committee_keys: bytes | None = None, policy: ClientPolicy | None = None, identity_key=None):
        self.committee_keys = committee_keys  # one-time CKKS: the pin of the plan
        self.policy = policy  # limits on the server's clip, noise and client count
        self.identity_key = identity_key  # CKKS under a collective key: signs the uploads (Ed25519)
        self.live: dict[str, object] = {}  # mode -> that protocol's state across rounds
        self.clip_reports: list = []  # ClipReport per round (latest 100), never sent
        self.rounds_trained = 0  # rounds this client trained and uploaded for (policy.max_rounds)


@dataclasses.dataclass(frozen=True)
class ClientProtocol:
    """How a client takes part in one protocol's rounds (registered by its module).

    ``n_clients(cfg)``: the client count the protocol will use (for the policy);
    ``fit(state, cfg, glob, train)``: the client's answer, ``train(glob)`` giving
    ``(weights, num_examples)`` and called only in the training step;
    ``least_clients(cfg)``: the fewest contributors whose sum the protocol decrypts, when
    the config states it (None: the client cannot see it)."""

    mode: str
    tensor_type: str
    n_clients: Callable
    fit: Callable
    least_clients: Callable | None = None


PROTOCOLS: dict[str, ClientProtocol] = {}


def register(protocol: ClientProtocol) -> ClientProtocol:
    PROTOCOLS[protocol.mode] = protocol
    return protocol


def trained(out) -> tuple[list[np.ndarray], object]:
    """``train``'s result: ``(weights, num_examples)`` or, without a count, the weights."""
    if isinstance(out, tuple) and len(out) == 2 and not isinstance(out[1], np.ndarray):
        return list(out[0]), out[1]
    return list(out), None


def client_fit(state: ClientState, cfg, parameters: Parameters,
               train: Callable[[list[np.ndarray]], tuple[list[np.ndarray], int]]) -> FitRes:
    """A client's answer to one pyppml FitIns (SecAgg+ step, CKKS or one-time CKKS round).
    ``train(glob)`` returns ``(weights, num_examples)``, the locally trained weights and the number of
    examples they were trained on (the weights alone are accepted for unweighted rounds);
    it is called only in the training step. The client's policy is checked first, at
    every step, before anything leaves the client (the server may change the config; a
    SecAgg+ client also refuses a later step whose settings differ from those its
    advertise step was checked on, :func:`pyppml.fl.flower.secagg.round_settings`).
    Protocol errors, and a ``num_examples`` outside ``1..max_examples`` in a weighted
    round, become a FitRes with a non-OK status (Flower counts it as a failure). The
    FitRes never carries the real num_examples."""
    mode = str(cfg.get("pyppml_mode", "secagg"))
    protocol = PROTOCOLS.get(mode)
    if protocol is None:
        return failed_fit(ProtocolError(f"pyppml client: pyppml_mode is unknown; expected one of "
                                        f"{sorted(PROTOCOLS)}, got {mode[:40]!r}"), "pyppml")
    try:
        if cfg.get("pyppml_weighted", False):
            max_examples(cfg)  # checked before training, like every other setting
        if state.policy is not None:
            n = protocol.n_clients(cfg)
            noise, clip = float(cfg["pyppml_noise"]), float(cfg["pyppml_clip"])
            state.policy.check(noise, clip, n)
            if protocol.least_clients is not None:  # a config without it is refused (KeyError)
                state.policy.check(noise, clip, n, protocol.least_clients(cfg))
    except (KeyError, TypeError, ValueError) as err:
        return failed_fit(err if isinstance(err, ValueError) else
                          ValueError(f"pyppml client: bad round config; {err!r}"), protocol.tensor_type)
    def budgeted(glob):
        # Counted before the training: an update that then fails still spent the round.
        if state.policy is not None:
            state.policy.charge_round(state.rounds_trained)
        state.rounds_trained += 1
        return trained(train(glob))

    return protocol.fit(state, cfg, parameters_to_ndarrays(parameters), budgeted)


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


def _strip(cfg) -> dict:
    return {k: v for k, v in cfg.items() if not str(k).startswith("pyppml_")}


def pinned_keys(pin) -> bytes | None:
    """A client's pin of the one-time plan (:func:`pyppml.fl.flower.onetime.committee_pin`,
    40 bytes), or None.

    Raises
    ------
    ParameterError
        Anything else; in particular a bare list of the members' keys, which pins the
        keys but not the plan (a server could still lower the threshold or the noise).
    """
    if pin is None:
        return None
    blob = bytes(pin) if isinstance(pin, (bytes, bytearray, memoryview)) else b"".join(bytes(k) for k in pin)
    if len(blob) != len(PIN_MAGIC) + 32 or not blob.startswith(PIN_MAGIC):
        raise ParameterError(f"pyppml onetime client: committee_keys is not a plan pin; expected the "
                             f"{len(PIN_MAGIC) + 32}-byte committee_pin() of the plan (members' keys alone leave the "
                             f"threshold and the noise to the server), got {len(blob)} bytes")
    return blob


PIN_MAGIC = b"PPOTPIN1"  # a plan pin: magic + SHA-256 (40 bytes, never a multiple of 32)


class SecAggNumPyClient(Client):
    """A Flower client that takes part in :class:`SecAggStrategy`, :class:`CkksStrategy`
    or :class:`OneTimeCkksStrategy` rounds on behalf of ``inner`` (a ``NumPyClient`` whose
    ``fit`` trains locally; the ``num_examples`` it returns weighs its delta in weighted rounds).
    Sends only protocol messages (masked or encrypted deltas); its fit metrics stay local
    (so do its clipping reports, :attr:`clip_reports`). Its ``evaluate`` runs
    ``inner.evaluate`` (federated evaluation, in the clear as in plain Flower).

    ``committee_keys`` (the one-time plan's pin, :func:`pyppml.fl.flower.onetime.committee_pin`,
    obtained out of band) pins the one-time committee and plan: a round whose config
    carries another plan is refused before training, so a server cannot substitute keys
    of its own or weaken the plan.

    ``policy`` (:class:`ClientPolicy`) bounds what the server's config may set: a round
    with a larger clip, less noise or a client count that dilutes this client's noise
    share is refused before anything is uploaded. CKKS rounds under a collective key need
    ``policy.ckks_context_sha256`` (the context is pinned; another one, or none pinned,
    is refused) and ``identity_key`` (the client's Ed25519 private key, whose public key
    the committee pinned) to sign its uploads.

    Raises
    ------
    ParameterError
        ``committee_keys`` is not a plan pin, or ``policy`` is not a ClientPolicy.
    """

    def __init__(self, inner: NumPyClient, committee_keys=None, policy: ClientPolicy | None = None,
                 identity_key=None):
        if policy is not None and not isinstance(policy, ClientPolicy):
            raise ParameterError(f"SecAggNumPyClient: policy has the wrong type; expected a ClientPolicy, got "
                                 f"{type(policy).__name__}")
        self.inner = inner
        self._state = ClientState(pinned_keys(committee_keys), policy, identity_key)

    def get_parameters(self, ins: GetParametersIns) -> GetParametersRes:
        return GetParametersRes(Status(Code.OK, ""), ndarrays_to_parameters(self.inner.get_parameters({})))

    def fit(self, ins: FitIns) -> FitRes:
        config = _strip(ins.config)

        def train(glob):
            weights, num_examples, _ = self.inner.fit(glob, config)  # metrics stay local
            return weights, num_examples

        return client_fit(self._state, ins.config, ins.parameters, train)

    def evaluate(self, ins: EvaluateIns) -> EvaluateRes:
        """Federated evaluation: ``inner.evaluate`` on the global model, answered in the
        clear as in plain Flower (loss, num_examples, metrics; no secure aggregation)."""
        loss, num_examples, metrics = self.inner.evaluate(parameters_to_ndarrays(ins.parameters), _strip(ins.config))
        return EvaluateRes(Status(Code.OK, ""), float(loss), int(num_examples), dict(metrics or {}))

    @property
    def clip_reports(self) -> list:
        """What clipping did to this client's delta, per round
        (:class:`~pyppml.fl.flower.clipping.ClipReport`, latest 100); kept here, never sent."""
        return list(self._state.clip_reports)


# Live protocol states of the mod, by the handle kept in each node's Context.state. The
# secret keys of a SecAgg+ round cannot go into Context.state (Flower persists and ships
# records), so the mod needs the ClientApp to run in one process for the four
# exchanges of a SecAgg+ round: true for start_client, the simulation engine and a
# SuperNode running its ClientApp in-process; a node restarted mid-round fails that round
# (reported as a fit failure, the server goes on with the survivors).
_MOD_STATES: dict[str, ClientState] = {}
_STATE_KEY = "pyppml.fl"


def pyppml_mod(msg: Message, context: Context, call_next) -> Message:
    """Flower client Mod running pyppml's client protocols (SecAgg+ masking, CKKS
    encryption of updates) around the wrapped ClientApp's training.

    ``ClientApp(client_fn=..., mods=[pyppml_mod])``. For a train message carrying a
    pyppml config it answers the key-exchange and unmask steps itself, and in the
    training step calls the wrapped app (with the round's config less the ``pyppml_``
    protocol keys), reads the new weights and ``num_examples`` from
    its FitRes and replies with the masked (SecAgg+) or encrypted (CKKS) delta, weighted
    by ``num_examples`` in weighted rounds; the plain weights and the count never leave
    the node. Everything else is passed to ``call_next`` unchanged. A node config entry
    ``pyppml-committee-keys`` (hex of the one-time plan's pin) pins the one-time
    committee, as ``SecAggNumPyClient(committee_keys=...)`` does; the entries of
    :meth:`ClientPolicy.from_node_config` (``pyppml-min-noise-multiplier``,
    ``pyppml-max-clip``, ``pyppml-min-clients``, ``pyppml-ckks-context-sha256``,
    ``pyppml-max-clients``) set the client's policy, as ``SecAggNumPyClient(policy=...)``
    does; ``pyppml-identity-key`` (hex of the raw 32-byte Ed25519 private key) signs CKKS
    uploads, as ``SecAggNumPyClient(identity_key=...)`` does.
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
        _MOD_STATES[handle] = ClientState()
        context.state.config_records[_STATE_KEY] = ConfigRecord({"handle": handle})
    state = _MOD_STATES[handle]
    node = context.node_config or {}
    try:
        pinned = node.get("pyppml-committee-keys")
        state.committee_keys = pinned_keys(bytes.fromhex(str(pinned))) if pinned else None
        state.policy = ClientPolicy.from_node_config(node)
        ident = node.get("pyppml-identity-key")
        state.identity_key = _identity_key(str(ident)) if ident else None
    except ValueError as err:
        return Message(_compat.fitres_to_recorddict(failed_fit(err, "pyppml"), keep_input=False), reply_to=msg)

    def train(glob):
        # The wrapped app sees the inner strategy's config only, as without the mod.
        own = _compat.fitins_to_recorddict(FitIns(fitins.parameters, _strip(fitins.config)), keep_input=True)
        out = call_next(Message(own, metadata=msg.metadata), context)
        if out.has_error():
            raise ValueError(f"pyppml_mod: the wrapped ClientApp failed; {out.error.reason}")
        res = _compat.recorddict_to_fitres(out.content, keep_input=True)
        if res.status.code != Code.OK:
            raise ValueError(f"pyppml_mod: the wrapped ClientApp's fit failed; {res.status.message}")
        return parameters_to_ndarrays(res.parameters), res.num_examples

    try:
        res = client_fit(state, fitins.config, fitins.parameters, train)
    except ValueError as err:  # the wrapped app failed: no update this round
        res = failed_fit(err, "pyppml")
    return Message(_compat.fitres_to_recorddict(res, keep_input=False), reply_to=msg)
