"""The client's step of a one-time CKKS round inside Flower (the server side, trust model
and protocol in :mod:`pyppml.fl.flower.onetime`): read and check the round config the
server sent, compare it with the node's pin before building anything, train, and upload
the clipped, weighted (optionally noised) delta under a fresh one-time key. Registered as
the ``ckks-onetime`` :class:`pyppml.fl.flower.common.ClientProtocol`.
"""

from __future__ import annotations

import hmac
import math

import numpy as np
from flwr.common import Code, FitRes, Parameters, Status

from pyppml.fl.ckks.onetime import OneTimeClient
from pyppml.fl.common import agreement
from pyppml.fl.common.errors import ParameterError, ProtocolError
from pyppml.fl.flower.common import ClientProtocol, failed_fit, register
from pyppml.fl.flower.config import MAX_CLIENTS, config_bytes, config_float, config_int, config_round
from pyppml.fl.flower.onetime_pin import U63, config_pin, params_from_config, split_keys
from pyppml.fl.flower.updates import add_client_noise, client_update, sum_width

ONETIME_MODE = "ckks-onetime"
ONETIME_TENSOR_TYPE = "pyppml-ckks-onetime"
MAX_SESSIONS = 64  # sessions whose last round a client remembers


def _fail(err: Exception) -> FitRes:
    return failed_fit(err, ONETIME_TENSOR_TYPE)


def onetime_client_fit(state, cfg, glob: list[np.ndarray], train) -> FitRes:
    """The client's step of a :class:`pyppml.fl.flower.onetime.OneTimeCkksStrategy` round
    (:class:`pyppml.fl.flower.common.ClientProtocol`): check the config, train
    (``train(glob) -> (weights, num_examples)``), and upload the clipped, weighted delta
    (``(w delta, w clip)``; with DP ``w delta`` plus the client's grid noise share)
    under a fresh one-time key.

    The client refuses a round that is not newer than its last one in the session (kept
    in ``state.live``) and, with a pin (``state.committee_keys``, see
    :func:`pyppml.fl.flower.onetime_pin.committee_pin`), before training, any config whose plan, committee keys or DP
    settings differ from the pinned ones. Errors (also a ``num_examples`` out of range)
    become a FitRes with a non-OK status.
    """
    last_rounds = state.live.setdefault(ONETIME_MODE, {})  # session -> last round uploaded
    pinned = state.committee_keys
    try:
        if pinned is not None and not hmac.compare_digest(config_pin(cfg), pinned):
            raise ProtocolError("pyppml onetime client: the plan differs from the pinned one; expected the plan, "
                                "committee keys and DP settings this node was given out of band")
        rnd = config_round(cfg)  # u32, checked before anything is built or trained
        params = params_from_config(cfg)
        dim, weighted = config_int(cfg, "pyppml_dim", 1, U63), bool(cfg.get("pyppml_weighted", False))
        clip, nm = config_float(cfg, "pyppml_clip"), config_float(cfg, "pyppml_noise")
        if params.dim != sum_width(dim, weighted, nm):
            raise ParameterError(f"pyppml onetime client: the plan's dim does not match the model; expected "
                                 f"{sum_width(dim, weighted, nm)}, got {params.dim}")
        if not 0 < clip <= params.max_abs_value or not (math.isfinite(nm) and nm >= 0):
            raise ParameterError(f"pyppml onetime client: clip or noise is out of range; expected 0 < clip <= "
                                 f"max_abs_value {params.max_abs_value} and noise >= 0, got {clip}, {nm}")
        session = params.session
        last = last_rounds.get(session, 0)
        if rnd <= last:
            raise ProtocolError(f"pyppml onetime client: round is stale; expected > {last}, got {rnd}")
        index, identity = config_int(cfg, "pyppml_index", 0, params.n_clients - 1), None
        pinned_clients = config_bytes(cfg, "pyppml_ot_client_keys", 32 * params.n_clients, default=b"")
        if pinned_clients:  # signed round: this client's index is its key's place in the list
            if state.identity_key is None:
                raise ParameterError("pyppml onetime client: identity_key is missing; expected the client's Ed25519 "
                                     "key pinned at the committee (SecAggNumPyClient(identity_key=...) or node "
                                     "config pyppml-identity-key)")
            own = agreement.raw_public(state.identity_key)
            found = [k for k, key in enumerate(split_keys(pinned_clients)) if key == own]
            if len(pinned_clients) % 32 or not found:
                raise ProtocolError("pyppml onetime client: identity key is not among the round's client keys; "
                                    "expected the committee's list of pinned client keys to hold it")
            index, identity = found[0], state.identity_key
        client = OneTimeClient(index, params, split_keys(config_bytes(cfg, "pyppml_ot_keys", 32 * params.members)),
                               identity)
        client.last_round = last  # upload refuses rounds <= last as well
    except (ValueError, KeyError, TypeError) as err:  # a bad config: refuse before training
        return _fail(err if isinstance(err, ValueError) else ProtocolError(f"pyppml onetime client: config is "
                                                                           f"malformed; {type(err).__name__}: {err}"))
    new, num_examples = train(glob)
    try:
        vec = client_update(cfg, glob, new, num_examples, params.dim, state.clip_reports)
        if nm > 0:  # on the (weighted) numerator only, rounded to the grid first (see flower.ckks)
            vec = add_client_noise(vec, dim, nm, clip, params.n_clients)
        upload = client.upload(rnd, vec)
    except ValueError as err:  # ParameterError and ProtocolError too
        return _fail(err)
    last_rounds.pop(session, None)
    last_rounds[session] = rnd
    while len(last_rounds) > MAX_SESSIONS:
        last_rounds.pop(next(iter(last_rounds)))
    return FitRes(Status(Code.OK, ""), Parameters([upload], ONETIME_TENSOR_TYPE), 1, {})


register(ClientProtocol(ONETIME_MODE, ONETIME_TENSOR_TYPE, lambda cfg: config_int(cfg, "pyppml_n", 2, MAX_CLIENTS),
                        onetime_client_fit, lambda cfg: config_int(cfg, "pyppml_ot_min_clients", 0, MAX_CLIENTS)))

__all__ = ["ONETIME_MODE", "ONETIME_TENSOR_TYPE", "onetime_client_fit"]
