"""Bytes and pickle for BFV objects (format: csrc/he/rlwe/serialization.hpp; the context
container is the one of pyppml.ckks.serialization). Every loader validates; malformed,
truncated, extended or foreign bytes raise ``pyppml.FormatError``. The secret key never
pickles; it leaves only through ``Context.export_secret_key()``.
"""

from __future__ import annotations

from pyppml._core import FormatError, ParameterError
from pyppml._core import he as _he
from pyppml.ckks.serialization import _bytes, context_to_bytes  # noqa: F401 (same container)


def dump(obj) -> bytes:
    return _he.save(obj.context._native, obj._native)


def load_ciphertext(data: bytes, context):
    from pyppml.bfv.ciphertext import Ciphertext

    return Ciphertext(context, _he.load_ciphertext(context._native, _bytes(data)))


def load_plaintext(data: bytes, context):
    from pyppml.bfv.ciphertext import Plaintext

    native = _he.load_plaintext(context._native, _bytes(data))
    try:
        context._bfv.check_plaintext(native)
    except ParameterError as e:
        raise FormatError(f"Plaintext.from_bytes: data is not a BFV plaintext of this context; expected {e}") from None
    return Plaintext(context, native)


def restore(kind: str, data: bytes, context):
    return {"ciphertext": load_ciphertext, "plaintext": load_plaintext}[kind](data, context)


def context_from_bytes(data: bytes):
    from pyppml.bfv.context import Context

    data = _bytes(data)
    if data[:8] != b"PPMLCTX1":
        raise FormatError("Context.from_bytes: data is not a pyppml context; expected magic 'PPMLCTX1', got other bytes")
    parts, pos = [], 8
    for _ in range(4):
        if pos + 8 > len(data):
            raise FormatError(f"Context.from_bytes: data is truncated; expected a length field at byte {pos}, got {len(data)} bytes")
        size = int.from_bytes(data[pos:pos + 8], "little")
        pos += 8
        if size > len(data) - pos:
            raise FormatError(f"Context.from_bytes: data is truncated; expected {size} more bytes, got {len(data) - pos}")
        parts.append(data[pos:pos + size])
        pos += size
    if pos != len(data):
        raise FormatError(f"Context.from_bytes: data has trailing bytes; expected {pos} bytes, got {len(data)}")
    native = _he.load_params(parts[0])
    if native.scheme != "bfv":
        raise FormatError(f"Context.from_bytes: data holds another scheme; expected 'bfv', got {native.scheme!r}")
    try:
        ctx = Context(_native=native)
    except ParameterError as e:
        raise FormatError(f"Context.from_bytes: data has invalid BFV parameters; expected valid ones, got: {e}") from None
    if parts[1]:
        ctx.public_key = _he.load_public_key(native, parts[1])
    if parts[2]:
        ctx.relin_key = _he.load_relin_key(native, parts[2])
    if parts[3]:
        ctx.galois_keys = _he.load_galois_keys(native, parts[3])
    ids = {k.key_id for k in (ctx.public_key, ctx.relin_key, ctx.galois_keys) if k is not None}
    if len(ids) > 1:
        raise FormatError("Context.from_bytes: data mixes keys of different key sets; expected one key id, got several")
    return ctx
