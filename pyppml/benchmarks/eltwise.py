"""Element-wise kernel benchmark: mul, mul_add and the key-switching inner product
(terms = 9) on one limb of n = 2^14 words, per backend, side by side, for 40- and 60-bit
primes.

Each backend in ``ring.available_backends()`` runs through the dispatcher (so ``avx512``
means the IFMA52 kernel for the 40-bit prime and the 64-bit-lane kernel for the 60-bit
one, as recorded in ``kernel``); the 64-bit-lane kernel is also forced on the 40-bit prime
(``backend = "avx512/lanes64"``) to show what IFMA adds. ``median_us`` is one kernel call:
each timed call runs the kernel ``REPEAT`` times after one O(n) range check of its inputs,
and the time is divided by ``REPEAT``, so Python overhead and checks are left out.
``ns_per_coeff`` = median_us * 1e3 / (n * terms).

    pyppml bench eltwise [--quick] [--runs R]
"""

from __future__ import annotations

import numpy as np

from pyppml import _core, ring
from pyppml.benchmarks.harness import emit, measure, result
from pyppml.benchmarks.ntt import _commit

LOGN = 14
BITS = (40, 60)
TERMS = 9
REPEAT = 16


def _kernel_name(backend: str, q: int) -> str:
    """The table the dispatcher picks (rns/eltwise.cpp), for the record."""
    kernels = _core.eltwise_kernels()
    if backend == "avx512" and q < 1 << 50 and "avx512ifma" in kernels:
        return "avx512ifma"
    if backend == "avx512" and "avx512" in kernels:
        return "avx512"
    return "scalar"


def run(args) -> None:
    quick = bool(getattr(args, "quick", False))
    runs = int(getattr(args, "runs", 10) or 10)
    target_ms = 2.0 if quick else 5.0
    n = 1 << LOGN
    common = {"commit": _commit(), "cpu_features": list(_core.cpu_features()), "repeat": REPEAT}
    rng = np.random.default_rng(2024)
    for bits in BITS:
        q = ring.find_ntt_primes(bits, n, 1)[0]
        a = rng.integers(0, q, n, dtype=np.uint64)
        b = rng.integers(0, q, n, dtype=np.uint64)
        acc = rng.integers(0, q, n, dtype=np.uint64)
        out = np.empty(n, dtype=np.uint64)
        sa = rng.integers(0, q, (TERMS, n), dtype=np.uint64)
        sb = rng.integers(0, q, (TERMS, n), dtype=np.uint64)
        # (label, backend setting, forced kernel or "auto")
        cases = [(backend, backend, "auto") for backend in ring.available_backends()]
        if q < 1 << 50 and "avx512" in _core.eltwise_kernels():
            cases.append(("avx512/lanes64", "auto", "avx512"))
        for label, backend, kernel in cases:
            with ring.use_backend(backend):
                name = kernel if kernel != "auto" else _kernel_name(backend, q)
                ops = (
                    ("eltwise_mul", 1, lambda: _core.eltwise("mul", q, a, b, out, kernel=kernel, repeat=REPEAT)),
                    # acc stays in [0, q): each call adds a*b mod q to it
                    ("eltwise_mul_add", 1,
                     lambda: _core.eltwise("mul_add", q, a, b, acc, kernel=kernel, repeat=REPEAT)),
                    ("inner_product", TERMS,
                     lambda: _core.inner_product_mod(q, sa, sb, kernel=kernel, repeat=REPEAT)),
                )
                for op, terms, fn in ops:
                    timing = measure(fn, runs=runs, target_ms=target_ms)
                    for key in ("median_us", "min_us"):
                        timing[key] = round(timing[key] / REPEAT, 3)
                    emit(
                        result(
                            "pyppml", "ring", n, 1, op, timing,
                            q_bits=bits, backend=label, kernel=name, terms=terms,
                            ns_per_coeff=round(timing["median_us"] * 1e3 / (n * terms), 4),
                            **common,
                        )
                    )
