"""Slot rotations: direct when a key exists, else composed from power-of-two keys;
hoisted rotations of one ciphertext by many steps; sum of slots."""

from __future__ import annotations

from pyppml._core import ParameterError
from pyppml._rlwe import rotation_steps
from pyppml.ckks.ciphertext import KEY_SWITCH


def _keys(ct):
    gk = ct.context.galois_keys
    if gk is None:
        raise ParameterError("rotate: context has no Galois keys; expected keygen() or generate_rotation_keys(), got none")
    return gk


def _plan_steps(context, elements: set, steps: int) -> list[int] | None:
    """Rotations with keys whose sum is `steps` (mod slots): the step itself if keyed,
    else its binary decomposition on the available power-of-two keys; None when a
    power-of-two part has no key."""
    steps %= context.slots
    if steps == 0:
        return []
    if context.galois_element(steps) in elements:
        return [steps]
    plan, bit, remaining = [], 1, steps
    while remaining:
        if remaining & 1:
            if context.galois_element(bit) not in elements:
                return None
            plan.append(bit)
        remaining >>= 1
        bit <<= 1
    return plan


def _plan(ct, steps: int) -> list[int]:
    plan = _plan_steps(ct.context, set(_keys(ct).elements), steps)
    if plan is None:
        raise ParameterError(f"rotate: galois_keys lack a key needed for this rotation; expected a key for {steps % ct.context.slots} "
                             f"or for each of its power-of-two parts (keygen(rotations=[{steps}])), got none")
    return plan


# Operations whose rotation keys keygen(operations=...) can make: each needs the left
# rotations by 1, 2, 4, ..., slots / 2 (sums) or, for matrix-vector products of unknown
# shape, every power of two in both directions (any rotation is composed of them).
OPERATIONS = ("sum", "mean", "dot", "sum_slots", "matvec", "rotate")


def sum_rotations(slots: int) -> list[int]:
    """Steps ``sum_slots`` (and ``sum``, ``mean``, ``dot``) rotate by: 1, 2, ..., slots / 2."""
    return [1 << k for k in range(max(slots.bit_length() - 1, 0))]


def rotations_for(context, operations, matvec_shapes=()) -> list[int]:
    """Rotation steps for ``operations`` (names from ``OPERATIONS``) and, with
    ``matvec_shapes``, the direct keys of matrix-vector products of those
    (rows, cols) shapes (``Vector`` splits them in blocks of at most slots x slots).

    >>> from pyppml import ckks
    >>> ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    >>> rotations_for(ctx, ["dot"])[:4], len(rotations_for(ctx, ["dot"]))
    ([1, 2, 4, 8], 11)
    """
    from pyppml._rlwe import signed_powers_of_two
    from pyppml.ckks.linalg import block_rotations

    if isinstance(operations, str):
        operations = [operations]
    slots, steps = context.slots, set()
    for op in operations:
        if op not in OPERATIONS:
            raise ParameterError(f"keygen: operations has an unknown entry; expected names from {list(OPERATIONS)}, got {op!r}")
        if op in ("sum", "mean", "dot", "sum_slots"):
            steps.update(sum_rotations(slots))
        elif op == "rotate" or (op == "matvec" and not matvec_shapes):
            steps.update(signed_powers_of_two(slots))
    for shape in matvec_shapes or ():
        rows, cols = (int(x) for x in shape)
        if rows < 1 or cols < 1:
            raise ParameterError(f"keygen: matvec_shapes has an invalid shape; expected (rows, cols) >= 1, got {shape!r}")
        for r, c in block_shapes(rows, cols, slots):
            steps.update(block_rotations(r, c, slots))
    return sorted(s for s in steps if s % slots)


def block_shapes(rows: int, cols: int, slots: int) -> set[tuple[int, int]]:
    """The shapes of the blocks a (rows, cols) matrix is cut into (at most slots x slots)."""
    def parts(n):
        return {min(slots, n - i) for i in range(0, n, slots)}
    return {(r, c) for r in parts(rows) for c in parts(cols)}


def require_rotations(context, steps, api: str, operation: str) -> None:
    """Raise a ParameterError naming ``api`` (the user's operation) when a rotation of
    ``steps`` has no key, direct or composed: the remedy names keygen(operations=...)."""
    gk = context.galois_keys
    elements = set(gk.elements) if gk is not None else set()
    for s in steps:
        if _plan_steps(context, elements, s) is None:
            raise ParameterError(
                f"{api}: context lacks the rotation keys {api} needs; expected the key owner to make them with "
                f"keygen(operations=[{operation!r}]) (see docs/ckks.md, rotation keys), got no key for a rotation "
                f"by {s % context.slots} slots")


def rotate(ct, steps: int):
    steps = rotation_steps(steps, "rotate")
    gk = _keys(ct)
    out = ct
    plan = _plan(ct, steps)
    for s in plan:
        out = out._wrap(out._ctx.apply_galois(out._native, ct.context.galois_element(s), gk))
    # One key switch is within the default release bound; a composed rotation is not.
    return ct._then(out, KEY_SWITCH) if len(plan) == 1 else out


def rotate_many(ct, steps):
    steps = [rotation_steps(s, "rotate_many") % ct.context.slots for s in steps]
    gk = _keys(ct)
    elements = set(gk.elements)
    direct = sorted({s for s in steps if s and ct.context.galois_element(s) in elements})
    hoisted = {}
    if direct:
        outs = ct._ctx.apply_galois_hoisted(ct._native, [ct.context.galois_element(s) for s in direct], gk)
        hoisted = {s: ct._then(ct._wrap(o), KEY_SWITCH) for s, o in zip(direct, outs)}
    return [ct if s == 0 else hoisted[s] if s in hoisted else rotate(ct, s) for s in steps]


def sum_slots(ct, width: int | None = None, *, api: str = "sum_slots", operation: str = "sum_slots"):
    """Sum of `width` consecutive slots (default all), replicated: log2(width) rotations
    by 1, 2, ..., width / 2 (keys: ``keygen(operations=["sum_slots"])``). ``api`` and
    ``operation`` name the caller's operation in a missing-key error."""
    width = ct.context.slots if width is None else int(width)
    if width & (width - 1) or not 1 <= width <= ct.context.slots:
        raise ParameterError(f"sum_slots: width is invalid; expected a power of two <= {ct.context.slots}, got {width}")
    require_rotations(ct.context, sum_rotations(width), api, operation)
    out, step = ct, 1
    while step < width:
        out = out + rotate(out, step)
        step <<= 1
    return out
