"""NTT benchmark: forward and inverse negacyclic NTT per backend, side by side.

For each backend available here, n = 2^12 .. 2^16 and primes of 30, 40, 50 and 60 bits,
times the in-place transform on one array (no allocation inside the timed loop; each
direction maps [0, q) onto [0, q), so repeating it keeps the input valid) and reports the
kernel that ran (``NttTables(n, q).kernel``) and ``ns_per_butterfly`` =
median_ns / (n/2 * log2 n). A multi-limb case (``L`` = 8) transforms a (limbs, n) array
in place in one call, the rows one after another in C++. Python-call overhead (about 1 us, plus the O(n)
range check of the input) is included, as users see it. Arrays are 64-byte aligned like
the library's own RnsPoly buffers (NumPy's default is 16 mod 64, a few % slower).

    pyppml bench ntt [--quick] [--runs R] [--logn 14 16]
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from pyppml import _core, ring
from pyppml.benchmarks.harness import emit, measure, result

LOGN = (12, 13, 14, 15, 16)
BITS = (30, 40, 50, 60)
LIMBS = 8


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _aligned(values: np.ndarray) -> np.ndarray:
    """A copy of ``values`` whose data starts on a 64-byte boundary."""
    raw = np.empty(values.size + 8, dtype=np.uint64)
    start = (-raw.ctypes.data % 64) // 8
    out = raw[start : start + values.size].reshape(values.shape)
    out[...] = values
    return out


def run(args) -> None:
    quick = bool(getattr(args, "quick", False))
    runs = int(getattr(args, "runs", 10) or 10)
    logns = getattr(args, "logn", None) or ((12, 14, 16) if quick else LOGN)
    bits_list = (50, 60) if quick else BITS
    target_ms = 2.0 if quick else 5.0
    common = {"commit": _commit(), "cpu_features": list(_core.cpu_features())}
    rng = np.random.default_rng(12345)
    for logn in logns:
        n = 1 << logn
        butterflies = n // 2 * logn
        for bits in bits_list:
            q = ring.find_ntt_primes(bits, n, 1)[0]
            tables = ring.NttTables(n, q)
            a = _aligned(rng.integers(0, q, n, dtype=np.uint64))
            for backend in ring.available_backends():
                with ring.use_backend(backend):
                    kernel = tables.kernel
                    for op, fn in (("ntt_forward", tables.forward_inplace), ("ntt_inverse", tables.inverse_inplace)):
                        timing = measure(lambda: fn(a), runs=runs, target_ms=target_ms)
                        emit(
                            result(
                                "pyppml", "ring", n, 1, op, timing,
                                q_bits=bits, backend=backend, kernel=kernel,
                                ns_per_butterfly=round(timing["median_us"] * 1e3 / butterflies, 4),
                                **common,
                            )
                        )
        if quick and logn != max(logns):
            continue
        q = ring.find_ntt_primes(50, n, 1)[0]
        tables = ring.NttTables(n, q)
        stack = _aligned(rng.integers(0, q, (LIMBS, n), dtype=np.uint64))
        for backend in ring.available_backends():
            with ring.use_backend(backend):
                for op, fn in (("ntt_forward_limbs", tables.forward_inplace), ("ntt_inverse_limbs", tables.inverse_inplace)):
                    timing = measure(lambda: fn(stack), runs=runs, target_ms=target_ms)
                    emit(
                        result(
                            "pyppml", "ring", n, LIMBS, op, timing,
                            q_bits=50, backend=backend, kernel=tables.kernel,
                            ns_per_butterfly=round(timing["median_us"] * 1e3 / (butterflies * LIMBS), 4),
                            **common,
                        )
                    )
