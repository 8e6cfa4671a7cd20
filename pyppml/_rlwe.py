"""What the CKKS and BFV contexts share: the native parameter set, the key set (secret,
public, relinearization, Galois keys), their checks and their serialization. Each
scheme's Context adds its encoding, encryption and operations on top (one level of
inheritance, as in ../shared/STYLE.md)."""

from __future__ import annotations

import importlib
import numbers
import pickle
import warnings
from typing import Iterable

import numpy as np

from pyppml._core import FormatError, MismatchError, ParameterError
from pyppml._core import he as _he


def native_context(scheme: str, poly_degree: int, q_bits: list[int], p_bits: list[int], dnum: int,
                   security: int | None, standard: str, plain_modulus: int = 0):
    """The core's context for these prime sizes (SEAL's prime choice), checked against the
    security table unless ``security`` is None (which warns)."""
    if security is None:
        warnings.warn(f"pyppml.{scheme}.Context: security=None, the modulus is not checked against any security table",
                      stacklevel=3)
    primes = _he.select_primes(poly_degree, list(q_bits) + list(p_bits))
    return _he.Context(scheme, poly_degree, primes[: len(q_bits)], primes[len(q_bits):], dnum,
                       0 if security is None else int(security), str(standard), int(plain_modulus))


def as_scalar(value):
    """``value`` as a Python number when it is one, or a 0-d or 1-element 1-D numeric
    array (operators broadcast these to every slot); None for anything else."""
    if isinstance(value, numbers.Number):
        return value
    arr = np.asarray(value)
    if arr.size == 1 and arr.ndim <= 1 and (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return arr.reshape(()).item()
    return None


def rotation_steps(steps, api: str) -> int:
    """``steps`` as an int; a fractional or non-numeric step count is refused (int()
    would truncate 1.5 to a rotation by 1)."""
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise ParameterError(f"{api}: steps is not an integer; expected an integral number of slots, got {steps!r}")
    return int(steps)


def checked_rotations(rotations, api: str) -> list[int] | None:
    """``rotations`` as a list of ints (None stays None), every entry checked: a keygen()
    checks them all before it replaces any key."""
    if rotations is None:
        return None
    if isinstance(rotations, (str, bytes)) or not isinstance(rotations, Iterable):
        raise ParameterError(f"{api}: rotations is not a list of steps; expected an iterable of integers, "
                             f"got {type(rotations).__name__}")
    return [rotation_steps(r, api) for r in rotations]


def signed_powers_of_two(period: int) -> list[int]:
    """1, -1, 2, -2, ... below `period`: the default rotation keys."""
    out, k = [], 1
    while k < period:
        out += [k, -k]
        k <<= 1
    return out


# ---------------------------------------------------------------------- pickle protocol 5
# Serialized bodies at least this large travel as out-of-band buffers under protocol 5
# (Dask, Ray and multiprocessing.shared_memory then move them without a copy into the
# pickle stream); smaller ones stay in-band.
OUT_OF_BAND_MIN_BYTES = 4096


def reduce_out_of_band(reduced, protocol: int):
    """``reduced`` (a ``__reduce__`` tuple whose arguments may hold serialized bytes) for
    ``protocol``: unchanged below 5; from 5 on, every large ``bytes`` argument becomes a
    :class:`pickle.PickleBuffer`, restored by :func:`_restore_out_of_band`. What pickles
    is exactly what ``__reduce__`` chose (never the secret key); only the framing changes."""
    if protocol < 5:
        return reduced
    fn, args = reduced[0], reduced[1]
    slots = tuple(i for i, a in enumerate(args) if isinstance(a, bytes) and len(a) >= OUT_OF_BAND_MIN_BYTES)
    if not slots:
        return reduced
    wrapped = tuple(pickle.PickleBuffer(a) if i in slots else a for i, a in enumerate(args))
    return (_restore_out_of_band, (fn, slots, wrapped)) + tuple(reduced[2:])


def _restore_out_of_band(fn, slots, args):
    """Unpickle: the buffers come back as whatever the transport holds (bytes, a
    PickleBuffer, a memoryview of a received frame); the loaders take bytes."""
    args = tuple(bytes(memoryview(a)) if i in slots and not isinstance(a, bytes) else a for i, a in enumerate(args))
    return fn(*args)


class ReleaseCount:
    """The flooded releases made under one secret key (CKKS ``decrypt_for_release``) and
    the ``max_releases`` they were planned for: a view of the core's count, one per key
    in the process (``ckks::release_count``), shared by every Context that holds the key,
    its views (``Context.to(device)``), a re-import of the exported key and a second load
    of the owner's file, so tau counts the key, not the object. The core counts each
    release as it decrypts it. The C library (``libpyppml_capi``) holds its own copy of
    the core and its own count (docs/capi.md): releases made through it in the same
    process are not counted here, nor these there."""

    __slots__ = ("_fingerprint", "_key_id")

    def __init__(self, fingerprint: int, key_id: int):
        self._fingerprint, self._key_id = int(fingerprint), int(key_id)

    @property
    def made(self) -> int:
        return _he.release_count(self._fingerprint, self._key_id)[0]

    @property
    def limit(self) -> int | None:
        return _he.release_count(self._fingerprint, self._key_id)[1]


def release_count(fingerprint: int, key_id: int, made: int = 0, limit: int | None = None) -> ReleaseCount:
    """The release count of the secret key ``key_id`` in this process. ``made`` and
    ``limit`` (a count stored with the key, as the owner's file keeps it) raise a count
    that is lower; they never lower one."""
    _he.raise_release_count(int(fingerprint), int(key_id), int(made), limit)
    return ReleaseCount(fingerprint, key_id)


class RlweContext:
    """Base of ``ckks.Context`` and ``bfv.Context``: parameters and the key set."""

    def __reduce_ex__(self, protocol):
        # The scheme's __reduce__ decides what pickles (parameters and public keys, never
        # the secret key); protocol 5 sends those bytes out of band.
        return reduce_out_of_band(self.__reduce__(), protocol)

    def __init__(self, native):
        self._native = native
        self.secret_key = None
        self.public_key = None
        self.relin_key = None
        self.galois_keys = None
        # Key-switching keys without their a-halves (regenerated from the seed in key
        # switching): half the memory; see docs/key-switching.md.
        self.compact_keys = False

    # ------------------------------------------------------------------ parameters
    @property
    def poly_degree(self) -> int:
        return self._native.n

    @property
    def max_level(self) -> int:
        return self._native.max_level

    @property
    def coeff_moduli(self) -> list[int]:
        return list(self._native.q)

    @property
    def special_moduli(self) -> list[int]:
        return list(self._native.p)

    @property
    def log_qp(self) -> float:
        return self._native.log_qp

    @property
    def security(self) -> int | None:
        return self._native.security or None

    @property
    def fingerprint(self) -> int:
        return self._native.fingerprint

    @property
    def is_private(self) -> bool:
        """True when this context holds the secret key."""
        return self.secret_key is not None

    # ------------------------------------------------------------------ keys
    def _generate_keys(self, relin: bool) -> None:
        n = self._native
        self.secret_key = n.keygen_secret()
        self.public_key = n.keygen_public(self.secret_key)
        self.relin_key = n.keygen_relin(self.secret_key, compact=self._relin_compact()) if relin else None
        self.galois_keys = None

    def _relin_compact(self) -> bool:
        """Whether the relinearization key goes without its a-halves. A bootstrappable
        context keeps it expanded: a bootstrap uses it 32 times (regenerating its a-halves
        cost 5% of a bootstrap at 2^16) and it is 1/60 of the keys."""
        return self.compact_keys and not getattr(self, "is_bootstrappable", False)

    def _rotation_keys(self, rotations: Iterable[int] | None, period: int, extra_element: int | None) -> None:
        """Galois keys for slot rotations (mod `period`; default ± every power of two,
        which reach any rotation in log2(period) steps) plus one extra automorphism
        (CKKS conjugation, BFV row swap)."""
        rotations = checked_rotations(rotations, "generate_rotation_keys")
        if rotations is None:
            rotations = signed_powers_of_two(period)
        elements = {self.galois_element(r) for r in rotations if r % period}
        if extra_element is not None:
            elements.add(extra_element)
        self._add_galois_keys(elements)

    def _add_galois_keys(self, elements: Iterable[int]) -> None:
        """Galois keys for these elements, keeping the ones already generated."""
        self._require_secret("generate_rotation_keys")
        elements = set(elements)
        existing = set(self.galois_keys.elements) if self.galois_keys is not None else set()
        if self.galois_keys is None or elements - existing:
            self.galois_keys = self._native.keygen_galois(self.secret_key, sorted(existing | elements),
                                                          compact=self.compact_keys)

    def make_public(self):
        """A copy without the secret key, to send to a computing party."""
        pub = type(self)(_native=self._native)
        pub.public_key, pub.relin_key, pub.galois_keys = self.public_key, self.relin_key, self.galois_keys
        pub.compact_keys = self.compact_keys
        return pub

    def _require_secret(self, api: str) -> None:
        """A received public context (``from_bytes``, ``make_public``) has keys but no
        secret key: the remedy is to import it, not to make new keys."""
        if self.secret_key is not None:
            return
        if self.public_key is None:
            raise ParameterError(f"{api}: context has no secret key; expected the key owner's context (call keygen() "
                                 "first), got a context without keys")
        raise ParameterError(f"{api}: context has no secret key; expected the key owner's context: import the secret "
                             "key with import_secret_key(owner_ctx.export_secret_key()) (keygen() would make new keys "
                             "that cannot decrypt these ciphertexts), got a public context")

    def _check(self, ct, api: str) -> None:
        if not isinstance(ct, RlweObject) or not hasattr(ct, "level"):
            raise ParameterError(f"{api}: ciphertext has the wrong type; expected a Ciphertext, got {type(ct).__name__}")
        if ct.context._native.fingerprint != self._native.fingerprint:
            raise MismatchError(f"{api}: ciphertext belongs to other parameters; expected fingerprint {self.fingerprint}, got {ct.context.fingerprint}")

    # ------------------------------------------------------------------ key bytes
    def export_secret_key(self) -> bytes:
        """The secret key as bytes: the only way it leaves this process. Keep it secret."""
        self._require_secret("export_secret_key")
        return _he.export_secret_key(self._native, self.secret_key)

    def import_secret_key(self, data: bytes) -> None:
        sk = _he.import_secret_key(self._native, bytes(data))
        if self.public_key is not None and sk.key_id != self.public_key.key_id:
            raise MismatchError("import_secret_key: data is the key of another key set; expected the secret key of this context's public key, got another")
        if self.public_key is not None and not _he.secret_matches_public(self._native, sk, self.public_key):
            # The key id is a header field: a forged key (0, -s) kept it and decrypted garbage.
            raise MismatchError("import_secret_key: data is not the secret key of this context's public key; "
                                "expected b + a s to be the public key's small error, got another residue")
        self.secret_key = sk  # its release count is the key's (release_count): a re-import keeps it

    def key_to_bytes(self, key) -> bytes:
        """Bytes of a public, relinearization or Galois key of this context."""
        if isinstance(key, _he.SecretKey):
            raise ParameterError("key_to_bytes: key is the secret key; expected a public, relinearization or Galois key (use export_secret_key), got SecretKey")
        return _he.save(self._native, key)

    def key_from_bytes(self, data: bytes):
        """A key saved by key_to_bytes, validated against this context's parameters."""
        loaders = {4: _he.load_public_key, 5: _he.load_relin_key, 6: _he.load_galois_keys}
        kind = _he.peek_kind(bytes(data))
        if kind not in loaders:
            raise FormatError(f"key_from_bytes: data is not a public key; expected kind 4, 5 or 6, got {kind}")
        if kind == 4:
            key = loaders[kind](self._native, bytes(data))
        else:
            key = loaders[kind](self._native, bytes(data), compact=self._relin_compact() if kind == 5 else self.compact_keys)
        own = next((k.key_id for k in (self.secret_key, self.public_key) if k is not None), None)
        if own is not None and key.key_id != own:
            # Refused here, not at its first use (as Ciphertext.from_bytes refuses another key set's).
            raise MismatchError("key_from_bytes: data is a key of another key set; expected this context's key id, "
                                "got another")
        return key


# ---------------------------------------------------------------------- context bytes
_CONTEXT_MAGIC = b"PPMLCTX2"  # 2: a checksum trailer, as every object of the core format


def as_bytes(data, api: str = "from_bytes") -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError(f"{api}: data has the wrong type; expected bytes, got {type(data).__name__}")
    return bytes(data)


def context_to_bytes(ctx: RlweContext, include_public_keys: bool = True, extra: bytes = b"") -> bytes:
    """Parameters (+ public, relinearization and Galois keys), never the secret key, and
    the scheme's extra settings (CKKS: the default scale): the magic, then five
    length-prefixed parts."""
    parts = [_he.save_params(ctx._native)]
    for key in (ctx.public_key, ctx.relin_key, ctx.galois_keys):
        parts.append(_he.save(ctx._native, key) if include_public_keys and key is not None else b"")
    parts.append(bytes(extra))
    out = bytearray(_CONTEXT_MAGIC)
    for p in parts:
        out += len(p).to_bytes(8, "little") + p
    out += _he.checksum(bytes(out)).to_bytes(8, "little")  # the extra part has no other check
    return bytes(out)


# Defaults of Context.from_bytes for untrusted bytes: what the core builds for a context is
# bounded by these before anything is allocated (n = 32768 with 64 primes: about 100 MiB).
MIN_SECURITY = 128
MAX_POLY_DEGREE = 32768
MAX_PRIMES = 64
# Pickles are trusted input (unpickling runs code anyway): any context the core can build.
TRUSTED_LIMITS = {"min_security": None, "allow_insecure": True, "max_poly_degree": 1 << 17, "max_primes": 256,
                  "security_standard": "2018"}


def context_from_bytes(data, scheme: str, make_context, *, min_security: int | None = MIN_SECURITY,
                       allow_insecure: bool = False, max_poly_degree: int = MAX_POLY_DEGREE,
                       max_primes: int = MAX_PRIMES, security_standard: str = "2024"):
    """Parse context_to_bytes output for `scheme`; make_context(native, extra) builds the
    scheme's Context, whose keys are then loaded and checked to be one key set.

    The limits (security level at least ``min_security``, None only with
    ``allow_insecure``; the parameters within ``security_standard``'s table whatever table
    the bytes name, "2018" also accepting the 2018 table; ring degree and prime count caps)
    are applied by the core while it parses the parameters, before any prime is tested or
    any table or key is built.

    Raises
    ------
    FormatError
        Malformed bytes, or bytes over a limit.
    ParameterError
        An invalid limit (``min_security=None`` without ``allow_insecure=True``, an
        unknown ``security_standard``).
    """
    for name, value in (("max_poly_degree", max_poly_degree), ("max_primes", max_primes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ParameterError(f"Context.from_bytes: {name} is not a non-negative integer; expected an int, got {value!r}")
    data = as_bytes(data, "Context.from_bytes")
    if data[:8] != _CONTEXT_MAGIC:
        raise FormatError("Context.from_bytes: data is not a pyppml context; expected magic 'PPMLCTX2', got other bytes")
    if len(data) < 16 or _he.checksum(data[:-8]) != int.from_bytes(data[-8:], "little"):
        raise FormatError("Context.from_bytes: data is corrupted; expected bytes matching their checksum, got a mismatch")
    data = data[:-8]
    parts, pos = [], 8
    for _ in range(5):
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
    native = _he.load_params(parts[0], min_security, bool(allow_insecure), max_poly_degree, max_primes,
                             security_standard)
    if native.scheme != scheme:
        raise FormatError(f"Context.from_bytes: data holds another scheme; expected {scheme!r}, got {native.scheme!r}")
    try:
        ctx = make_context(native, parts[4])
    except ParameterError as e:
        raise FormatError(f"Context.from_bytes: data has invalid {scheme} parameters; expected valid ones, got: {e}") from None
    # A bootstrappable context's keys (gigabytes at 2^16) arrive compact, as they were made.
    ctx.compact_keys = bool(getattr(ctx, "is_bootstrappable", False))
    keys = [_he.load_public_key(native, parts[1]) if parts[1] else None]
    keys += [load(native, part, compact=compact) if part else None
             for load, part, compact in zip((_he.load_relin_key, _he.load_galois_keys), parts[2:4],
                                            (ctx._relin_compact(), ctx.compact_keys))]
    ctx.public_key, ctx.relin_key, ctx.galois_keys = keys
    keys += list(getattr(ctx, "_bootstrap_keys", None) or ())  # refused here, not at the first bootstrap
    if len({k.key_id for k in keys if k is not None}) > 1:
        raise FormatError("Context.from_bytes: data mixes keys of different key sets; expected one key id, got several")
    return ctx


# ---------------------------------------------------------------------- objects
class RlweObject:
    """A native plaintext or ciphertext bound to its Python context; bytes and pickle
    through the scheme's ``serialization`` module (``load_<kind>``, ``restore``)."""

    __slots__ = ("context", "_native")
    _kind = ""  # "plaintext" or "ciphertext"

    def __init__(self, context, native):
        self.context = context
        self._native = native

    @property
    def level(self) -> int:
        return self._native.level

    @property
    def _ctx(self):
        return self.context._native

    def _wrap(self, native):
        return type(self)(self.context, native)

    @classmethod
    def _serialization(cls):
        return importlib.import_module(cls.__module__.rsplit(".", 1)[0] + ".serialization")

    def to_bytes(self) -> bytes:
        return _he.save(self.context._native, self._native)

    @classmethod
    def from_bytes(cls, data: bytes, context):
        obj = getattr(cls._serialization(), "load_" + cls._kind)(data, context)
        if cls._kind == "ciphertext":
            # A ciphertext of another key set (same parameters) would decrypt to garbage.
            key = context.public_key or context.secret_key
            if key is not None and obj._native.key_id != key.key_id:
                raise FormatError(f"Ciphertext.from_bytes: data is encrypted under another key set; expected key id {key.key_id}, got {obj._native.key_id}")
        return obj

    def __reduce__(self):
        return self._serialization().restore, (self._kind, self.to_bytes(), self.context)

    def __reduce_ex__(self, protocol):
        return reduce_out_of_band(self.__reduce__(), protocol)
