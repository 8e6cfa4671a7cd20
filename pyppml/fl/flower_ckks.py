"""Encrypted aggregation (CKKS under a committee's collective key) inside Flower.

One Flower round is one aggregation: the strategy sends the committee's public context
(``pyppml_ckks_ctx``, bytes, no secret key) in the FitIns config; each client trains,
encrypts its model delta under the collective key with :func:`encrypt_update` and sends
the ciphertexts (one bytes tensor each) as its FitRes parameters; the server adds the
ciphertexts (:func:`add_ciphertexts`) and hands only the sum to the committee, whose
members decrypt it together.

Trust model
-----------
- The server is honest-but-curious: it sees ciphertexts and the decrypted *sum*, never an
  individual update, provided the committee decrypts only aggregates. In this module the
  committee (:class:`CkksCommittee`, all members in one process) is held by the strategy
  for convenience and tests, so the strategy object *could* decrypt a single update:
  with an in-process committee the server must be trusted not to. In a deployment each
  member is a separate party holding its secret share; the server sends it the aggregate
  ciphertext, the member checks (out of band) that it is an aggregate of at least
  ``min_clients`` updates and returns its smudged decryption share
  (:meth:`CommitteeMember.decryption_share`); the server combines the shares
  (:func:`pyppml.fl.ckks_agg.combine_decryption`). Pass ``decrypt=`` to plug such a
  remote committee in.
- The key is n-of-n: one honest committee member suffices for confidentiality, and
  every member must answer for the sum to be decrypted.
- Clients are not authenticated beyond Flower's own transport; a malicious client can
  poison the sum (as in plain FedAvg) but cannot read other updates.
- Dropouts are free: the server sums whatever valid ciphertexts arrived (at least
  ``min_clients``) and divides by their total weight (``weighted=True``: their total
  ``num_examples``, below) or by their number (``weighted=False``).

Differential privacy (``noise_multiplier > 0``): each client clips its delta to L2 norm
``clip`` and adds Gaussian noise (the exact discrete Gaussian on a fine grid) of standard
deviation ``noise_multiplier * clip / sqrt(n_clients)``, so the sum carries noise of
standard deviation ``noise_multiplier * clip`` when all clients answer; the accountant
is fed the noise multiplier of the actual number of answering clients.

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

What the server learns beyond the unweighted protocol: ``W``, i.e. the survivors' total
number of examples (exactly -- it carries no DP noise). Individual counts stay hidden as
far as the secure sum hides them, but an adversary knowing all but one survivor's count,
or comparing rounds whose survivor sets differ by one client, learns that client's count.
The client's refusal message does not include its ``num_examples``.

Weighting and DP: the noise is added to the weighted numerator ``w_i d_i`` (never
multiplied by ``w_i``), whose per-client L2 sensitivity is ``<= clip`` as before, so the
noise calibration and the accountant are unchanged and the epsilon covers ``S``. It does
NOT cover the denominator ``W``, which is released exact (see above): with
``weighted=True`` the DP guarantee is for the update given the survivors' total example
count, which must be treated as public; use ``weighted=False`` (denominator = survivor
count, public anyway) when the example counts must be protected too. Note also that the
noise on the average has standard deviation ``noise_multiplier * clip / W``, larger than
``noise_multiplier * clip / survivors`` of the unweighted mean whenever ``W < survivors``.
"""

from __future__ import annotations

import hashlib
import logging
import math

import numpy as np
from flwr.common import Code, FitIns, FitRes, Parameters, Status, ndarrays_to_parameters
from flwr.server.strategy import Strategy

from pyppml.ckks import Context
from pyppml.ckks.ciphertext import Ciphertext
from pyppml.dp import PrivacyAccountant, clip_l2, discrete_gaussian
from pyppml.fl.ckks_agg import CkksCommittee, add_ciphertexts, encrypt_update
from pyppml.fl.errors import ParameterError

CKKS_TENSOR_TYPE = "pyppml-ckks"


def _flatten(arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def _unflatten(vec: np.ndarray, like) -> list[np.ndarray]:
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


def weighted_update(delta: np.ndarray, weight: float | None, clip: float) -> np.ndarray:
    """``(weight * delta, weight * clip)``: every entry within [-clip, clip] when delta's
    are and weight <= 1 (see the module's note on weighting); ``delta`` unchanged when
    weight is None. DP noise, if any, goes on the result's first ``len(delta)`` entries
    (adding it to ``delta`` before weighting would scale it down by the weight)."""
    if weight is None:
        return np.asarray(delta, dtype=np.float64)
    return np.concatenate([weight * np.asarray(delta, dtype=np.float64), [weight * clip]])


def weighted_average(total: np.ndarray, dim: int, clip: float, max_examples: int) -> tuple[np.ndarray, float]:
    """The server's step: from the aggregate ``(S, clip * W)`` of :func:`weighted_update`
    vectors, ``S / W`` and the survivors' total examples ``W * max_examples``.

    Raises ValueError when the total weight is below one example (no honest survivor)."""
    weight = float(total[dim]) / clip
    examples = weight * max_examples
    if not examples >= 0.5:
        raise ValueError(f"total weight is out of range; expected at least one example, got {examples:.3g}")
    return np.asarray(total[:dim]) / weight, examples


def gaussian_noise(sigma: float, size: int) -> np.ndarray:
    """N(0, sigma^2) noise from the exact discrete Gaussian on a grid of sigma / 1024."""
    return discrete_gaussian(1024.0, size).astype(np.float64) * (sigma / 1024.0)


_CONTEXTS: dict[bytes, Context] = {}


def _context(data: bytes) -> Context:
    key = hashlib.sha256(data).digest()
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        if len(_CONTEXTS) >= 8:
            _CONTEXTS.clear()
        ctx = _CONTEXTS[key] = Context.from_bytes(data)
    return ctx


def ckks_client_fit(cfg, glob: list[np.ndarray], new: list[np.ndarray], num_examples=None) -> FitRes:
    """The client's CKKS step: encrypt the (clipped, weighted, noised) delta new - glob
    under the context in ``cfg["pyppml_ckks_ctx"]``; in a weighted round the vector is
    ``(w delta + noise, w clip)`` with ``w = num_examples / max_examples``. Errors (also a
    ``num_examples`` out of range) become a FitRes with a non-OK status."""
    try:
        delta = _flatten(new) - _flatten(glob)
        dim = int(cfg["pyppml_dim"])
        if delta.size != dim or not np.all(np.isfinite(delta)):
            raise ValueError(f"pyppml ckks client: local update has the wrong size or is not finite; expected {dim} "
                             f"finite values, got {delta.size}")
        clip, nm, n = float(cfg["pyppml_clip"]), float(cfg["pyppml_noise"]), int(cfg["pyppml_n"])
        weight = example_weight(cfg, num_examples)
        vec = weighted_update(prepare_delta(delta, clip, nm), weight, clip)
        if nm > 0:
            # Noise on the (weighted) numerator entries only, not multiplied by the weight:
            # sensitivity of w * delta is <= clip, so this is the unweighted calibration.
            vec[:dim] += gaussian_noise(nm * clip / math.sqrt(n), dim)
        cts = encrypt_update(_context(bytes(cfg["pyppml_ckks_ctx"])), vec)
    except ValueError as err:
        return FitRes(Status(Code.FIT_NOT_IMPLEMENTED, str(err)), Parameters([], CKKS_TENSOR_TYPE), 0, {})
    return FitRes(Status(Code.OK, ""), Parameters([c.to_bytes() for c in cts], CKKS_TENSOR_TYPE), 1, {})


def _failure_reasons(failures) -> dict:
    """{cid: status message} of the clients whose FitRes was not OK (exceptions by repr)."""
    out = {}
    for k, f in enumerate(failures):
        if isinstance(f, tuple) and len(f) == 2:
            out[str(getattr(f[0], "cid", k))] = str(getattr(getattr(f[1], "status", None), "message", f[1]))
        else:
            out[f"exception {k}"] = repr(f)
    return out


class CkksStrategy(Strategy):
    """Federated averaging of model deltas encrypted under a CKKS committee key.

    Clients: :class:`pyppml.fl.flower.SecAggNumPyClient` or a ``ClientApp`` with
    :func:`pyppml.fl.flower.pyppml_mod` (both handle this strategy's rounds).

    Parameters
    ----------
    initial_parameters : list of numpy arrays
    n_clients : int
        Clients asked per round (the server waits for them).
    committee : CkksCommittee, optional
        The key holders (default: 3 members, ring degree 8192). See the module's trust
        model: held in-process, they are trusted to decrypt only aggregates.
    min_clients : int, optional
        Fewest valid encrypted updates the committee decrypts (default n_clients).
    clip : float
        Entry bound of each delta; with DP also its L2 bound. At most the committee's
        ``max_abs_value``.
    noise_multiplier : float
        > 0: distributed DP (see the module); ``self.accountant`` records each round.
        With ``weighted=True`` the epsilon does not cover the total example count (see
        the module's note on weighting).
    decrypt : callable(Ciphertext) -> numpy array, optional
        Collective decryption of an aggregate (default ``committee.decrypt``).
    weighted : bool
        True (default): average weighted by the clients' ``num_examples`` like Flower's
        FedAvg, inside the encrypted sum (module note); False: the plain mean over the
        clients whose ciphertexts were summed.
    max_examples : int
        Public bound on a client's ``num_examples``, required when ``weighted``; clients
        with more (or fewer than 1) refuse the round. Keep it tight: the precision of the
        average degrades with ``max_examples / (total examples)``.

    Attributes
    ----------
    parameters : the global model (list of arrays); ``history``: per round, the clients
    whose ciphertexts were summed, those refused, the failed clients' messages
    (``failed``) and, weighted, the summed clients' total examples (``examples``).

    Raises
    ------
    ParameterError
        ``weighted`` without a valid ``max_examples``; ``clip`` or ``n_clients`` beyond the
        committee's bounds.
    """

    def __init__(self, initial_parameters, n_clients: int, committee: CkksCommittee | None = None,
                 min_clients: int | None = None, clip: float = 1.0, noise_multiplier: float = 0.0, decrypt=None,
                 weighted: bool = True, max_examples: int | None = None):
        self.parameters = [np.asarray(a) for a in initial_parameters]
        self.dim = int(sum(a.size for a in self.parameters))
        self.n_clients = int(n_clients)
        self.weighted = bool(weighted)
        self.max_examples = check_weighting("CkksStrategy", self.weighted, max_examples)
        self.min_clients = int(min_clients or n_clients)
        if not 1 <= self.min_clients <= self.n_clients:
            raise ValueError(f"CkksStrategy: min_clients is out of range; expected 1..{n_clients}, got {min_clients}")
        self.committee = committee or CkksCommittee()
        self.clip = float(clip)
        # The committee's plan is sized for sums of max_clients entries |x| <= max_abs_value;
        # every entry a client sends (the weight entry w * clip too) is within clip (+ DP noise).
        bound, most = getattr(self.committee, "max_abs_value", None), getattr(self.committee, "max_clients", None)
        if bound is not None and self.clip > bound:
            raise ParameterError(f"CkksStrategy: clip is out of range; expected <= the committee's max_abs_value "
                                 f"{bound}, got {self.clip}")
        if most is not None and self.n_clients > most:
            raise ParameterError(f"CkksStrategy: n_clients is out of range; expected <= the committee's max_clients "
                                 f"{most}, got {self.n_clients}")
        self.ctx = self.committee.client_context()
        self._ctx_bytes = self.ctx.to_bytes()
        self.vec_dim = self.dim + (1 if self.weighted else 0)  # + the weight entry
        self.n_cts = -(-self.vec_dim // (2 * self.ctx.slots))
        self.decrypt = decrypt or self.committee.decrypt
        self.noise_multiplier = float(noise_multiplier)
        self.accountant = PrivacyAccountant() if noise_multiplier > 0 else None
        self.history: list[dict] = []

    def initialize_parameters(self, client_manager):
        return ndarrays_to_parameters(self.parameters)

    def configure_fit(self, server_round, parameters, client_manager):
        client_manager.wait_for(self.n_clients, timeout=60)
        proxies = sorted(client_manager.all().values(), key=lambda c: c.cid)[: self.n_clients]
        cfg = {"pyppml_mode": "ckks", "pyppml_ckks_ctx": self._ctx_bytes, "pyppml_dim": self.dim,
               "pyppml_n": self.n_clients, "pyppml_clip": self.clip, "pyppml_noise": self.noise_multiplier,
               "pyppml_weighted": self.weighted, "pyppml_max_examples": self.max_examples}
        params = ndarrays_to_parameters(self.parameters)
        return [(p, FitIns(params, dict(cfg))) for p in proxies]

    def aggregate_fit(self, server_round, results, failures):
        accepted, rejected, cts = [], {}, []
        for proxy, res in results:
            tensors = res.parameters.tensors
            if res.parameters.tensor_type != CKKS_TENSOR_TYPE or len(tensors) != self.n_cts:
                rejected[proxy.cid] = f"expected {self.n_cts} ciphertexts, got {len(tensors)}"
                continue
            try:
                mine = [Ciphertext.from_bytes(t, self.ctx) for t in tensors]
                if any(c.level != self.ctx.max_level or c.scale != self.ctx.scale for c in mine):
                    raise ValueError("ciphertext at another level or scale than a fresh encryption")
            except ValueError as err:
                rejected[proxy.cid] = str(err)
                continue
            accepted.append(proxy.cid)
            cts.append(mine)
        entry = {"round": server_round, "clients": accepted, "rejected": rejected, "failures": len(failures),
                 "failed": _failure_reasons(failures)}
        self.history.append(entry)
        if len(accepted) < self.min_clients:
            entry["error"] = f"too few valid updates; expected >= {self.min_clients}, got {len(accepted)}"
            return ndarrays_to_parameters(self.parameters), {"clients": len(accepted)}
        totals = [add_ciphertexts(cl[k] for cl in cts) for k in range(self.n_cts)]
        total = np.concatenate([np.asarray(self.decrypt(t)) for t in totals])[: self.vec_dim]
        if self.accountant is not None:
            # The decrypted numerator carries the noise whether or not the model moves. The
            # weighting leaves the sensitivity of the numerator at clip (w <= 1), so the
            # accounting is the unweighted one; the denominator is not covered (module note).
            self.accountant.step(self.noise_multiplier * math.sqrt(len(accepted) / self.n_clients), 1.0, 1)
        if self.weighted:
            try:
                delta, entry["examples"] = weighted_average(total, self.dim, self.clip, self.max_examples)
            except ValueError as err:
                entry["error"] = str(err)
                return ndarrays_to_parameters(self.parameters), {"clients": len(accepted)}
        else:
            delta = total / len(accepted)
        self.parameters = _unflatten(_flatten(self.parameters) + delta, self.parameters)
        return ndarrays_to_parameters(self.parameters), {"clients": len(accepted)}

    def configure_evaluate(self, server_round, parameters, client_manager):
        return []

    def aggregate_evaluate(self, server_round, results, failures):
        return None, {}

    def evaluate(self, server_round, parameters):
        return None
