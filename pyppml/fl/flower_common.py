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

import numpy as np
from flwr.common import Code, FitRes, Parameters, Status, ndarrays_to_parameters
from flwr.server.strategy import Strategy

from pyppml.dp import clip_l2
from pyppml.fl.dp_fedavg import grid_gaussian
from pyppml.fl.errors import ParameterError


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
    """Base of the pyppml strategies: fit rounds only (no federated evaluation), and the
    model step from a decrypted or unmasked sum. Subclasses set ``parameters``, ``dim``,
    ``clip``, ``weighted``, ``max_examples``, ``noise_multiplier``, ``denominator`` and
    ``accountant``."""

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
