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

    return Ciphertext(context, _he.load_ciphertext(context._native, _bytes(data)))


def load_plaintext(data: bytes, context):
    from pyppml.ckks.ciphertext import Plaintext

    return Plaintext(context, _he.load_plaintext(context._native, _bytes(data)))


def restore(kind: str, data: bytes, context):
    return {"ciphertext": load_ciphertext, "plaintext": load_plaintext}[kind](data, context)


def _bytes(data) -> bytes:
    return as_bytes(data)


def context_to_bytes(ctx, include_public_keys: bool = True) -> bytes:
    """The shared container, with the default scale as the extra part."""
    return _rlwe.context_to_bytes(ctx, include_public_keys, struct.pack("<d", ctx.scale))


def _make_context(native, extra: bytes):
    from pyppml.ckks.context import Context

    ctx = Context(_native=native)
    if len(extra) != 8:
        raise FormatError(f"Context.from_bytes: data has a wrong scale field; expected 8 bytes, got {len(extra)}")
    (scale,) = struct.unpack("<d", extra)
    if not (math.isfinite(scale) and scale > 0):
        raise FormatError(f"Context.from_bytes: data has an invalid scale; expected a positive finite number, got {scale}")
    ctx.scale = scale
    return ctx


# Defaults of Context.from_bytes for untrusted bytes: what the core builds for a context is
# bounded by these before anything is allocated (n = 32768 with 64 primes: about 100 MiB).
MIN_SECURITY = 128
MAX_POLY_DEGREE = 32768
MAX_PRIMES = 64


def check_context_limits(data, min_security=MIN_SECURITY, allow_insecure=False, max_poly_degree=MAX_POLY_DEGREE,
                         max_primes=MAX_PRIMES) -> None:
    """Apply the loading limits to the parameter part of context bytes before any table or
    key is built; shared by the CKKS and BFV loaders.

    The parameter part is the first length-prefixed part of ``pyppml._rlwe``'s container;
    bytes that cannot hold it are left to the container's own checks (FormatError).

    Raises
    ------
    FormatError
        The bytes ask for more than the limits: a security level below ``min_security``,
        a ring degree over ``max_poly_degree``, more than ``max_primes`` primes.
    ParameterError
        A limit is invalid (``min_security=None`` without ``allow_insecure=True``).
    """
    for name, value in (("max_poly_degree", max_poly_degree), ("max_primes", max_primes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ParameterError(f"Context.from_bytes: {name} is not a non-negative integer; expected an int, got {value!r}")
    data = as_bytes(data, "Context.from_bytes")
    size = int.from_bytes(data[8:16], "little") if len(data) >= 16 else -1
    if data[:8] == _rlwe._CONTEXT_MAGIC and 0 <= size <= len(data) - 16:
        _he.check_params(data[16:16 + size], min_security, bool(allow_insecure), max_poly_degree, max_primes)


def context_from_bytes(data: bytes, scale: float | None = None, *, min_security: int | None = MIN_SECURITY,
                       allow_insecure: bool = False, max_poly_degree: int = MAX_POLY_DEGREE,
                       max_primes: int = MAX_PRIMES):
    """``ckks.Context.from_bytes``: limits checked first (:func:`check_context_limits`)."""
    check_context_limits(data, min_security, allow_insecure, max_poly_degree, max_primes)
    ctx = _rlwe.context_from_bytes(data, "ckks", _make_context)
    if scale is not None:
        ctx.scale = scale
    return ctx
