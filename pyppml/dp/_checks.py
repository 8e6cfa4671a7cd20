"""Argument checks shared by pyppml.dp: one-line ValueError messages in the project's
format "<api>: <argument> <problem>; expected <constraint>, got <value>"."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

from pyppml import ParameterError


def fail(api: str, arg: str, problem: str, expected: str, got) -> None:
    raise ParameterError(f"{api}: {arg} {problem}; expected {expected}, got {got!r}")


def positive_real(api: str, arg: str, value) -> Fraction:
    """A finite real > 0 as an exact Fraction (floats are converted exactly)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Fraction)):
        fail(api, arg, "is not a real number", f"{arg} > 0", value)
    if isinstance(value, float) and not math.isfinite(value):
        fail(api, arg, "is not finite", f"finite {arg} > 0", value)
    try:
        frac = Fraction(value)
    except (TypeError, ValueError, OverflowError):
        fail(api, arg, "is not finite", f"finite {arg} > 0", value)
    if frac <= 0:
        fail(api, arg, "is not positive", f"{arg} > 0", value)
    return frac


def probability_open(api: str, arg: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        fail(api, arg, "is not a finite real number", "0 < delta < 1", value)
    if not 0.0 < float(value) < 1.0:
        fail(api, arg, "is outside (0, 1)", "0 < delta < 1", value)
    return float(value)


def size(api: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fail(api, "size", "is not an integer", "an int >= 0", value)
    if value < 0:
        fail(api, "size", "is negative", "size >= 0", value)
    return int(value)
