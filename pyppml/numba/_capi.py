"""Binding of pyppml's C ABI (``libpyppml_capi.so``) for nopython code: the NTT and eltwise
entry points as numba external functions resolved by symbol name, so the njit code that
calls them can be cached on disk (a cffi function pointer is a run-time address, which
numba refuses to cache). ``AVAILABLE`` is False when the library is absent; the kernels then
use their njit paths.
"""

from __future__ import annotations

AVAILABLE = False
REASON = ""  # why the C ABI is not used, for capi_available()'s callers
_HANDLES: dict = {}

try:
    from pyppml import capi as _pcapi

    _LIB_PATH = str(_pcapi.library_path())
except Exception as exc:  # noqa: BLE001 - any failure to load the C ABI leaves the njit paths
    _pcapi = None
    _LIB_PATH = None
    REASON = f"{type(exc).__name__}: {exc}"

if _LIB_PATH is not None:
    import llvmlite.binding as _llvm
    from numba import types

    _llvm.load_library_permanently(_LIB_PATH)
    # The handle and the data pointers travel as integers: numba's cffi typing cannot
    # represent an opaque struct pointer, and on every supported ABI (x86-64 SysV,
    # AArch64) a pointer and a uintptr_t are passed alike.
    _u = types.uintp
    ntt_forward = types.ExternalFunction("ppml_ntt_forward", types.int32(_u, _u, _u))
    ntt_inverse = types.ExternalFunction("ppml_ntt_inverse", types.int32(_u, _u, _u))
    eltwise_add_mod = types.ExternalFunction("ppml_eltwise_add_mod", types.int32(_u, _u, _u, _u, types.uint64))
    eltwise_sub_mod = types.ExternalFunction("ppml_eltwise_sub_mod", types.int32(_u, _u, _u, _u, types.uint64))
    eltwise_mul_mod = types.ExternalFunction("ppml_eltwise_mul_mod", types.int32(_u, _u, _u, _u, types.uint64))
    eltwise_mul_scalar_mod = types.ExternalFunction(
        "ppml_eltwise_mul_scalar_mod", types.int32(_u, types.uint64, _u, _u, types.uint64))
    AVAILABLE = True


def ntt_handle(n: int, q: int) -> int:
    """The address of a C-ABI ``ppml_ntt_tables`` for (n, q), created once per process and
    kept for its lifetime (kernels hold it as a plain integer)."""
    key = (n, q)
    if key not in _HANDLES:
        ffi, lib = _pcapi.ffi, _pcapi.lib
        out = ffi.new("ppml_ntt_tables**")
        status = lib.ppml_ntt_tables_create(n, q, out)
        if status != 0:
            raise RuntimeError(f"ppml_ntt_tables_create({n}, {q}) failed: {ffi.string(lib.ppml_last_error()).decode()}")
        _HANDLES[key] = (out[0], int(ffi.cast("uintptr_t", out[0])))
    return _HANDLES[key][1]
