"""The file format of everything pyppml.ml persists (fitted models, key holders' files,
encrypted records and scores): a versioned, checksummed container of one JSON header
and length-prefixed binary parts.

Layout (little-endian)::

    b"PPMLML"            magic, 6 bytes
    version              u16 (FORMAT_VERSION)
    kind                 8 ASCII bytes, what the file holds ("LOGREG", "SECRETKY", ...)
    header length        u32, then the UTF-8 JSON header
    part count           u32, then for each part: u64 length, bytes
    SHA-256              32 bytes over everything before it

The digest is checked first, so a truncated or altered file is refused before any field
is read; every field is then checked again by its reader (a digest proves integrity, not
that the writer was honest). Every refusal is a ``pyppml.FormatError`` (a
``ValueError``) whose message names the kind and what was wrong, never a value of the
payload."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile

from pyppml._core import FormatError

MAGIC = b"PPMLML"
FORMAT_VERSION = 1
_DIGEST = 32
_PREFIX = len(MAGIC) + 2 + 8


def _kind_tag(kind: str) -> bytes:
    tag = kind.encode("ascii")
    if not 1 <= len(tag) <= 8:
        raise ValueError(f"container: kind is invalid; expected 1 to 8 ASCII characters, got {kind!r}")
    return tag.ljust(8, b"\0")


def pack(kind: str, header: dict, parts: list[bytes] = ()) -> bytes:
    """The container bytes of ``header`` (JSON-serializable, finite numbers) and ``parts``.

    Examples
    --------
    >>> data = pack("DEMO", {"a": 1}, [b"xyz"])
    >>> unpack(data, "DEMO", "demo")
    ({'a': 1}, [b'xyz'])
    """
    head = json.dumps(header, allow_nan=False).encode()
    out = [MAGIC, struct.pack("<H", FORMAT_VERSION), _kind_tag(kind), struct.pack("<I", len(head)), head,
           struct.pack("<I", len(parts))]
    for p in parts:
        p = bytes(p)
        out += [struct.pack("<Q", len(p)), p]
    body = b"".join(out)
    return body + hashlib.sha256(body).digest()


def unpack(data, kind: str, api: str) -> tuple[dict, list[bytes]]:
    """(header, parts) of ``pack`` output of this ``kind``.

    Raises
    ------
    FormatError
        not bytes, another format or kind, another version, a digest mismatch (truncated
        or altered), inconsistent lengths or trailing bytes, a header that is not a JSON
        object.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError(f"{api}: data has the wrong type; expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < _PREFIX + 8 + _DIGEST or data[:len(MAGIC)] != MAGIC:
        raise FormatError(f"{api}: data is not a pyppml.ml file; expected magic {MAGIC!r} and at least "
                          f"{_PREFIX + 8 + _DIGEST} bytes, got {len(data)} bytes of another format")
    (version,) = struct.unpack_from("<H", data, len(MAGIC))
    if version != FORMAT_VERSION:
        raise FormatError(f"{api}: data has another format version; expected {FORMAT_VERSION}, got {version} "
                          f"(written by another pyppml release)")
    got_kind = data[len(MAGIC) + 2:_PREFIX]
    if got_kind != _kind_tag(kind):
        got = got_kind.rstrip(b"\0").decode("ascii", "replace")
        raise FormatError(f"{api}: data holds another kind of object; expected {kind!r}, got {got!r}")
    body, digest = data[:-_DIGEST], data[-_DIGEST:]
    if hashlib.sha256(body).digest() != digest:
        raise FormatError(f"{api}: data is corrupted or truncated; expected {kind!r} bytes matching their SHA-256, "
                          f"got a mismatch ({len(data)} bytes)")
    try:
        pos = _PREFIX
        (hl,) = struct.unpack_from("<I", body, pos)
        pos += 4
        if hl > len(body) - pos:
            raise FormatError(f"{api}: data is malformed; expected a header of {hl} bytes, got {len(body) - pos}")
        header = json.loads(body[pos:pos + hl].decode("utf-8"))
        pos += hl
        (count,) = struct.unpack_from("<I", body, pos)
        pos += 4
        parts = []
        for _ in range(count):
            (size,) = struct.unpack_from("<Q", body, pos)
            pos += 8
            if size > len(body) - pos:
                raise FormatError(f"{api}: data is malformed; expected a part of {size} bytes, got {len(body) - pos}")
            parts.append(body[pos:pos + size])
            pos += size
    except FormatError:
        raise
    except (struct.error, ValueError, RecursionError) as exc:  # ValueError: bad UTF-8, JSON, ints past 4300 digits
        raise FormatError(f"{api}: data is malformed; expected a {kind!r} container, got {type(exc).__name__}") from None
    if pos != len(body):
        raise FormatError(f"{api}: data has trailing bytes; expected {pos + _DIGEST} bytes, got {len(data)}")
    if not isinstance(header, dict):
        raise FormatError(f"{api}: data is malformed; expected a JSON object as header, got {type(header).__name__}")
    return header, parts


def field(header: dict, name: str, types, api: str):
    """``header[name]`` if it is one of ``types`` (bool never passes for int)."""
    value = header.get(name)
    if value is None and type(None) in (types if isinstance(types, tuple) else (types,)):
        return None
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise FormatError(f"{api}: data has an invalid field {name!r}; expected {types}, got bool")
    if not isinstance(value, types):
        raise FormatError(f"{api}: data has an invalid field {name!r}; expected {types}, got {type(value).__name__}")
    return value


def write_file(path, data: bytes, secret: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (a reader sees the old file or the whole new
    one, never a partial one). ``secret``: readable by the owner only (mode 0600, from
    the start: the file is created that way), else 0644."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".ppml")   # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if not secret:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_file(path) -> bytes:
    with open(os.fspath(path), "rb") as f:
        return f.read()
