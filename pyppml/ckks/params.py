"""Choice of the CKKS modulus chain from (poly_degree, depth, scale_bits)."""

from __future__ import annotations

from pyppml._core import ParameterError

# Largest log2(Q*P) per ring degree for 128-bit security (2024 table, SECURITY.md 1c),
# used only to pick a default chain; the C++ core enforces every table.
_MAX_BITS_2024_128 = {1024: 26, 2048: 53, 4096: 106, 8192: 214, 16384: 430, 32768: 868, 65536: 1747, 131072: 3523}


def default_chain(poly_degree: int, depth: int | None, scale_bits: int, special_bits: int = 60) -> tuple[list[int], list[int]]:
    """Data-prime and special-prime bit sizes for ``depth`` multiplications.

    The first prime has ``scale_bits + 20`` bits (capped at 60) so decoded values keep
    20 bits of integer part; each level is one ``scale_bits`` prime; one special prime of
    ``special_bits`` bits (one key-switching digit per data prime). With ``depth=None``
    the deepest chain that fits the 128-bit budget is chosen.
    """
    if not 20 <= scale_bits <= 58:
        raise ParameterError(f"Context: scale_bits is out of range; expected 20 <= scale_bits <= 58, got {scale_bits}")
    first = min(60, scale_bits + 20)
    special = max(special_bits, first)
    if depth is None:
        # An unknown degree gets depth 0 here; the core then names the real problem.
        budget = _MAX_BITS_2024_128.get(poly_degree, first + special)
        depth = max(0, (budget - first - special) // scale_bits)
    if depth < 0:
        raise ParameterError(f"Context: depth is negative; expected depth >= 0, got {depth}")
    return [first] + [scale_bits] * depth, [special]
