"""Thin Pythonic helpers over the C ABI: handles freed by the garbage collector, and the
size-query convention (call with NULL/0, then with a buffer of the size returned) turned
into a function that returns ``bytes`` or a NumPy array.

Example
-------
>>> from pyppml.capi import handles, lib
>>> ctx = handles.new("ppml_context", lib.ppml_ckks_context_create, 4096, handles.ints([38, 28]), 2,
...                   handles.ints([38]), 1, 2.0**28, 128)
>>> data = handles.read_bytes(lib.ppml_context_export, ctx, handles.NULL, handles.NULL, handles.NULL)
>>> data[:8]
b'PPMLCTX2'
"""

from __future__ import annotations

import numpy as np

from pyppml.capi import check, ffi, lib

__all__ = ["NULL", "ints", "new", "read_bytes", "read_values"]

NULL = ffi.NULL


def new(ctype: str, create, *args):
    """Call ``create(*args, &out)`` for a ``ctype*`` handle and return it, freed by
    ``ppml_<name>_free`` when it is garbage-collected.

    Raises
    ------
    ParameterError, MismatchError, FormatError, CapiError
        As :func:`pyppml.capi.check`, when ``create`` fails.
    """
    out = ffi.new(f"{ctype}**")
    check(create(*args, out))
    return ffi.gc(out[0], getattr(lib, f"{ctype}_free"))


def read_bytes(fn, *args) -> bytes:
    """``fn(*args, buf, capacity, &needed)`` under the size query: the bytes written."""
    needed = ffi.new("size_t*")
    check(fn(*args, ffi.NULL, 0, needed))
    buf = ffi.new("uint8_t[]", needed[0])
    check(fn(*args, buf, needed[0], needed))
    return bytes(ffi.buffer(buf, needed[0]))


def read_values(fn, dtype, *args) -> np.ndarray:
    """``fn(*args, values, capacity, &needed)`` under the size query, as a NumPy array of
    ``dtype`` (``numpy.float64`` or ``numpy.uint64``)."""
    needed = ffi.new("size_t*")
    check(fn(*args, ffi.NULL, 0, needed))
    out = np.empty(needed[0], dtype=dtype)
    ctype = {np.dtype(np.float64): "double*", np.dtype(np.uint64): "uint64_t*", np.dtype(np.int64): "int64_t*"}
    check(fn(*args, ffi.cast(ctype[np.dtype(dtype)], ffi.from_buffer(out)), out.size, needed))
    return out


def ints(values) -> object:
    """A C ``int[]`` of ``values`` (e.g. prime bit sizes)."""
    return ffi.new("int[]", [int(v) for v in values])
