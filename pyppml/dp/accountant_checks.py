"""The parameters ``PrivacyAccountant`` takes, and their checks: RDP orders, the smallest
noise multiplier, the PLD discretization interval and sensitivities, each refused by name
where dp_accounting would fail on it or return a false bound."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

from pyppml.dp._checks import bounded_real, fail, positive_float

#: Largest RDP order taken. Orders above a few hundred never give the smallest epsilon
#: for a delta above 2**-1000; dp_accounting computes them (an order of 1e4 in
#: milliseconds) but fails on larger ones (TypeError from gammaln at 1e300) and turns an
#: infinite order into epsilon = 0 (a bound that is false).
MAX_RDP_ORDER = 10_000

#: Smallest noise multiplier (noise std / sensitivity) the accountant takes. Below it
#: epsilon exceeds 1e23 at any useful delta, and dp_accounting's Rényi bounds lose
#: their meaning long before double precision ends: a multiplier of 1e-160 at rate 0.01
#: was reported as epsilon 0, and 1e-300 raised ZeroDivisionError.
MIN_NOISE_MULTIPLIER = 2.0**-40

#: Range of the PLD discretization interval: above 1 the privacy loss is rounded by more
#: than a nat per step (and dp_accounting overflows at 1e6); below 1e-6 a single
#: composition takes minutes and gigabytes.
PLD_DISCRETIZATION_RANGE = (1e-6, 1.0)


def check_orders(api: str, orders) -> list[float]:
    """RDP orders as floats: a non-empty sequence of finite reals in (1, MAX_RDP_ORDER]."""
    expected = f"a non-empty sequence of finite reals in (1, {MAX_RDP_ORDER}]"
    if isinstance(orders, (str, bytes)) or not hasattr(orders, "__len__") or not hasattr(orders, "__iter__"):
        fail(api, "orders", "is not a sequence", expected, type(orders).__name__)
    if len(orders) == 0:
        fail(api, "orders", "is empty", expected, orders)
    out = []
    for order in orders:
        if isinstance(order, bool) or not isinstance(order, numbers.Real):
            fail(api, "orders", "has an entry that is not a real number", expected, order)
        try:
            f = float(order)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f):
            fail(api, "orders", "has an entry that is not finite", expected, order)
        if not 1.0 < f <= MAX_RDP_ORDER:
            fail(api, "orders", "has an entry out of range", expected, order)
        out.append(f)
    return out


def check_multiplier(api: str, arg: str, ratio: float, value) -> float:
    """A noise multiplier (std / sensitivity) of at least MIN_NOISE_MULTIPLIER."""
    if ratio < MIN_NOISE_MULTIPLIER:
        fail(api, arg, "is too small for the accountant",
             "noise std / sensitivity >= 2**-40 (epsilon above 1e23 below it)", value)
    return ratio


def check_sensitivity(api: str, arg: str, value, integer_shift: bool) -> Fraction:
    sens = bounded_real(api, arg, value)
    if integer_shift and sens.denominator != 1:
        fail(api, arg, "is not an integer", f"an integer {arg} with integer_shift=True", value)
    return sens


def check_pld_discretization(api: str, value) -> float:
    """The PLD discretization interval as a float in PLD_DISCRETIZATION_RANGE."""
    vdi = positive_float(api, "pld_discretization", value)
    lo, hi = PLD_DISCRETIZATION_RANGE
    if not lo <= vdi <= hi:
        fail(api, "pld_discretization", "is out of range", f"{lo:g} <= pld_discretization <= {hi:g}", value)
    return vdi
