"""Row rotations (Galois elements 3^k mod 2n), the row swap (2n - 1) and sums of slots.
A rotation without its own key is composed from the power-of-two keys."""

from __future__ import annotations

from pyppml._core import ParameterError
from pyppml._rlwe import rotation_steps


def _keys(ct):
    ctx = ct.context
    ctx._require_slots("rotate")
    gk = ctx.galois_keys
    if gk is None:
        raise ParameterError("rotate: context has no Galois keys; expected keygen() or generate_rotation_keys(), got none")
    return gk


def _apply(ct, elt):
    return ct._wrap(ct._ctx.apply_galois(ct._native, elt, _keys(ct)))


def rotate_rows(ct, steps: int):
    ctx = ct.context
    row = ctx.row_size
    steps = rotation_steps(steps, "rotate_rows") % row
    if steps == 0:
        return ct
    elements = set(_keys(ct).elements)
    if ctx.galois_element(steps) in elements:
        return _apply(ct, ctx.galois_element(steps))
    # Binary decomposition on power-of-two keys (left rotations; or the right ones).
    for sign in (1, -1):
        plan, bit, remaining, ok = [], 1, steps if sign == 1 else row - steps, True
        while remaining:
            if remaining & 1:
                e = ctx.galois_element(sign * bit)
                if e not in elements:
                    ok = False
                    break
                plan.append(e)
            remaining >>= 1
            bit <<= 1
        if ok:
            for e in plan:
                ct = _apply(ct, e)
            return ct
    raise ParameterError(f"rotate_rows: galois_keys lack a key needed for this rotation; expected a key for {steps} or its power-of-two parts, got none")


def rotate_columns(ct):
    elt = ct.context.column_element
    if elt not in _keys(ct).elements:
        raise ParameterError("rotate_columns: galois_keys lack the row-swap key; expected keygen(columns=True), got none")
    return _apply(ct, elt)


def sum_slots(ct):
    """log2(n/2) row rotations and one row swap."""
    ctx = ct.context
    k = 1
    while k < ctx.row_size:
        ct = ct + rotate_rows(ct, k)
        k <<= 1
    return ct + rotate_columns(ct)
