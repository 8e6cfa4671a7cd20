"""Slot rotations: direct when a key exists, else composed from power-of-two keys;
hoisted rotations of one ciphertext by many steps; sum of slots."""

from __future__ import annotations

from pyppml._core import ParameterError
from pyppml._rlwe import rotation_steps


def _keys(ct):
    gk = ct.context.galois_keys
    if gk is None:
        raise ParameterError("rotate: context has no Galois keys; expected keygen() or generate_rotation_keys(), got none")
    return gk


def _plan(ct, steps: int) -> list[int]:
    """Rotations with keys whose sum is `steps` (mod slots): the step itself if keyed,
    else its binary decomposition on the available power-of-two keys."""
    slots = ct.context.slots
    steps %= slots
    if steps == 0:
        return []
    elements = set(_keys(ct).elements)
    if ct.context.galois_element(steps) in elements:
        return [steps]
    plan, bit = [], 1
    remaining = steps
    while remaining:
        if remaining & 1:
            if ct.context.galois_element(bit) not in elements:
                raise ParameterError(f"rotate: galois_keys lack a key needed for this rotation; expected a key for {steps} or its power-of-two parts, got none for {bit}")
            plan.append(bit)
        remaining >>= 1
        bit <<= 1
    return plan


def rotate(ct, steps: int):
    steps = rotation_steps(steps, "rotate")
    gk = _keys(ct)
    out = ct
    for s in _plan(ct, steps):
        out = out._wrap(out._ctx.apply_galois(out._native, ct.context.galois_element(s), gk))
    return out


def rotate_many(ct, steps):
    steps = [rotation_steps(s, "rotate_many") % ct.context.slots for s in steps]
    gk = _keys(ct)
    elements = set(gk.elements)
    direct = sorted({s for s in steps if s and ct.context.galois_element(s) in elements})
    hoisted = {}
    if direct:
        outs = ct._ctx.apply_galois_hoisted(ct._native, [ct.context.galois_element(s) for s in direct], gk)
        hoisted = {s: ct._wrap(o) for s, o in zip(direct, outs)}
    return [ct if s == 0 else hoisted[s] if s in hoisted else rotate(ct, s) for s in steps]


def sum_slots(ct, width: int | None = None):
    """Sum of `width` consecutive slots (default all), replicated: log2(width) rotations."""
    width = ct.context.slots if width is None else int(width)
    if width & (width - 1) or not 1 <= width <= ct.context.slots:
        raise ParameterError(f"sum_slots: width is invalid; expected a power of two <= {ct.context.slots}, got {width}")
    out, step = ct, 1
    while step < width:
        out = out + rotate(out, step)
        step <<= 1
    return out
