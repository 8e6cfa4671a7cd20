"""Bytes and pickle for CKKS objects (format: csrc/he/rlwe/serialization.hpp).

Every object pickles except the secret key: ``Context`` pickles as its parameters and
public keys only; the secret key travels only through ``Context.export_secret_key()``.
Malformed, truncated, extended or foreign bytes raise ``pyppml.FormatError`` (a
``ValueError``).
"""

from __future__ import annotations

from pyppml._core import FormatError
from pyppml._core import he as _he


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
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError(f"from_bytes: data has the wrong type; expected bytes, got {type(data).__name__}")
    return bytes(data)


def context_to_bytes(ctx, include_public_keys: bool = True) -> bytes:
    """Parameters (+ public, relinearization and Galois keys), never the secret key."""
    parts = [_he.save_params(ctx._native)]
    for key in (ctx.public_key, ctx.relin_key, ctx.galois_keys):
        parts.append(_he.save(ctx._native, key) if include_public_keys and key is not None else b"")
    out = bytearray(b"PPMLCTX1")
    for p in parts:
        out += len(p).to_bytes(8, "little") + p
    return bytes(out)


def context_from_bytes(data: bytes, scale: float | None = None):
    from pyppml.ckks.context import Context

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
    if native.scheme != "ckks":
        raise FormatError(f"Context.from_bytes: data holds another scheme; expected 'ckks', got {native.scheme!r}")
    ctx = Context(_native=native)
    if scale is not None:
        ctx.scale = scale
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
