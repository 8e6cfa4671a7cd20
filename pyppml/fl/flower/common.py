"""What the pyppml Flower strategies share: model vectors, client-side clipping, the
num_examples weighting inside the secure sum, failure reports, and the server's model
step (DP accounting, weighted or plain average).

Weighted federated averaging (``weighted=True``, both strategies)
-----------------------------------------------------------------
Like Flower's FedAvg, the new model is ``glob + sum_i n_i delta_i / sum_i n_i`` with
``n_i`` the clients' ``num_examples``, but the server learns neither an ``n_i`` nor a
``delta_i``. Each client computes its weight ``w_i = n_i / max_examples`` (``max_examples``:
a public bound, a strategy argument sent in the config; a client with ``n_i`` outside
``1..max_examples`` refuses the round with a failed FitRes instead of clipping its
weight) and sends, through SecAgg+ or CKKS, the vector of ``dim + 1`` entries::

    (w_i * d_i, w_i * clip)        d_i: the clipped delta (as without weighting)

The server only obtains the sums ``S = sum_i w_i d_i`` and ``clip * W`` with
``W = sum_i w_i``, and moves the model by ``S / W`` (the max_examples cancel out).

Why this normalisation: ``w_i`` is in ``(0, 1]``, so every entry of the vector, the extra
one included, stays in ``[-clip, clip]`` -- the range the SecAgg+ quantizer (``n_clients``
updates of entries ``|x| <= clip``, no wrap-around) and the CKKS committee
(``max_abs_value >= clip``) are sized for -- and ``||w_i d_i||_2 <= w_i clip <= clip``, so the
DP sensitivity is unchanged. Sending the raw ``n_i`` instead would multiply these bounds
by ``max_examples``. The extra entry is ``w_i * clip`` rather than ``w_i`` so that it is in
the same range as the others for any ``clip`` (the quantizer clips entries to ``clip``).
The price: the aggregation error (quantization, CKKS decoding) is absolute on ``S`` and
``clip * W``, so the error of the average grows like ``1 / W``; keep ``max_examples`` a
tight bound (``W`` is the survivors' total examples divided by ``max_examples``). Per
entry, with ``e`` the error bound of a decoded sum (SecAgg+: ``n_clients / (2 scale)``,
scale about ``2^31 (1 - headroom) / (n_clients clip)``; CKKS: ``2^-precision_bits`` of the
committee), the average is within about ``e (1 + |average| / clip) / W``.

What the server learns beyond the unweighted protocol (without DP): ``W``, i.e. the
survivors' total number of examples (exactly). Individual counts stay hidden as far as
the secure sum hides them, but an adversary knowing all but one survivor's count, or
comparing rounds whose survivor sets differ by one client, learns that client's count.
The client's refusal message does not include its ``num_examples``.

Weighting and DP (``noise_multiplier > 0``): the weight entry is not sent at all. Each
client sends ``w_i d_i`` plus its noise share (never multiplied by ``w_i``), whose
per-client L2 sensitivity is ``<= clip`` as before, so the noise calibration and the
accountant are the unweighted ones, and the server divides the noisy sum by a fixed
public ``denominator`` (the fixed-denominator estimator of McMahan et al. 2018, as in
:class:`pyppml.fl.DPFedAvg`; default ``n_clients``, i.e. every client at the maximum
weight; set it to the expected ``sum_i w_i`` for an unbiased average). The epsilon then
covers everything the server sees: no exact weight sum, which would reveal a client's
count by comparing two rounds. The noise on the average has standard deviation
``noise_multiplier * clip / denominator``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math

import os
from typing import Callable

import numpy as np
from flwr.client import Client, NumPyClient
from flwr.common import (Code, EvaluateIns, EvaluateRes, FitIns, FitRes, GetParametersIns, GetParametersRes,
                         Parameters, Status, ndarrays_to_parameters, parameters_to_ndarrays)
from flwr.server.strategy import Strategy

from pyppml.dp import PrivacyAccountant, clip_l2
from pyppml.fl.common.errors import ParameterError, ProtocolError
from pyppml.fl.dp_fedavg import grid_gaussian

try:  # Flower >= 1.21
    from flwr.app import ConfigRecord, Context, Message, MessageType
    from flwr.compat.common import recorddict_compat as _compat
except ImportError:  # pragma: no cover - older Flower
    from flwr.common import ConfigRecord, Context, Message, MessageType
    from flwr.common import recorddict_compat as _compat


def flatten(arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def unflatten(vec: np.ndarray, like) -> list[np.ndarray]:
    out, k = [], 0
    for a in like:
        out.append(vec[k:k + a.size].reshape(a.shape).astype(a.dtype))
        k += a.size
    return out


def prepare_delta(delta: np.ndarray, clip: float, noise_multiplier: float) -> np.ndarray:
    """Client-side clipping: L2 norm <= clip when DP is on (sensitivity), and every entry
    in [-clip, clip] (the range the aggregation is sized for)."""
    delta = np.asarray(delta, dtype=np.float64)
    if noise_multiplier > 0:
        delta = clip_l2(delta[None, :], clip)[0]
    return np.clip(delta, -clip, clip)


def add_client_noise(vec: np.ndarray, dim: int, noise_multiplier: float, clip: float, n_clients: int) -> np.ndarray:
    """A client's share of the distributed DP noise on a float update (CKKS modes): the
    first ``dim`` entries (the weighted numerator; never the weight entry, which is
    exact) rounded to the power-of-two grid and noised by
    :func:`pyppml.fl.dp_fedavg.grid_gaussian` with ``shares=n_clients``, so that the sum
    of ``n_clients`` shares has noise multiplier ``noise_multiplier``. Returns a copy."""
    out = np.array(vec, dtype=np.float64)
    out[:dim] = grid_gaussian(out[:dim], noise_multiplier, clip, shares=n_clients)
    return out


@dataclasses.dataclass(frozen=True)
class ClientPolicy:
    """What a client accepts from a server's round config, checked before it uploads
    anything (keys, masked or encrypted updates): the server sets ``clip``, the noise
    multiplier and the client count over which the noise is split, so without a policy
    distributed DP is only as strong as the server allows.

    Parameters
    ----------
    min_noise_multiplier : float
        Smallest noise multiplier of the sum the client accepts, counting only the noise
        of ``min_clients`` contributors (itself included): a round with multiplier z and n
        clients, where each adds z clip / sqrt(n), is refused unless
        ``z * sqrt(min(min_clients, n) / n) >= min_noise_multiplier``. 0: DP not required.
    max_clip : float
        Largest clip (L2 / entry bound of the update) the client accepts.
    min_clients : int
        Fewest clients whose noise shares the client counts on (see above); also the
        fewest clients the round must be sized for (n >= min_clients).
    ckks_context_sha256 : str, optional
        Hex SHA-256 of the only CKKS context bytes the client encrypts under (collective
        key mode); another context from the server is refused.

    Raises
    ------
    ParameterError
        Out-of-range fields.

    Examples
    --------
    >>> pol = ClientPolicy(min_noise_multiplier=1.0, max_clip=1.0, min_clients=10)
    >>> pol.check(noise_multiplier=1.0, clip=1.0, n_clients=10)
    >>> try:  # each client's share sized for 40: 10 honest shares carry only 0.5
    ...     pol.check(noise_multiplier=1.0, clip=1.0, n_clients=40)
    ... except ValueError as err:
    ...     print(str(err).split(";")[0])
    pyppml client policy: noise_multiplier is too small for the client count
    """

    min_noise_multiplier: float = 0.0
    max_clip: float = math.inf
    min_clients: int = 1
    ckks_context_sha256: str | None = None

    def __post_init__(self):
        api = "ClientPolicy"
        if not (math.isfinite(self.min_noise_multiplier) and self.min_noise_multiplier >= 0):
            raise ParameterError(f"{api}: min_noise_multiplier is out of range; expected a finite value >= 0, got "
                                 f"{self.min_noise_multiplier}")
        if not self.max_clip > 0:
            raise ParameterError(f"{api}: max_clip is out of range; expected > 0, got {self.max_clip}")
        if isinstance(self.min_clients, bool) or not isinstance(self.min_clients, (int, np.integer)) \
                or self.min_clients < 1:
            raise ParameterError(f"{api}: min_clients is out of range; expected an integer >= 1, got "
                                 f"{self.min_clients}")
        h = self.ckks_context_sha256
        if h is not None:
            try:
                ok = len(bytes.fromhex(str(h))) == 32
            except ValueError:
                ok = False
            if not ok:
                raise ParameterError(f"{api}: ckks_context_sha256 is malformed; expected 64 hex digits, got "
                                     f"{str(h)[:80]!r}")
            object.__setattr__(self, "ckks_context_sha256", str(h).lower())

    @classmethod
    def from_node_config(cls, node_config) -> "ClientPolicy | None":
        """The policy of a Flower node config (keys ``pyppml-min-noise-multiplier``,
        ``pyppml-max-clip``, ``pyppml-min-clients``, ``pyppml-ckks-context-sha256``);
        None when it sets none of them."""
        cfg = node_config or {}
        keys = ("pyppml-min-noise-multiplier", "pyppml-max-clip", "pyppml-min-clients", "pyppml-ckks-context-sha256")
        if not any(k in cfg for k in keys):
            return None
        return cls(float(cfg.get(keys[0], 0.0)), float(cfg.get(keys[1], math.inf)), int(cfg.get(keys[2], 1)),
                   cfg.get(keys[3]))

    def check(self, noise_multiplier: float, clip: float, n_clients: int) -> None:
        """Refuse a round config that weakens the policy.

        Raises
        ------
        ParameterError
            Naming the weakened setting (clip, noise multiplier or client count).
        """
        api = "pyppml client policy"
        nm, clip, n = float(noise_multiplier), float(clip), int(n_clients)
        if not clip <= self.max_clip:
            raise ParameterError(f"{api}: clip is too large; expected <= {self.max_clip}, got {clip}")
        if n < self.min_clients:
            raise ParameterError(f"{api}: n_clients is too small; expected >= {self.min_clients}, got {n}")
        if self.min_noise_multiplier > 0:
            effective = nm * math.sqrt(min(self.min_clients, n) / n) if n > 0 and nm > 0 else 0.0
            if not effective >= self.min_noise_multiplier:
                raise ParameterError(f"{api}: noise_multiplier is too small for the client count; expected "
                                     f"noise_multiplier * sqrt(min(min_clients, n_clients) / n_clients) >= "
                                     f"{self.min_noise_multiplier} (n_clients = {n}), got {nm}")

    def check_context(self, data: bytes) -> None:
        """Refuse CKKS context bytes other than the pinned ones (when pinned)."""
        got = hashlib.sha256(bytes(data)).hexdigest()
        if self.ckks_context_sha256 is not None and got != self.ckks_context_sha256:
            raise ParameterError("pyppml client policy: the CKKS context is not the pinned one; expected SHA-256 "
                                 f"{self.ckks_context_sha256[:16]}..., got {got[:16]}...")


def check_weighting(where: str, weighted: bool, max_examples) -> int:
    """A strategy's weighting arguments: ``max_examples`` (an int >= 1) is required when
    ``weighted``; returns it (0 when unweighted and not given)."""
    if not weighted:
        return 0 if max_examples is None else check_weighting(where, True, max_examples)
    if max_examples is None:
        raise ParameterError(f"{where}: max_examples is missing; expected a public bound on the clients' num_examples "
                             f"(weighted=True), or weighted=False for the unweighted mean")
    if (isinstance(max_examples, bool) or not isinstance(max_examples, (int, float, np.integer, np.floating))
            or not float(max_examples).is_integer() or max_examples < 1):
        raise ParameterError(f"{where}: max_examples is out of range; expected an integer >= 1, got {max_examples}")
    return int(max_examples)


def example_weight(cfg, num_examples) -> float | None:
    """The client's weight ``num_examples / max_examples`` in (0, 1] when the round is
    weighted (``cfg["pyppml_weighted"]``), else None.

    Raises ValueError (the round fails for this client) for a ``num_examples`` outside
    ``1..max_examples``: clipping it would bias the average silently. The message, which
    goes to the server, leaves the value out; it is logged locally.
    """
    if not cfg.get("pyppml_weighted", False):
        return None
    m = int(cfg["pyppml_max_examples"])
    ok = (num_examples is not None and not isinstance(num_examples, (bool, np.bool_))
          and isinstance(num_examples, (int, float, np.integer, np.floating))
          and math.isfinite(num_examples) and float(num_examples).is_integer() and 1 <= num_examples <= m)
    if not ok:
        logging.getLogger(__name__).warning("pyppml client: num_examples = %r is outside 1..%d (max_examples); "
                                            "refusing the weighted round", num_examples, m)
        raise ValueError(f"pyppml client: num_examples is out of range; expected an integer in 1..{m} (the "
                         f"strategy's max_examples), refusing the weighted round")
    return float(num_examples) / m


def weighted_update(delta: np.ndarray, weight: float | None, clip: float,
                    noise_multiplier: float = 0.0) -> np.ndarray:
    """``(weight * delta, weight * clip)``: every entry within [-clip, clip] when delta's
    are and weight <= 1 (see the module's note on weighting); ``delta`` unchanged when
    weight is None; with DP (``noise_multiplier > 0``) ``weight * delta`` alone (the
    server divides by a public denominator). DP noise, if any, goes on the result's first
    ``len(delta)`` entries (adding it to ``delta`` before weighting would scale it down by
    the weight)."""
    if weight is None:
        return np.asarray(delta, dtype=np.float64)
    scaled = weight * np.asarray(delta, dtype=np.float64)
    return scaled if noise_multiplier > 0 else np.concatenate([scaled, [weight * clip]])


def sum_width(dim: int, weighted: bool, noise_multiplier: float) -> int:
    """Entries each client sends: the model delta, plus the weight entry when weighted
    without DP (:func:`weighted_update`)."""
    return int(dim) + (1 if weighted and not noise_multiplier > 0 else 0)


def check_denominator(where: str, denominator, n_clients: int) -> float:
    """The public denominator of a weighted DP average (default ``n_clients``)."""
    value = float(n_clients if denominator is None else denominator)
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(f"{where}: denominator is out of range; expected a finite value > 0, got {denominator}")
    return value


def weighted_average(total: np.ndarray, dim: int, clip: float, max_examples: int) -> tuple[np.ndarray, float]:
    """The server's step: from the aggregate ``(S, clip * W)`` of :func:`weighted_update`
    vectors, ``S / W`` and the survivors' total examples ``W * max_examples``.

    Raises ValueError when the total weight is below one example (no honest survivor)."""
    weight = float(total[dim]) / clip
    examples = weight * max_examples
    if not examples >= 0.5:
        raise ValueError(f"total weight is out of range; expected at least one example, got {examples:.3g}")
    return np.asarray(total[:dim]) / weight, examples


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
    """Base of the pyppml strategies: the model, the DP and weighting settings, fit rounds
    only (no federated evaluation), and the model step from a decrypted or unmasked sum.
    A subclass calls ``super().__init__`` and implements ``configure_fit`` and
    ``aggregate_fit`` for its protocol.

    Raises
    ------
    ParameterError
        ``clip`` not finite and > 0, ``noise_multiplier`` not finite and >= 0, or the
        weighting arguments (:func:`check_weighting`, :func:`check_denominator`).
    """

    def __init__(self, api: str, initial_parameters, n_clients: int, clip: float, noise_multiplier: float,
                 weighted: bool, max_examples, denominator):
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
        self.history: list[dict] = []

    def initialize_parameters(self, client_manager):
        return ndarrays_to_parameters(self.parameters)

    def select(self, client_manager) -> list:
        """The round's clients: the first ``n_clients`` by id, once that many connected."""
        client_manager.wait_for(self.n_clients, timeout=60)
        return sorted(client_manager.all().values(), key=lambda c: c.cid)[: self.n_clients]

    def common_config(self) -> dict:
        """What every protocol's FitIns config carries: the DP and weighting settings."""
        return {"pyppml_clip": self.clip, "pyppml_noise": self.noise_multiplier, "pyppml_weighted": self.weighted,
                "pyppml_max_examples": self.max_examples}

    def apply_sum(self, total: np.ndarray, count: int, expected: int, entry: dict, metrics: dict):
        """Move the model by the average the sum ``total`` of ``count`` clients (out of the
        ``expected`` the noise is calibrated for) gives; the accountant steps once (the
        sum carries the noise whether or not the model moves). Returns aggregate_fit's
        value; a total weight below one example keeps the model and records the error."""
        if self.accountant is not None:
            # The weighting leaves the sensitivity of the numerator sum(w delta) at clip
            # (w <= 1), so the accounting is the unweighted one; with DP no weight sum is
            # sent (module note).
            self.accountant.step(self.noise_multiplier * math.sqrt(count / expected), 1.0, 1)
        if self.weighted and self.noise_multiplier > 0:
            delta = np.asarray(total[:self.dim]) / self.denominator
        elif self.weighted:
            try:
                delta, entry["examples"] = weighted_average(total, self.dim, self.clip, self.max_examples)
            except ValueError as err:
                entry["error"] = str(err)
                return ndarrays_to_parameters(self.parameters), metrics
        else:
            delta = np.asarray(total[:self.dim]) / count
        self.parameters = unflatten(flatten(self.parameters) + delta, self.parameters)
        return ndarrays_to_parameters(self.parameters), metrics

    def configure_evaluate(self, server_round, parameters, client_manager):
        return []

    def aggregate_evaluate(self, server_round, results, failures):
        return None, {}

    def evaluate(self, server_round, parameters):
        return None


# ---------------------------------------------------------------------- client side
def client_update(cfg, glob: list[np.ndarray], new: list[np.ndarray], num_examples, width: int) -> np.ndarray:
    """A client's vector for the secure sum, before any DP noise: its delta ``new - glob``
    clipped (:func:`prepare_delta`) and weighted (:func:`weighted_update`) as the round
    config says; ``width`` entries (what the protocol's plan sums).

    Raises
    ------
    ValueError
        A delta of the wrong size (for ``width``) or not finite, a ``num_examples`` out
        of range in a weighted round (:func:`example_weight`).
    """
    delta = flatten(new) - flatten(glob)
    weight = example_weight(cfg, num_examples)  # None when unweighted; ValueError out of range
    clip, nm = float(cfg["pyppml_clip"]), float(cfg["pyppml_noise"])
    if sum_width(delta.size, weight is not None, nm) != width or not np.all(np.isfinite(delta)):
        raise ValueError(f"pyppml client: local update has the wrong size or is not finite; expected "
                         f"{sum_width(delta.size, weight is not None, nm)} entries to match the plan's {width}")
    # (w * clipped delta[, w * clip]): every entry in [-clip, clip], the range the plans are sized for.
    return weighted_update(prepare_delta(delta, clip, nm), weight, clip, nm)


class ClientState:
    """One client's settings (policy, pins, identity key) and the live protocol states
    across Flower rounds, by mode (e.g. a SecAgg+ round's X25519 secret keys, which stay
    in this object, never in a Flower record)."""

    def __init__(self, committee_keys: bytes | None = None, policy: ClientPolicy | None = None, identity_key=None):
        self.committee_keys = committee_keys  # one-time CKKS: the pin of the plan
        self.policy = policy  # limits on the server's clip, noise and client count
        self.identity_key = identity_key  # CKKS under a collective key: signs the uploads (Ed25519)
        self.live: dict[str, object] = {}  # mode -> that protocol's state across rounds


@dataclasses.dataclass(frozen=True)
class ClientProtocol:
    """How a client takes part in one protocol's rounds (registered by its module).

    ``n_clients(cfg)``: the client count the protocol will use (for the policy);
    ``fit(state, cfg, glob, train)``: the client's answer, ``train(glob)`` giving
    ``(weights, num_examples)`` and called only in the training step."""

    mode: str
    tensor_type: str
    n_clients: Callable
    fit: Callable


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
    every step, before anything leaves the client (the server may change the config).
    Protocol errors, and a ``num_examples`` outside ``1..max_examples`` in a weighted
    round, become a FitRes with a non-OK status (Flower counts it as a failure). The
    FitRes never carries the real num_examples."""
    mode = str(cfg.get("pyppml_mode", "secagg"))
    protocol = PROTOCOLS.get(mode)
    if protocol is None:
        return failed_fit(ProtocolError(f"pyppml client: pyppml_mode is unknown; expected one of "
                                        f"{sorted(PROTOCOLS)}, got {mode[:40]!r}"), "pyppml")
    try:
        if state.policy is not None:
            state.policy.check(float(cfg["pyppml_noise"]), float(cfg["pyppml_clip"]), protocol.n_clients(cfg))
    except (KeyError, TypeError, ValueError) as err:
        return failed_fit(err if isinstance(err, ValueError) else
                          ValueError(f"pyppml client: bad round config; {err!r}"), protocol.tensor_type)
    return protocol.fit(state, cfg, parameters_to_ndarrays(parameters), lambda glob: trained(train(glob)))


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
    Sends only protocol messages (masked or encrypted deltas); its metrics stay local.

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
        return EvaluateRes(Status(Code.OK, ""), 0.0, 0, {})


# Live protocol states of the mod, by the handle kept in each node's Context.state. The
# secret keys of a SecAgg+ round cannot go into Context.state (Flower persists and ships
# records), so the mod needs the ClientApp to run in one process for the four Flower
# rounds of a SecAgg+ round: true for start_client, the simulation engine and a
# SuperNode running its ClientApp in-process; a node restarted mid-round fails that round
# (reported as a fit failure, the server goes on with the survivors).
_MOD_STATES: dict[str, ClientState] = {}
_STATE_KEY = "pyppml.fl"


def pyppml_mod(msg: Message, context: Context, call_next) -> Message:
    """Flower client Mod running pyppml's client protocols (SecAgg+ masking, CKKS
    encryption of updates) around the wrapped ClientApp's training.

    ``ClientApp(client_fn=..., mods=[pyppml_mod])``. For a train message carrying a
    pyppml config it answers the key-exchange and unmask steps itself, and in the
    training step calls the wrapped app, reads the new weights and ``num_examples`` from
    its FitRes and replies with the masked (SecAgg+) or encrypted (CKKS) delta, weighted
    by ``num_examples`` in weighted rounds; the plain weights and the count never leave
    the node. Everything else is passed to ``call_next`` unchanged. A node config entry
    ``pyppml-committee-keys`` (hex of the one-time plan's pin) pins the one-time
    committee, as ``SecAggNumPyClient(committee_keys=...)`` does; the entries of
    :meth:`ClientPolicy.from_node_config` (``pyppml-min-noise-multiplier``,
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
        res = failed_fit(err, "pyppml")
    return Message(_compat.fitres_to_recorddict(res, keep_input=False), reply_to=msg)
