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
# The loading limits are the same for both schemes (they bound the shared container).
from pyppml.ckks.serialization import MAX_POLY_DEGREE, MAX_PRIMES, MIN_SECURITY, check_context_limits


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


def context_from_bytes(data: bytes, *, min_security: int | None = MIN_SECURITY, allow_insecure: bool = False,
                       max_poly_degree: int = MAX_POLY_DEGREE, max_primes: int = MAX_PRIMES):
    """``bfv.Context.from_bytes``: limits checked first (same rules and defaults as CKKS)."""
    from pyppml.bfv.context import Context

    check_context_limits(data, min_security, allow_insecure, max_poly_degree, max_primes)
    return _rlwe.context_from_bytes(data, "bfv", lambda native, extra: Context(_native=native))
