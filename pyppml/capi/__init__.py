"""pyppml's stable C ABI (``libpyppml_capi.so`` + ``pyppml/pyppml.h``) bound with cffi.

The shared library and the C99 header ship inside the package, so a C, C++, Rust or Go
build can link against the core: :func:`library_path` and :func:`include_dir` say where
they are. ``ffi`` and ``lib`` are the cffi ABI-mode binding over the shipped header (no
compiler needed); :func:`check` turns a status code into the matching Python exception.
The reference (ownership, errors, threads, versioning) is ``docs/capi.md``.

Example
-------
>>> import numpy as np
>>> from pyppml import capi, ring
>>> q = ring.find_ntt_primes(40, 16, 1)[0]
>>> out = capi.ffi.new("ppml_ntt_tables**")
>>> capi.check(capi.lib.ppml_ntt_tables_create(16, q, out))
>>> a = np.arange(16, dtype=np.uint64)
>>> capi.check(capi.lib.ppml_ntt_forward(out[0], capi.u64_ptr(a), a.size))
>>> bool(np.array_equal(a, ring.NttTables(16, q).forward(np.arange(16, dtype=np.uint64))))
True
>>> capi.lib.ppml_ntt_tables_free(out[0])
>>> capi.abi_version() >= (1, 0)
True
"""

from __future__ import annotations

import re
from pathlib import Path

import cffi
import numpy as np

from pyppml._core import FormatError, MismatchError, ParameterError

__all__ = ["CapiError", "FormatError", "MismatchError", "ParameterError", "abi_version", "check", "ffi", "header_path", "include_dir", "last_error", "lib",
           "library_path", "u64_ptr"]

_PKG = Path(__file__).resolve().parent.parent
_LIBRARY_NAME = "libpyppml_capi.so"


def library_path() -> Path:
    """Path of ``libpyppml_capi.so`` (inside the installed package, or the in-place build).

    Raises
    ------
    FileNotFoundError
        When this build has no C ABI library.
    """
    path = _PKG / _LIBRARY_NAME
    if not path.is_file():
        raise FileNotFoundError(f"pyppml.capi: {_LIBRARY_NAME} is missing; expected it at {path}, got no file "
                                "(build with ./dev-build.sh or pip install .)")
    return path


def include_dir() -> Path:
    """Directory to add to a C compiler's include path (``-I``): it holds ``pyppml/pyppml.h``.

    The installed package ships it as ``pyppml/include``; a source checkout has it at the
    repository's ``include/``.
    """
    for candidate in (_PKG / "include", _PKG.parent / "include"):
        if (candidate / "pyppml" / "pyppml.h").is_file():
            return candidate
    raise FileNotFoundError(f"pyppml.capi: pyppml/pyppml.h is missing; expected it under {_PKG / 'include'}, got no file")


def header_path() -> Path:
    """Path of the public header ``pyppml/pyppml.h``."""
    return include_dir() / "pyppml" / "pyppml.h"


def _cdef(header: str) -> str:
    # cffi parses declarations, not the preprocessor: keep the marked region, drop
    # directives and the export marker.
    lines = header.splitlines()
    begin, end = lines.index("/* PPML_CDEF_BEGIN */"), lines.index("/* PPML_CDEF_END */")
    lines = [line for line in lines[begin + 1:end] if not line.lstrip().startswith("#")]
    return re.sub(r"\bPPML_API\s+", "", "\n".join(lines))


ffi = cffi.FFI()
ffi.cdef(_cdef(header_path().read_text()))
lib = ffi.dlopen(str(library_path()))


class CapiError(ValueError):
    """A C ABI call refused its arguments for a reason with no more specific Python type
    (NULL pointer, dead or foreign handle, short buffer); ``status`` holds the code."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def last_error() -> str:
    """The calling thread's last C ABI error message ("" after a successful call)."""
    return ffi.string(lib.ppml_last_error()).decode("utf-8", "replace")


def check(status: int) -> None:
    """Raise the Python exception matching a C ABI status (nothing for ``PPML_OK``).

    Raises
    ------
    ParameterError, MismatchError, FormatError
        For ``PPML_ERR_INVALID_ARGUMENT``, ``PPML_ERR_MISMATCH``, ``PPML_ERR_FORMAT``.
    CapiError
        For ``PPML_ERR_NULL_POINTER``, ``PPML_ERR_INVALID_HANDLE``, ``PPML_ERR_BUFFER_TOO_SMALL``.
    pyppml.bfv.DecryptionError
        For ``PPML_ERR_DECRYPTION`` (BFV past the noise budget; key owner only).
    MemoryError, RuntimeError
        For ``PPML_ERR_OUT_OF_MEMORY`` and ``PPML_ERR_INTERNAL``.
    """
    if status == lib.PPML_OK:
        return
    from pyppml.bfv import DecryptionError

    message = last_error()
    mapped = {lib.PPML_ERR_INVALID_ARGUMENT: ParameterError, lib.PPML_ERR_MISMATCH: MismatchError,
              lib.PPML_ERR_FORMAT: FormatError, lib.PPML_ERR_DECRYPTION: DecryptionError,
              lib.PPML_ERR_OUT_OF_MEMORY: MemoryError, lib.PPML_ERR_INTERNAL: RuntimeError}
    if status in mapped:
        raise mapped[status](message)
    raise CapiError(message, status)


def abi_version() -> tuple[int, int]:
    """(major, minor) of the loaded library's ABI."""
    v = lib.ppml_abi_version()
    return v >> 16, v & 0xFFFF


def u64_ptr(a: np.ndarray):
    """``uint64_t*`` view of a C-contiguous ``uint64`` array (no copy; keep ``a`` alive).

    Raises
    ------
    ParameterError
        When ``a`` is not a C-contiguous ``numpy.uint64`` array.
    """
    if not isinstance(a, np.ndarray) or a.dtype != np.uint64 or not a.flags.c_contiguous:
        got = f"{type(a).__name__}" if not isinstance(a, np.ndarray) else f"dtype {a.dtype}, contiguous={a.flags.c_contiguous}"
        raise ParameterError(f"u64_ptr: a is not a C-contiguous uint64 array; expected numpy.uint64 C order, got {got}")
    return ffi.cast("uint64_t*", ffi.from_buffer(a))
