"""CKKS parameters for the ML layer: the cheapest 128-bit-secure chain with a given
number of levels (hybrid key switching: the fewest digits whose special modulus P still
covers one digit and fits the security budget).

The scale is as large as the budget allows because the trained model is published
through a flooded decryption (``DataOwner.release_model``): the flooding is about 2^26
times the model ciphertext's worst coefficient error, which does not grow with the
scale, so every bit of scale is a bit of released precision.

The chain is [FIRST_BITS] + [scale] * (levels + 1): one prime more than the plan uses,
so the model ends at level 1 with FIRST_BITS bits of integer part. The trainer sums the
samples' terms at full size and divides by n only by reading the sum at scale * n (see
``trainer``): the integer part must hold n |w|."""

from __future__ import annotations

from pyppml.ckks.params import _MAX_BITS_2024_128

FIRST_BITS = 60        # the integer part of the model at level 1 (with one scale prime)
SPARE_LEVELS = 1       # the prime the plan leaves unused (see the module docstring)
# Scale per ring degree, the largest that fits the deepest useful plan: n = 2^14, two
# iterations at 2^51 (one key-switching digit per prime); n = 2^15, three at 2^55.
_SCALE_BITS = {8192: 40, 16384: 51}
LARGE_SCALE_BITS = 55


def default_scale_bits(poly_degree: int) -> int:
    """log2 of the training scale the data owner uses at ``poly_degree``."""
    return _SCALE_BITS.get(int(poly_degree), LARGE_SCALE_BITS if int(poly_degree) > 16384 else 40)


def chain_bits(poly_degree: int, levels: int, scale_bits: int | None = None, first_bits: int = FIRST_BITS,
               max_dnum: int | None = None) -> tuple[list[int], list[int], int] | None:
    """(data-prime bits, special-prime bits, dnum) for ``levels`` rescalings (plus
    SPARE_LEVELS) at 128-bit security (2024 table), with the fewest key-switching
    digits; None if none fits. ``scale_bits`` defaults to ``default_scale_bits``."""
    budget = _MAX_BITS_2024_128.get(int(poly_degree))
    if budget is None:
        raise ValueError(f"chain_bits: poly_degree is unsupported; expected a power of two in {sorted(_MAX_BITS_2024_128)}, got {poly_degree}")
    scale_bits = default_scale_bits(poly_degree) if scale_bits is None else int(scale_bits)
    q = [first_bits] + [scale_bits] * (int(levels) + SPARE_LEVELS)
    limit = len(q) if max_dnum is None else min(len(q), max_dnum)
    for dnum in range(1, limit + 1):
        alpha = -(-len(q) // dnum)
        # The first digit holds the first (largest) prime: it bounds every digit. P
        # exceeds it by 2 bits, so key switching adds less than the rescale rounding.
        digit_bits = first_bits + (alpha - 1) * scale_bits
        k = max(1, -(-(digit_bits + 2) // 60))
        p = [-(-(digit_bits + 2) // k)] * k
        if sum(q) + sum(p) <= budget - 1:
            return q, p, dnum
    return None


def max_levels(poly_degree: int, scale_bits: int | None = None, first_bits: int = FIRST_BITS, max_dnum: int = 8) -> int:
    """Deepest chain with at most ``max_dnum`` digits (key switching cost grows with it)."""
    budget = _MAX_BITS_2024_128.get(int(poly_degree), 0)
    scale_bits = default_scale_bits(poly_degree) if scale_bits is None else int(scale_bits)
    for levels in range(max(0, (budget - first_bits) // scale_bits), 0, -1):
        if chain_bits(poly_degree, levels, scale_bits, first_bits, max_dnum) is not None:
            return levels
    return 0
