"""Bytes and pickle for BFV objects (format: csrc/he/rlwe/serialization.hpp; the context
container is pyppml._rlwe's, shared with CKKS). Every loader validates; malformed,
truncated, extended or foreign bytes raise ``pyppml.FormatError``. The secret key never
pickles; it leaves only through ``Context.export_secret_key()``.
"""

from __future__ import annotations

from pyppml._core import FormatError, ParameterError
from pyppml._core import he as _he
from pyppml import _rlwe
from pyppml._rlwe import as_bytes as _bytes, context_to_bytes  # noqa: F401 (the shared container)


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


def context_from_bytes(data: bytes, **limits):
    """``bfv.Context.from_bytes``; ``limits`` as :func:`pyppml._rlwe.context_from_bytes`."""
    from pyppml.bfv.context import Context

    return _rlwe.context_from_bytes(data, "bfv", lambda native, extra: Context(_native=native), **limits)


def restore_context(data: bytes):
    """Unpickle a context: pickles are trusted input, so the loading limits are the core's."""
    return context_from_bytes(data, **_rlwe.TRUSTED_LIMITS)
