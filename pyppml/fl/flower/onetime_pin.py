"""The one-time plan as a Flower client pins it: the plan a FitIns config describes, and
its 40-byte pin (plan digest, committee keys, model size, DP and weighting settings),
which a client compares with the one it was given out of band before it trains."""

from __future__ import annotations

import hashlib
import struct

from pyppml.fl.ckks.onetime import OneTimeParams
from pyppml.fl.common.errors import ParameterError
from pyppml.fl.flower.common import PIN_MAGIC

SECURITY_LEVELS = (128, 192, 256)  # what clients accept (a server cannot downgrade them to None)


def params_from_config(cfg) -> OneTimeParams:
    security = int(cfg["pyppml_ot_security"])
    if security not in SECURITY_LEVELS:
        raise ParameterError(f"pyppml onetime client: security is out of range; expected one of {SECURITY_LEVELS}, "
                             f"got {security}")
    signing = bytes(cfg.get("pyppml_ot_signing_keys", b""))
    if len(signing) % 32:
        raise ParameterError(f"pyppml onetime client: pyppml_ot_signing_keys is malformed; expected 32 bytes per "
                             f"member, got {len(signing)} bytes")
    keys = tuple(signing[k:k + 32] for k in range(0, len(signing), 32)) or None
    return OneTimeParams(int(cfg["pyppml_n"]), int(cfg["pyppml_ot_dim"]), members=int(cfg["pyppml_ot_members"]),
                         threshold=int(cfg["pyppml_ot_threshold"]), poly_degree=int(cfg["pyppml_ot_poly_degree"]),
                         precision_bits=int(cfg["pyppml_ot_precision_bits"]),
                         max_abs_value=float(cfg["pyppml_ot_max_abs"]),
                         min_clients=int(cfg["pyppml_ot_min_clients"]), session=bytes(cfg["pyppml_ot_session"]),
                         security=security, member_signing_keys=keys)


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
    keys = b"".join(bytes(k) for k in member_keys)
    body = struct.pack("<QddBQI", int(dim), float(clip), float(noise_multiplier), bool(weighted),
                       int(max_examples), len(keys))
    return PIN_MAGIC + hashlib.sha256(b"pyppml-fl onetime pin" + params.digest + body + keys).digest()


def config_pin(cfg) -> bytes:
    """:func:`committee_pin` of the plan a FitIns config describes.

    Raises
    ------
    ValueError, KeyError, TypeError
        A config that does not describe a valid plan.
    """
    return committee_pin(params_from_config(cfg), split_keys(bytes(cfg["pyppml_ot_keys"])), int(cfg["pyppml_dim"]),
                         float(cfg["pyppml_clip"]), float(cfg["pyppml_noise"]), bool(cfg.get("pyppml_weighted", False)),
                         int(cfg.get("pyppml_max_examples", 0)))


def split_keys(blob: bytes) -> list[bytes]:
    return [blob[k:k + 32] for k in range(0, len(blob), 32)]
