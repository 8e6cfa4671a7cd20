"""Encrypted aggregation (CKKS under a committee's collective key) inside Flower.

One Flower round is one aggregation: the strategy sends the committee's public context
(``pyppml_ckks_ctx``, bytes, no secret key), its key id and the round number in the
FitIns config; each client checks the context against the one it pinned
(``ClientPolicy.ckks_context_sha256``; without a pin, or with another context, it
refuses the round), trains, encrypts its model delta under the collective key with
:func:`encrypt_update`, signs the ciphertexts with its Ed25519 identity key
(:func:`pyppml.fl.ckks.uploads.sign_upload`) and sends them (one bytes tensor each, then its
public key and the signature) as its FitRes parameters; the server adds the ciphertexts
and hands the signed uploads to the committee, whose members verify them against the
client keys they pinned, add them themselves and decrypt only that sum
(:mod:`pyppml.fl.ckks.committee`).

Trust model
-----------
- The server is honest-but-curious towards the committee protocol: it sees ciphertexts
  and the decrypted *sum*; the members decrypt nothing but sums of at least
  ``min_clients`` signed, pinned uploads, once per round. In this module the committee
  (:class:`CkksCommittee`, all members in one process) is held by the strategy for
  convenience and tests; in a deployment each member is a separate party and
  ``decrypt=`` plugs the remote committee in (a callable ``(uploads, round) -> values``).
- The key is shared t-of-k (``CkksCommittee(members, threshold)``, default n-of-n):
  fewer than ``threshold`` colluding members learn nothing about it, and members
  certify one set of uploads per round (ceil((k + t) / 2) signatures) before any of
  them decrypts, so no two client sets of a round are decrypted.
- Clients are authenticated by their identity keys (``SecAggNumPyClient(identity_key=...)``
  or the node config ``pyppml-identity-key``); a malicious client can poison the sum, and
  one colluding with the server can sign crafted ciphertexts (use the one-time mode
  against that).
- Dropouts are free: the server sums whatever valid uploads arrived (at least
  ``min_clients``) and divides by their total weight (``weighted=True`` without DP:
  their total ``num_examples``; with DP a public ``denominator``, see
  :mod:`pyppml.fl.flower.updates`) or by their number (``weighted=False``).

Differential privacy (``noise_multiplier > 0``): each client clips its delta to L2 norm
``clip``, rounds it to a power-of-two grid and adds its share of discrete Gaussian noise
(:func:`pyppml.fl.flower.updates.add_client_noise`), so the sum of ``n_clients`` shares
has noise multiplier ``noise_multiplier`` for the rounded sum; the accountant is fed
``noise_multiplier * sqrt(k / n_clients)`` for the ``k`` clients whose uploads were
summed. A client's :class:`ClientPolicy` bounds the clip, noise and client count it
accepts.

Weighted averaging, its bounds and its interplay with DP: :mod:`pyppml.fl.flower.updates`.
"""

from __future__ import annotations

import hashlib

import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flwr.common import Code, FitIns, FitRes, Parameters, Status, ndarrays_to_parameters

from pyppml.ckks import Context
from pyppml.ckks.ciphertext import Ciphertext
from pyppml.fl.ckks.committee import CkksCommittee
from pyppml.fl.ckks.member import MAX_ROUND
from pyppml.fl.ckks.uploads import encrypt_update, sign_upload, upload_payload
from pyppml.fl.common.errors import ParameterError
from pyppml.fl.flower.common import AveragingStrategy, ClientProtocol, failed_fit, failure_reasons, register
from pyppml.fl.flower.config import config_bytes, config_round
from pyppml.fl.flower.policy import ClientPolicy
from pyppml.fl.dp_fedavg_noise import check_noise_shares
from pyppml.fl.flower.updates import add_client_noise, client_update, sum_width

CKKS_MODE = "ckks"
CKKS_TENSOR_TYPE = "pyppml-ckks"
MAX_CONTEXT_BYTES = 1 << 20  # a context's bytes name its parameters only (hundreds of bytes)


_CONTEXTS: dict[bytes, Context] = {}


def _context(data: bytes, policy: ClientPolicy | None) -> Context:
    """The server's context, if it is the one the client pinned (checked before parsing)."""
    if policy is None or policy.ckks_context_sha256 is None:
        raise ValueError("pyppml ckks client: the CKKS context is not pinned; expected ClientPolicy("
                         "ckks_context_sha256=...) (node config pyppml-ckks-context-sha256), got none")
    policy.check_context(data)
    key = hashlib.sha256(data).digest()
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        if len(_CONTEXTS) >= 8:
            _CONTEXTS.clear()
        # The pin already fixes the bytes; the security floor is checked as well.
        ctx = _CONTEXTS[key] = Context.from_bytes(data, min_security=128)
    return ctx


def check_ckks_round(cfg, policy: ClientPolicy | None, identity_key) -> Context:
    """What a client checks before training for a CKKS round: it has an identity key to
    sign with and the config's context is the pinned one (returned, parsed).

    Raises ValueError otherwise."""
    if identity_key is None:
        raise ValueError("pyppml ckks client: identity_key is missing; expected the client's Ed25519 key pinned "
                         "at the committee (SecAggNumPyClient(identity_key=...) or node config pyppml-identity-key)")
    config_round(cfg, hi=MAX_ROUND)  # checked before training: signed as u64 with the upload
    return _context(config_bytes(cfg, "pyppml_ckks_ctx", MAX_CONTEXT_BYTES), policy)


def ckks_client_fit(state, cfg, glob: list[np.ndarray], train) -> FitRes:
    """The client's CKKS round (:class:`pyppml.fl.flower.common.ClientProtocol`): check,
    before training, that it has an identity key and that the context in
    ``cfg["pyppml_ckks_ctx"]`` is the pinned one; train; encrypt the clipped, weighted,
    noised delta (:func:`add_client_noise`: no weight entry with DP) and sign the
    ciphertexts with the identity key for the config's key id and round. Errors (also a
    ``num_examples`` out of range) become a FitRes with a non-OK status; nothing is
    uploaded then."""
    try:
        ctx = check_ckks_round(cfg, state.policy, state.identity_key)
        dim, n = int(cfg["pyppml_dim"]), int(cfg["pyppml_n"])
        clip, nm = float(cfg["pyppml_clip"]), float(cfg["pyppml_noise"])
        width = sum_width(dim, bool(cfg.get("pyppml_weighted", False)), nm)
    except (KeyError, TypeError, ValueError) as err:
        return failed_fit(err if isinstance(err, ValueError) else ValueError(f"bad round config; {err!r}"),
                          CKKS_TENSOR_TYPE)
    try:
        vec = client_update(cfg, glob, *train(glob), width, state.clip_reports)
        if nm > 0:
            # Noise on the (weighted) numerator entries only, not multiplied by the weight:
            # sensitivity of w * delta is <= clip, so this is the unweighted calibration.
            vec = add_client_noise(vec, dim, nm, clip, n)
        pk, blobs, sig = sign_upload(state.identity_key, int(cfg["pyppml_key_id"]), int(cfg["pyppml_round"]),
                                     encrypt_update(ctx, vec))
    except (KeyError, ValueError) as err:
        return failed_fit(err if isinstance(err, ValueError) else ValueError(f"bad round config; {err!r}"),
                          CKKS_TENSOR_TYPE)
    return FitRes(Status(Code.OK, ""), Parameters(blobs + [pk, sig], CKKS_TENSOR_TYPE), 1, {})


class CkksStrategy(AveragingStrategy):
    """Federated averaging of model deltas encrypted under a CKKS committee key.

    Clients: :class:`pyppml.fl.flower.SecAggNumPyClient` or a ``ClientApp`` with
    :func:`pyppml.fl.flower.pyppml_mod` (both handle this strategy's rounds).

    Parameters
    ----------
    initial_parameters : list of numpy arrays
    n_clients : int
        Clients asked per round (the server waits for them).
    committee : CkksCommittee
        The key holders, pinning the clients' identity keys (see the module's trust
        model).
    min_clients : int, optional
        Fewest valid encrypted updates the committee decrypts (default n_clients).
    clip : float
        Entry bound of each delta; with DP also its L2 bound. At most the committee's
        ``max_abs_value``.
    noise_multiplier : float
        > 0: distributed DP (see the module); ``self.accountant`` records each round.
        With ``weighted=True`` no weight sum is sent and the average divides by
        ``denominator`` (:mod:`pyppml.fl.flower.updates`).
    decrypt : callable(uploads, round) -> numpy array, optional
        Collective decryption of the sum of signed uploads ``(public key, ciphertext
        bytes, signature)`` (default ``committee.decrypt_uploads``).
    weighted, max_examples, denominator :
        Weighting, see :class:`pyppml.fl.flower.common.AveragingStrategy`.
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
    parameters : the global model (list of arrays); ``history``: per round, the clients
    whose ciphertexts were summed, those refused, the failed clients' messages
    (``failed``) and, weighted without DP, the summed clients' total examples
    (``examples``).

    Raises
    ------
    ParameterError
        ``weighted`` without a valid ``max_examples``; ``clip`` or ``n_clients`` beyond the
        committee's bounds.
    """

    def __init__(self, initial_parameters, n_clients: int, committee: CkksCommittee | None = None,
                 min_clients: int | None = None, clip: float = 1.0, noise_multiplier: float = 0.0, decrypt=None,
                 weighted: bool = True, max_examples: int | None = None, denominator: float | None = None,
                 inner=None, colluders: int = 0):
        super().__init__("CkksStrategy", initial_parameters, n_clients, clip, noise_multiplier, weighted,
                         max_examples, denominator, inner, colluders)
        check_noise_shares("CkksStrategy", self.noise_multiplier, self.clip, self.dim, self.n_clients)
        self.min_clients = int(min_clients or n_clients)
        if not 1 <= self.min_clients <= self.n_clients:
            raise ParameterError(f"CkksStrategy: min_clients is out of range; expected 1..{n_clients}, got {min_clients}")
        self.check_colluders("CkksStrategy", self.min_clients)
        if committee is None:
            raise ParameterError("CkksStrategy: committee is missing; expected a CkksCommittee pinning the clients' "
                                 "identity keys (or an object with client_context(), key_id and a decrypt=)")
        self.committee = committee
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
        self.n_cts = -(-self.vec_dim // (2 * self.ctx.slots))
        self.decrypt = decrypt or self.committee.decrypt_uploads
        self.key_id = int(self.committee.key_id)
        self.round = 0
        pinned = getattr(self.committee, "client_keys", None)
        self._pinned = None if pinned is None else set(bytes(k) for k in pinned)

    def configure_fit(self, server_round, parameters, client_manager):
        proxies = self.select(client_manager)
        self.round += 1
        cfg = {**self.common_config(), "pyppml_mode": CKKS_MODE, "pyppml_ckks_ctx": self._ctx_bytes,
               "pyppml_key_id": self.key_id, "pyppml_round": self.round, "pyppml_dim": self.dim,
               "pyppml_n": self.n_clients}
        params = ndarrays_to_parameters(self.parameters)
        user = self.round_configs(server_round, proxies)
        return [(p, FitIns(params, {**user[p.cid], **cfg})) for p in proxies]

    def _check_upload(self, tensors) -> tuple[bytes, list[bytes], bytes]:
        """A client's FitRes tensors as a signed upload, checked as the members will check
        it (so one bad upload is dropped instead of failing the round). ValueError if bad."""
        if len(tensors) != self.n_cts + 2:
            raise ValueError(f"expected {self.n_cts} ciphertexts, a public key and a signature, got "
                             f"{len(tensors)} tensors")
        blobs, pk, sig = [bytes(t) for t in tensors[:-2]], bytes(tensors[-2]), bytes(tensors[-1])
        if self._pinned is not None and pk not in self._pinned:
            raise ValueError("the upload's client key is not pinned at the committee")
        try:
            Ed25519PublicKey.from_public_bytes(pk).verify(sig, upload_payload(self.key_id, self.round, blobs))
        except (InvalidSignature, ValueError):
            raise ValueError("the upload carries no valid signature for this round") from None
        mine = [Ciphertext.from_bytes(t, self.ctx) for t in blobs]
        if any(c.level != self.ctx.max_level or c.scale != self.ctx.scale for c in mine):
            raise ValueError("ciphertext at another level or scale than a fresh encryption")
        return pk, blobs, sig

    def aggregate_fit(self, server_round, results, failures):
        accepted, rejected, uploads, keys = [], {}, [], set()
        for proxy, res in results:
            if res.parameters.tensor_type != CKKS_TENSOR_TYPE:
                rejected[proxy.cid] = f"expected tensor type {CKKS_TENSOR_TYPE}"
                continue
            try:
                up = self._check_upload(res.parameters.tensors)
                if up[0] in keys:
                    raise ValueError("a second upload from the same client key")
            except ValueError as err:
                rejected[proxy.cid] = str(err)
                continue
            keys.add(up[0])
            accepted.append(proxy.cid)
            uploads.append(up)
        entry = {"round": server_round, "clients": accepted, "rejected": rejected, "failures": len(failures),
                 "failed": failure_reasons(failures)}
        self.history.append(entry)
        if len(accepted) < self.min_clients:
            entry["error"] = f"too few valid updates; expected >= {self.min_clients}, got {len(accepted)}"
            return self.keep_model(server_round, {"clients": len(accepted)}, failures)
        total = np.asarray(self.decrypt(uploads, self.round))[: self.vec_dim]
        return self.apply_sum(total, len(accepted), self.n_clients, entry, {"clients": len(accepted)}, server_round,
                              failures)


register(ClientProtocol(CKKS_MODE, CKKS_TENSOR_TYPE, lambda cfg: int(cfg["pyppml_n"]), ckks_client_fit))

__all__ = ["CkksStrategy", "check_ckks_round", "ckks_client_fit"]
