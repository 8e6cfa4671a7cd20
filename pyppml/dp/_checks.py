"""Argument checks shared by pyppml.dp: one-line ValueError messages in the project's
format "<api>: <argument> <problem>; expected <constraint>, got <value>"."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from pyppml import ParameterError


def fail(api: str, arg: str, problem: str, expected: str, got) -> None:
    raise ParameterError(f"{api}: {arg} {problem}; expected {expected}, got {shown(got)}")


def shown(value) -> str:
    """repr(value) for a message; an exact number too long for one line (10**400, a
    Fraction with a 400-digit denominator) by its type and order of magnitude."""
    text = repr(value)
    if len(text) <= 40 or isinstance(value, bool) or not isinstance(value, numbers.Rational):
        return text
    num, den = abs(int(value.numerator)), int(value.denominator)
    if num == 0:
        return text
    return f"{type(value).__name__} ~ 1e{math.log10(num) - math.log10(den):+.0f}"


def positive_real(api: str, arg: str, value) -> Fraction:
    """A finite real > 0 as an exact Fraction (Python and NumPy floats are converted
    exactly, as are ints, NumPy integers and Fractions of any size)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        fail(api, arg, "is not a real number", f"{arg} > 0", value)
    if isinstance(value, numbers.Rational):  # int, Fraction, NumPy integers: exact, always finite
        frac = Fraction(int(value.numerator), int(value.denominator))
    elif isinstance(value, np.floating):  # float16 .. longdouble: as_integer_ratio is exact
        if not np.isfinite(value):
            fail(api, arg, "is not finite", f"finite {arg} > 0", value)
        frac = Fraction(*value.as_integer_ratio())
    else:
        try:
            f = float(value)
        except (TypeError, ValueError, OverflowError):
            fail(api, arg, "is not a real number", f"{arg} > 0", value)
        if not math.isfinite(f):
            fail(api, arg, "is not finite", f"finite {arg} > 0", value)
        frac = Fraction(f)
    if frac <= 0:
        fail(api, arg, "is not positive", f"{arg} > 0", value)
    return frac


#: positive_float's range: floats keep their relative precision well inside it, and the
#: calibrations' intermediate products (sigma^2, eps * sigma, e^-eps) neither overflow nor
#: round to zero; a parameter outside it means nothing for a release.
FLOAT_RANGE_BITS = 1000


def bounded_real(api: str, arg: str, value) -> Fraction:
    """A real in [2^-1000, 2^1000] as an exact Fraction (positive_real, then a range check
    naming ``api`` and ``arg``)."""
    frac = positive_real(api, arg, value)
    if not Fraction(1, 1 << FLOAT_RANGE_BITS) <= frac <= (1 << FLOAT_RANGE_BITS):
        fail(api, arg, "is out of range", f"2**-{FLOAT_RANGE_BITS} <= {arg} <= 2**{FLOAT_RANGE_BITS}", value)
    return frac


def positive_float(api: str, arg: str, value) -> float:
    """A real in [2^-1000, 2^1000] as the nearest float (bounded_real): never an
    OverflowError, never 0.0 or inf downstream."""
    return float(bounded_real(api, arg, value))


def nonnegative_float(api: str, arg: str, value) -> float:
    """A real equal to 0 (as 0.0) or in [2^-1000, 2^1000] (as the nearest float)."""
    expected = f"{arg} = 0 or 2**-{FLOAT_RANGE_BITS} <= {arg} <= 2**{FLOAT_RANGE_BITS}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        fail(api, arg, "is not a real number", expected, value)
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        fail(api, arg, "is not finite", expected, value)
    if value == 0:
        return 0.0
    if value < 0:
        fail(api, arg, "is negative", expected, value)
    return positive_float(api, arg, value)


def positive_int(api: str, arg: str, value, upper: int | None = None) -> int:
    """An int (or NumPy integer, not bool) >= 1, and <= ``upper`` when given."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        fail(api, arg, "is not a positive integer", f"an integer {arg} >= 1", value)
    if upper is not None and value > upper:
        fail(api, arg, "is too large", f"{arg} <= {upper}", value)
    return int(value)


def sampling_rate(api: str, arg: str, value) -> float:
    """A sampling rate in (0, 1] (at least 2^-1000, positive_float) as a float."""
    q = positive_float(api, arg, value)
    if q > 1.0:
        fail(api, arg, "is above 1", f"0 < {arg} <= 1", value)
    return q


def check_prng(api: str, prng):
    """None or pyppml's own ``_core.Prng`` (tests only): any other object with a
    ``uint64`` method would choose the noise."""
    from pyppml import _core

    if prng is not None and not isinstance(prng, _core.Prng):
        fail(api, "prng", "is not a pyppml._core.Prng", "None or a Prng (tests only)", type(prng).__name__)
    return prng


# The discrete Gaussian's delta is calibrated from the continuous one at delta (1 - 1e-3)
# once sigma >= 64 grid steps (relative excess ~0.5 / sigma^2). Deep in the tail the excess
# grows: 1.4% at delta 5e-324 and 2e-4 at 1e-30 (exact sums, review 2026-12-08), while a
# scan at 1e-20 and 1e-25 stayed below 1 (0.9996). Smaller deltas are refused.
MIN_GAUSSIAN_DELTA = 1e-20


def gaussian_delta(api: str, value) -> float:
    """A discrete Gaussian mechanism's delta: in [MIN_GAUSSIAN_DELTA, 1)."""
    f = probability_open(api, "delta", value)
    if f < MIN_GAUSSIAN_DELTA:
        fail(api, "delta", "is below the calibration's verified range", f"{MIN_GAUSSIAN_DELTA:g} <= delta < 1", value)
    return f


def probability_open(api: str, arg: str, value) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        fail(api, arg, "is not a finite real number", f"0 < {arg} < 1", value)
    try:
        f = float(value)
    except OverflowError:  # an int or Fraction past the float range: far outside (0, 1)
        fail(api, arg, "is outside (0, 1)", f"0 < {arg} < 1", value)
    if not math.isfinite(f):
        fail(api, arg, "is not a finite real number", f"0 < {arg} < 1", value)
    if not (0 < value < 1 and 0.0 < f < 1.0):  # exact, and after rounding (1 - 2**-60 rounds to 1.0)
        fail(api, arg, "is outside (0, 1)", f"0 < {arg} < 1", value)
    return f


def size(api: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fail(api, "size", "is not an integer", "an int >= 0", value)
    if value < 0:
        fail(api, "size", "is negative", "size >= 0", value)
    return int(value)


def _total_float(v) -> float:
    """float(v) for any entry: +-inf past the float range, NaN when it is not a number
    (then handled like any NaN), so that no entry's value can raise."""
    try:
        return float(v)
    except OverflowError:
        try:
            return math.inf if v > 0 else -math.inf
        except TypeError:
            return math.nan
    except (TypeError, ValueError):
        return math.nan


def private_values(api: str, values) -> tuple[np.ndarray, bool]:
    """Private values as float64 (same shape), and whether they are integers by their
    dtype. Integer-ness is the caller's public schema: only an ndarray (or NumPy scalar)
    of an integer or bool dtype has it; a list is float whatever it holds (NumPy would
    infer int64 or float64 from the values themselves, and one fractional record would
    change the output's type and grid). No value can make this raise: entries past the
    float range become +-inf and entries that are not numbers NaN."""
    if not isinstance(values, (np.ndarray, np.generic, list, tuple, range, numbers.Real)) \
            and not hasattr(values, "__array__"):
        # The container's type is public; a string, a dict or None is not a list of values.
        fail(api, "values", "are not an array of numbers", "an array_like of numbers", type(values).__name__)
    # The dtype a container declares (an ndarray's, a NumPy scalar's, a pandas column's)
    # is its schema; a list has none.
    schema = getattr(values, "dtype", None) if not isinstance(values, (list, tuple, range)) else None
    schema = schema if isinstance(schema, np.dtype) else None
    if schema is not None and schema.kind == "c":
        fail(api, "values", "are complex", "an array_like of real numbers", str(schema))
    integer = schema is not None and schema.kind in "iub"
    # A longdouble past the float64 range becomes +-inf without the warning that would
    # say it was there.
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            return np.asarray(values, dtype=np.float64), integer
        except (TypeError, ValueError, OverflowError):
            pass
        try:
            cells = np.asarray(values, dtype=object)
        except (TypeError, ValueError):
            # A ragged or unsized container: its structure, never an entry, is named.
            fail(api, "values", "are not an array of numbers", "an array_like of numbers", type(values).__name__)
        return np.vectorize(_total_float, otypes=[np.float64])(cells).reshape(cells.shape), integer
