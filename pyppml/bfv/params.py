"""Choice of the BFV modulus chain from (poly_degree, depth, plain_modulus)."""

from __future__ import annotations

import math

from pyppml._core import ParameterError

# Largest log2(Q*P) per ring degree for 128-bit security (SECURITY.md 1a/1c), used only
# to pick a default chain; the C++ core enforces every table.
MAX_BITS_128 = {
    "2024": {1024: 26, 2048: 53, 4096: 106, 8192: 214, 16384: 430, 32768: 868, 65536: 1747, 131072: 3523},
    "2018": {1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881},
}


def default_chain(poly_degree: int, depth: int | None, plain_bits: float, standard: str = "2024") -> tuple[list[int], list[int]]:
    """Data-prime and special-prime bit sizes for ``depth`` multiplications.

    A fresh ciphertext needs about log2(t) + 12 bits of Q above the noise and each
    product (with relinearization) about log2(t) + log2(n) / 2 + 6 more (measured in
    tests/bfv/test_bfv_noise.py). The data primes are equal-sized (at most 60 bits) and
    one special prime as large as the largest data prime. ``depth=None``: the deepest
    chain that fits the 128-bit table.
    """
    logn = math.log2(poly_degree)
    budget = MAX_BITS_128.get(standard, MAX_BITS_128["2024"]).get(poly_degree)
    if budget is None:
        raise ParameterError(f"Context: poly_degree has no default chain; expected a power of two in 2^10..2^17, got {poly_degree}")
    per_level = plain_bits + logn / 2 + 6
    fresh = plain_bits + 12

    def chain(total: float) -> tuple[list[int], list[int]]:
        count = max(1, math.ceil(total / 56))
        size = max(20, min(60, math.ceil(total / count) + 1))
        return [size] * count, [max(size, 30)]

    if depth is None:
        depth = 0
        while True:
            q, p = chain(fresh + (depth + 1) * per_level)
            if sum(q) + sum(p) > budget:
                break
            depth += 1
    if depth < 0:
        raise ParameterError(f"Context: depth is negative; expected depth >= 0, got {depth}")
    q, p = chain(fresh + depth * per_level)
    if sum(q) + sum(p) > budget:
        raise ParameterError(
            f"Context: depth is too large for this poly_degree; expected a chain within {budget} bits (128-bit security), "
            f"got {sum(q) + sum(p)} bits for depth {depth}")
    return q, p
