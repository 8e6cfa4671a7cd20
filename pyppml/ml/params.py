"""CKKS parameters for the ML layer: the cheapest 128-bit-secure chain with a given
number of levels (hybrid key switching: the fewest digits whose special modulus P still
covers one digit and fits the security budget).

The scale is as large as the budget allows because the trained model is published
through a flooded decryption (``DataOwner.release_model``): the flooding is about 2^22
times the model ciphertext's worst-case error, which is nearly independent of the
scale, so every bit of scale is a bit of released precision."""

from __future__ import annotations

from pyppml.ckks.params import _MAX_BITS_2024_128

FIRST_BITS = 60        # the last prime holds the result: FIRST_BITS - scale bits of integer part
HEADROOM_BITS = 8      # at least this integer part for the model (|w| < 2^7): else one spare prime
# Scale per ring degree: n = 2^14 fits two iterations at 2^52 (8 bits of headroom, one
# key-switching digit per prime); from n = 2^15 on, 2^55 (three iterations at n = 2^15,
# the model ending one level up).
_SCALE_BITS = {8192: 40, 16384: 51}
LARGE_SCALE_BITS = 55


def default_scale_bits(poly_degree: int) -> int:
    """log2 of the training scale the data owner uses at ``poly_degree``."""
    return _SCALE_BITS.get(int(poly_degree), LARGE_SCALE_BITS if int(poly_degree) > 16384 else 40)


def spare_levels(scale_bits: int, first_bits: int = FIRST_BITS) -> int:
    """1: the chain has one unused prime so that the model ends at level 1, with
    first_bits of integer part: the trainer sums the samples' terms at full size and
    divides by n only by reading the sum at scale * n (see ``trainer``), so the integer
    part must hold n |w|."""
    return 1


def chain_bits(poly_degree: int, levels: int, scale_bits: int | None = None, first_bits: int = FIRST_BITS,
               max_dnum: int | None = None) -> tuple[list[int], list[int], int] | None:
    """(data-prime bits, special-prime bits, dnum) for ``levels`` rescalings (plus
    ``spare_levels``) at 128-bit security (2024 table), with the fewest key-switching
    digits; None if none fits. ``scale_bits`` defaults to ``default_scale_bits``."""
    budget = _MAX_BITS_2024_128.get(int(poly_degree))
    if budget is None:
        raise ValueError(f"chain_bits: poly_degree is unsupported; expected a power of two in {sorted(_MAX_BITS_2024_128)}, got {poly_degree}")
    scale_bits = default_scale_bits(poly_degree) if scale_bits is None else int(scale_bits)
    q = [first_bits] + [scale_bits] * (int(levels) + spare_levels(scale_bits, first_bits))
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
