"""CKKS scale bookkeeping: the limits a ciphertext's scale must respect and the standard
scale of each level.

Integer headroom. A ciphertext at level l holds round(value * scale) modulo
Q_l = q_0 * ... * q_l, so it decrypts correctly while |value| * scale < Q_l / 2: with
scale = 2^s there are log2(Q_l) - s - 1 bits left for the integer part of |value|. Every
CKKS operation checks the headroom of its result for |value| <= 1 (``scale_limits``):
products whose scale would reach Q_l / 2 and scales below ``min_scale`` (10 bits above
the rounding noise of a rescale, 2^10 * sqrt(n)) raise ``ParameterError``; larger values
need correspondingly more headroom, which the caller must leave.
"""

from __future__ import annotations

import math

from pyppml._core import ParameterError


def min_scale(context) -> float:
    """Smallest scale a ciphertext may have: 2^10 * sqrt(n), 10 bits above the rounding
    noise of a rescale (standard deviation about sqrt(n / 18))."""
    return 2.0 ** 10 * math.sqrt(context.poly_degree)


def log2_modulus(context, level: int) -> float:
    """log2(Q_level), Q_level = q_0 * ... * q_level."""
    return float(sum(math.log2(q) for q in context.coeff_moduli[: level + 1]))


def scale_limits(context, level: int) -> tuple[float, float]:
    """(smallest, largest) scale of a ciphertext at ``level`` whose values have
    |value| <= 1: [2^10 sqrt(n), Q_level / 2] (the upper one ``inf`` past a double's
    range, for chains longer than 1024 bits).

    >>> from pyppml import ckks
    >>> from pyppml.ckks.scales import scale_limits
    >>> ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    >>> [round(math.log2(s), 1) for s in scale_limits(ctx, 1)]
    [16.0, 65.0]
    """
    log_hi = log2_modulus(context, level) - 1
    return min_scale(context), 2.0 ** log_hi if log_hi < 1023 else math.inf


def check_scale(context, api: str, scale: float, level: int, what: str = "result") -> None:
    lo = min_scale(context)
    if not scale >= lo:
        raise ParameterError(
            f"{api}: {what} scale is too small; expected scale >= 2^{math.log2(lo):.1f} (2^10 sqrt(n)), "
            f"got {log2_text(scale)}")
    log_hi = log2_modulus(context, level) - 1
    if not math.log2(scale) <= log_hi:
        raise ParameterError(
            f"{api}: {what} scale exceeds the modulus; expected scale <= Q_{level} / 2 = 2^{log_hi:.1f} "
            f"(integer headroom for |value| <= 1), got {log2_text(scale)}")


def log2_text(x: float) -> str:
    """A scale as 2^k, or as itself when it has no logarithm (0, negative, NaN)."""
    return f"2^{math.log2(x):.2f}" if x > 0 and math.isfinite(x) else f"{x!r}"


# A scale within this factor (log2) of its level's standard scale counts as "near" it:
# results computed from it are put on the standard scale of their own level (exactly:
# the integer factor or the plaintext's scale absorbs the ratio).
NEAR_LOG2 = 0.125


def near_standard(context, scale: float, level: int) -> bool:
    return abs(math.log2(scale / context.level_scale(level))) < NEAR_LOG2


def standard_scale(context, level: int, scale: float, from_level: int) -> float:
    """Scale for a result at ``level`` computed from an operand of ``scale`` at
    ``from_level``: the standard ``level_scale(level)`` when the operand is near the
    standard scale of its level, else ``scale`` (an explicit scale the user chose)."""
    return context.level_scale(level) if near_standard(context, scale, from_level) else scale
