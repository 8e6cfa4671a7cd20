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
- The key is shared t-of-k (``CkksCommittee(members, threshold)``, default n-of-n):
  fewer than ``threshold`` colluding members learn nothing about it, any ``threshold``
  live members decrypt.
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

Weighted averaging, its bounds and its interplay with DP: :mod:`pyppml.fl.flower_common`.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
from flwr.common import Code, FitIns, FitRes, Parameters, Status, ndarrays_to_parameters

from pyppml.ckks import Context
from pyppml.ckks.ciphertext import Ciphertext
from pyppml.dp import PrivacyAccountant
from pyppml.fl.ckks_agg import CkksCommittee, add_ciphertexts, encrypt_update
from pyppml.fl.errors import ParameterError
from pyppml.fl.flower_common import (AveragingStrategy, check_weighting, example_weight, failed_fit, failure_reasons,
                                     flatten, gaussian_noise, prepare_delta, weighted_update)

CKKS_TENSOR_TYPE = "pyppml-ckks"


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
        delta = flatten(new) - flatten(glob)
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
        return failed_fit(err, CKKS_TENSOR_TYPE)
    return FitRes(Status(Code.OK, ""), Parameters([c.to_bytes() for c in cts], CKKS_TENSOR_TYPE), 1, {})


class CkksStrategy(AveragingStrategy):
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
                 "failed": failure_reasons(failures)}
        self.history.append(entry)
        if len(accepted) < self.min_clients:
            entry["error"] = f"too few valid updates; expected >= {self.min_clients}, got {len(accepted)}"
            return ndarrays_to_parameters(self.parameters), {"clients": len(accepted)}
        totals = [add_ciphertexts(cl[k] for cl in cts) for k in range(self.n_cts)]
        total = np.concatenate([np.asarray(self.decrypt(t)) for t in totals])[: self.vec_dim]
        return self.apply_sum(total, len(accepted), self.n_clients, entry, {"clients": len(accepted)})
