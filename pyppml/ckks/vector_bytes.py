"""Bytes of a ``ckks.Vector``: a fixed header, then each ciphertext in the core's format
(``Ciphertext.to_bytes``, checksummed and checked against the context on load), then a
SHA-256 of everything before it (the header has no checksum of its own: one flipped bit of
the size loaded a vector of another length).

Layout (little-endian): magic ``PPMLVEC2`` (8 bytes), size (u64: the vector's length),
count (u32: ciphertexts, ceil(size / slots)), slots (u32), flags (u8: bit 0 zeros past
the end, bit 1 the value in every slot, only for size 1), 3 zero bytes; then ``count``
times a u64 byte length and that many bytes of one ciphertext; then the 32-byte digest.
Nothing may follow. ``PPMLVEC1`` bytes (the same without the digest) still load.
"""

from __future__ import annotations

import hashlib
import struct

from pyppml._core import FormatError
from pyppml._rlwe import as_bytes

MAGIC, MAGIC_V1 = b"PPMLVEC2", b"PPMLVEC1"
_HEADER = struct.Struct("<8sQIIB3s")
_DIGEST = 32
_ZERO_TAIL, _COPIES = 1, 2


def vector_to_bytes(vec) -> bytes:
    flags = (_ZERO_TAIL if vec._zero_tail else 0) | (_COPIES if vec._copies else 0)
    out = bytearray(_HEADER.pack(MAGIC, vec.size, vec.ciphertext_count, vec.context.slots, flags, b"\0\0\0"))
    for ct in vec.ciphertexts:
        data = ct.to_bytes()
        out += len(data).to_bytes(8, "little") + data
    return bytes(out + hashlib.sha256(out).digest())


def _fail(problem: str, expected: str, got) -> FormatError:
    return FormatError(f"Vector.from_bytes: data {problem}; expected {expected}, got {got}")


def vector_from_bytes(data, context):
    from pyppml.ckks.ciphertext import Ciphertext
    from pyppml.ckks.vector import Vector

    data = as_bytes(data, "Vector.from_bytes")
    if len(data) < _HEADER.size:
        raise _fail("is truncated", f"a header of {_HEADER.size} bytes", f"{len(data)} bytes")
    magic, size, count, slots, flags, reserved = _HEADER.unpack_from(data)
    if magic not in (MAGIC, MAGIC_V1):
        raise _fail("is not a pyppml vector", "magic 'PPMLVEC2' (or 'PPMLVEC1')", "other bytes")
    if magic == MAGIC:
        body, digest = data[:-_DIGEST], data[-_DIGEST:]
        if len(body) < _HEADER.size or hashlib.sha256(body).digest() != digest:
            raise _fail("is corrupted or truncated", "bytes matching their SHA-256", f"a mismatch ({len(data)} bytes)")
        data = body
    if slots != context.slots:
        raise _fail("was made for another ring", f"{context.slots} slots", slots)
    if size < 1 or count != -(-size // slots):
        raise _fail("has an inconsistent header", f"ceil(size / {slots}) ciphertexts for size {size}", count)
    if flags & ~(_ZERO_TAIL | _COPIES) or reserved != b"\0\0\0" or (flags & _COPIES and size != 1):
        raise _fail("has invalid layout flags", "bits 0-1 (bit 1 only for size 1) and zero padding", flags)
    # Each ciphertext needs at least its 8-byte length: a huge count fails here, before any loop.
    if count * 8 > len(data) - _HEADER.size:
        raise _fail("is truncated", f"at least {count * 8} more bytes for {count} ciphertexts", len(data) - _HEADER.size)
    pos, chunks = _HEADER.size, []
    for k in range(count):
        if pos + 8 > len(data):
            raise _fail("is truncated", f"a length field at byte {pos}", f"{len(data)} bytes")
        n = int.from_bytes(data[pos:pos + 8], "little")
        pos += 8
        if n > len(data) - pos:
            raise _fail("is truncated", f"{n} bytes for ciphertext {k}", len(data) - pos)
        try:
            chunks.append(Ciphertext.from_bytes(data[pos:pos + n], context))
        except FormatError as e:
            raise _fail(f"holds an invalid ciphertext {k}", "a ciphertext of this context", str(e)) from None
        pos += n
    if pos != len(data):
        raise _fail("has trailing bytes", f"{pos} bytes", len(data))
    return Vector(context, chunks, size, zero_tail=bool(flags & _ZERO_TAIL), copies=bool(flags & _COPIES))
