"""Bytes and pickle for CKKS objects (format: csrc/he/rlwe/serialization.hpp).

Every object pickles except the secret key: ``Context`` pickles as its parameters and
public keys only; the secret key travels only through ``Context.export_secret_key()``.
Malformed, truncated, extended or foreign bytes raise ``pyppml.FormatError`` (a
``ValueError``).
"""

from __future__ import annotations

import math
import struct

from pyppml import _rlwe
from pyppml._core import he as _he
from pyppml._core import FormatError, ParameterError
from pyppml._rlwe import as_bytes


def dump(obj) -> bytes:
    return _he.save(obj.context._native, obj._native)


def load_ciphertext(data: bytes, context):
    from pyppml.ckks.ciphertext import Ciphertext

    return _scale_checked(Ciphertext(context, _he.load_ciphertext(context._native, _bytes(data))), "Ciphertext")


def load_plaintext(data: bytes, context):
    from pyppml.ckks.ciphertext import Plaintext

    return _scale_checked(Plaintext(context, _he.load_plaintext(context._native, _bytes(data))), "Plaintext")


def _scale_checked(obj, kind: str):
    """A stored scale outside what arithmetic can produce, [min_scale, Q_l / 2], would
    decode to garbage: refused like any other malformed field."""
    from pyppml.ckks.scales import check_scale as _check_scale

    try:
        _check_scale(obj.context, f"{kind}.from_bytes", obj.scale, obj.level, "stored")
    except ParameterError as e:
        raise FormatError(str(e)) from None
    return obj


def restore(kind: str, data: bytes, context):
    return {"ciphertext": load_ciphertext, "plaintext": load_plaintext}[kind](data, context)


def _bytes(data) -> bytes:
    return as_bytes(data)


def context_to_bytes(ctx, include_public_keys: bool = True) -> bytes:
    """The shared container, with the default scale as the extra part."""
    from pyppml.ckks.bootstrap import serialization as boot

    extra = struct.pack("<d", ctx.scale) + (boot.dump(ctx) if include_public_keys or not ctx.is_bootstrappable
                                            else boot.dump_config_only(ctx))
    return _rlwe.context_to_bytes(ctx, include_public_keys, extra)


def _make_context(native, extra: bytes):
    from pyppml.ckks.context import Context

    from pyppml.ckks.bootstrap import serialization as boot

    ctx = Context(_native=native)
    if len(extra) < 8:
        raise FormatError(f"Context.from_bytes: data has a wrong scale field; expected 8 bytes, got {len(extra)}")
    (scale,) = struct.unpack("<d", extra[:8])
    if not (math.isfinite(scale) and scale > 0):
        raise FormatError(f"Context.from_bytes: data has an invalid scale; expected a positive finite number, got {scale}")
    ctx.scale = scale
    boot.load(ctx, extra[8:])
    return ctx


def context_from_bytes(data: bytes, scale: float | None = None, **limits):
    """``ckks.Context.from_bytes``; ``limits`` as :func:`pyppml._rlwe.context_from_bytes`."""
    ctx = _rlwe.context_from_bytes(data, "ckks", _make_context, **limits)
    if scale is not None:
        ctx.scale = scale
    return ctx
