"""The one-time plan as a Flower client pins it: the plan a FitIns config describes, and
its 40-byte pin (plan digest, committee keys, model size, DP and weighting settings),
which a client compares with the one it was given out of band before it trains."""

from __future__ import annotations

import hashlib
import struct

from pyppml.fl.ckks.onetime import OneTimeParams
from pyppml.fl.ckks.onetime.params import plan_digest
from pyppml.fl.common.errors import ParameterError
from pyppml.fl.flower.common import PIN_MAGIC
from pyppml.fl.flower.config import MAX_CLIENTS, config_bytes, config_float, config_int

SECURITY_LEVELS = (128, 192, 256)  # what clients accept (a server cannot downgrade them to None)
MAX_MEMBERS = 16  # OneTimeParams' bound; the members' keys are 32 bytes each
U32, U63 = (1 << 32) - 1, (1 << 63) - 1


def _plan_fields(cfg) -> dict:
    """The plan's fields as the config gives them (named as :func:`plan_digest`'s
    arguments), each checked for its type and the range of its field in the digest (the
    plan checks the rest when it is built)."""
    security = config_int(cfg, "pyppml_ot_security", 0, U32)
    if security not in SECURITY_LEVELS:
        raise ParameterError(f"pyppml onetime client: security is out of range; expected one of {SECURITY_LEVELS}, "
                             f"got {security}")
    signing = config_bytes(cfg, "pyppml_ot_signing_keys", 32 * MAX_MEMBERS, default=b"")
    if len(signing) % 32:
        raise ParameterError(f"pyppml onetime client: pyppml_ot_signing_keys is malformed; expected 32 bytes per "
                             f"member, got {len(signing)} bytes")
    return dict(n_clients=config_int(cfg, "pyppml_n", 2, MAX_CLIENTS),
                dim=config_int(cfg, "pyppml_ot_dim", 1, U63),
                members=config_int(cfg, "pyppml_ot_members", 1, MAX_MEMBERS),
                threshold=config_int(cfg, "pyppml_ot_threshold", 1, MAX_MEMBERS),
                poly_degree=config_int(cfg, "pyppml_ot_poly_degree", 1, U32),
                precision_bits=config_int(cfg, "pyppml_ot_precision_bits", 0, U32),
                max_abs_value=config_float(cfg, "pyppml_ot_max_abs"),
                min_clients=config_int(cfg, "pyppml_ot_min_clients", 2, U32),  # a sum of one is never a plan
                session=config_bytes(cfg, "pyppml_ot_session", 16, exact=16),
                security=security, signing_keys=signing)


def params_from_config(cfg) -> OneTimeParams:
    """The plan a FitIns config describes (its ring built: call after the pin matched).

    Raises
    ------
    ValueError, KeyError, TypeError
        A config that does not describe a valid plan.
    """
    f = _plan_fields(cfg)
    signing = f["signing_keys"]
    keys = tuple(signing[k:k + 32] for k in range(0, len(signing), 32)) or None
    return OneTimeParams(f["n_clients"], f["dim"], members=f["members"], threshold=f["threshold"],
                         poly_degree=f["poly_degree"], precision_bits=f["precision_bits"],
                         max_abs_value=f["max_abs_value"], min_clients=f["min_clients"], session=f["session"],
                         security=f["security"], member_signing_keys=keys)


def committee_pin(params: OneTimeParams, member_keys, dim: int, clip: float, noise_multiplier: float,
                  weighted: bool, max_examples: int) -> bytes:
    """The 40-byte pin of a one-time plan as the clients apply it: the plan's digest
    (every :class:`OneTimeParams` field: clients, members, threshold, ring, precision,
    ``max_abs_value``, ``min_clients``, session, security, the members' signing keys), the
    members' X25519 keys, the model size, and the DP and weighting settings the client
    applies (``clip``, ``noise_multiplier``, ``weighted``, ``max_examples``).

    Examples
    --------
    >>> p = OneTimeParams(3, 8, members=2, poly_degree=2048, session=bytes(16))
    >>> pin = committee_pin(p, [bytes(32), bytes([1]) * 32], 8, 1.0, 0.0, False, 0)
    >>> len(pin), pin[:8]
    (40, b'PPOTPIN1')
    """
    return _pin(params.digest, b"".join(bytes(k) for k in member_keys), dim, clip, noise_multiplier, weighted,
                max_examples)


def _pin(digest: bytes, keys: bytes, dim: int, clip: float, noise_multiplier: float, weighted: bool,
         max_examples: int) -> bytes:
    body = struct.pack("<QddBQI", int(dim), float(clip), float(noise_multiplier), bool(weighted),
                       int(max_examples), len(keys))
    return PIN_MAGIC + hashlib.sha256(b"pyppml-fl onetime pin" + digest + body + keys).digest()


def config_pin(cfg) -> bytes:
    """:func:`committee_pin` of the plan a FitIns config describes, computed from the
    config's fields (each checked for type and length) without building the plan: a
    pinned client compares it before it builds anything from the config.

    Raises
    ------
    ValueError, KeyError, TypeError
        A config that does not describe a plan.
    """
    digest = plan_digest(**_plan_fields(cfg))
    keys = config_bytes(cfg, "pyppml_ot_keys", 32 * MAX_MEMBERS)
    return _pin(digest, keys, config_int(cfg, "pyppml_dim", 1, U63), config_float(cfg, "pyppml_clip"),
                config_float(cfg, "pyppml_noise"), bool(cfg.get("pyppml_weighted", False)),
                config_int(cfg, "pyppml_max_examples", 0, U63, default=0))


def split_keys(blob: bytes) -> list[bytes]:
    return [blob[k:k + 32] for k in range(0, len(blob), 32)]
