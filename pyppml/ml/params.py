"""CKKS parameters for the ML layer: the cheapest 128-bit-secure chain with a given
number of levels (hybrid key switching: the fewest digits whose special modulus P still
covers one digit and fits the security budget)."""

from __future__ import annotations

from pyppml.ckks.params import _MAX_BITS_2024_128

FIRST_BITS = 55   # the last prime holds the result: 15 bits of integer part above the scale
SCALE_BITS = 40   # key switching adds ~2^19 to the integer: 2^40 keeps rotations at ~1e-6


def chain_bits(poly_degree: int, levels: int, scale_bits: int = SCALE_BITS, first_bits: int = FIRST_BITS,
               max_dnum: int | None = None) -> tuple[list[int], list[int], int] | None:
    """(data-prime bits, special-prime bits, dnum) for ``levels`` rescalings at 128-bit
    security (2024 table), with the fewest key-switching digits; None if none fits."""
    budget = _MAX_BITS_2024_128.get(int(poly_degree))
    if budget is None:
        raise ValueError(f"chain_bits: poly_degree is unsupported; expected a power of two in {sorted(_MAX_BITS_2024_128)}, got {poly_degree}")
    q = [first_bits] + [scale_bits] * int(levels)
    limit = len(q) if max_dnum is None else min(len(q), max_dnum)
    for dnum in range(1, limit + 1):
        alpha = -(-len(q) // dnum)
        # The first digit holds the first (largest) prime: it bounds every digit.
        digit_bits = first_bits + (alpha - 1) * scale_bits
        k = max(1, -(-(digit_bits + 2) // 60))
        p_bits = max(first_bits, -(-(digit_bits + 2) // k))
        p = [p_bits] * k
        if sum(q) + sum(p) <= budget - 1:
            return q, p, dnum
    return None


def max_levels(poly_degree: int, scale_bits: int = SCALE_BITS, first_bits: int = FIRST_BITS, max_dnum: int = 4) -> int:
    """Deepest chain with at most ``max_dnum`` digits (key switching cost grows with it)."""
    budget = _MAX_BITS_2024_128.get(int(poly_degree), 0)
    for levels in range(max(0, (budget - first_bits) // scale_bits), 0, -1):
        if chain_bits(poly_degree, levels, scale_bits, first_bits, max_dnum) is not None:
            return levels
    return 0
