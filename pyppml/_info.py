"""Build and run-time information: version, flags, CPU features, chosen kernels."""

from __future__ import annotations

import platform

from pyppml import _core
from pyppml.gpu.discovery import summary as gpu_summary


def info() -> dict:
    """Return what `pyppml info` prints: version, build, CPU features and backends.

    The ``kernels`` entry names the implementation each kernel family uses on this
    machine with the current backend setting (``PYPPML_BACKEND`` or
    ``pyppml.ring.use_backend``).
    """
    from pyppml import ring

    n = 1 << 14
    q50 = ring.find_ntt_primes(50, n, 1)[0]
    q60 = ring.find_ntt_primes(60, n, 1)[0]
    return {
        "version": _core.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "compiler": _core.compiler,
        "build_flags": _core.build_flags,
        "cpu_features": list(_core.cpu_features()),
        "compiled_backends": list(_core.compiled_backends()),
        "backends": list(_core.available_backends()),
        "gpu": gpu_summary(),
        "backend_setting": _core.get_backend(),
        "backend_effective": _core.effective_backend(),
        "kernels": {
            "ntt (q < 2^50)": ring.NttTables(n, q50).kernel,
            "ntt (q < 2^61)": ring.NttTables(n, q60).kernel,
            "eltwise (q < 2^50)": _core.eltwise_kernel_name(q50),
            "eltwise (q < 2^61)": _core.eltwise_kernel_name(q60),
            "chacha20": _core.chacha20_kernel_name(),
            "local DP: OLH support counts": _core.ldp_olh_kernel_name(),
            "local DP: unary perturbation": _core.ldp_unary_kernel_name(),
        },
    }


def available_backends() -> list[str]:
    """Where computations can run: the CPU SIMD backends usable here, plus "cuda" when a
    GPU is usable (``pyppml.gpu``; ``info()["gpu"]`` says why not otherwise)."""
    from pyppml.gpu import is_available

    return list(_core.available_backends()) + (["cuda"] if is_available() else [])
