"""Plaintext matrix times encrypted vector: generalized diagonals with baby-step
giant-step rotations (Halevi-Shoup 2014, 2018): about 2*sqrt(D) rotations for a D x D
block, the baby rotations hoisted."""

from __future__ import annotations

import math

import numpy as np

from pyppml._core import ParameterError
from pyppml.ckks.rotation import require_rotations, rotate


def _replicate(ct, period: int):
    """Copies of slots [0, period) across all slots (requires zeros beyond `period`)."""
    out, width = ct, period
    while width < ct.context.slots:
        out = out + rotate(out, -width)
        width <<= 1
    return out


def matvec_rotations(dim: int, slots: int) -> list[int]:
    """Rotation steps `matvec` uses for a dim x dim block (to pass to keygen)."""
    D = 1 << max(0, math.ceil(math.log2(max(dim, 1))))
    n1 = 1 << math.ceil(math.log2(D) / 2)
    steps = set(range(1, n1)) | {g * n1 for g in range(1, D // n1 + (D % n1 > 0))}
    width = D
    while width < slots:
        steps.add(-width)
        width <<= 1
    return sorted(steps)


def matvec(matrix: np.ndarray, ct, replicated: bool = False, padded: bool = False, *, api: str = "matvec"):
    """``matrix @ v`` for v encrypted in slots [0, d) (zeros elsewhere, or already
    replicated with period D when ``replicated``). The result holds (M v)_i in slot i
    for i < m, replicated with period D = the next power of two >= max(m, d), or, with
    ``padded``, zeros in every other slot. One level.

    Rotation keys: left by 1 .. n1 - 1 and by multiples of n1 (n1 = 2^ceil(log2(D) / 2)),
    and right by D, 2D, ... < slots unless ``replicated`` (``matvec_rotations``); missing
    ones are composed of power-of-two keys (``keygen(operations=["matvec"])``).

    Raises
    ------
    ParameterError
        A matrix that is not finite and 2-D or exceeds the slots; a rotation that has
        no key (the message names ``api``).
    """
    M = np.asarray(matrix, dtype=np.float64)
    if M.ndim != 2 or not np.all(np.isfinite(M)):
        raise ParameterError(f"{api}: matrix is invalid; expected a finite 2-D array, got shape {M.shape}")
    m, d = M.shape
    slots = ct.context.slots
    D = 1 << max(0, math.ceil(math.log2(max(m, d))))
    if D > slots:
        raise ParameterError(f"{api}: matrix is too large; expected max(rows, cols) <= {slots} slots, got {M.shape}")
    n1 = 1 << math.ceil(math.log2(D) / 2)
    n2 = -(-D // n1)
    used = [s for s in matvec_rotations(D, slots) if s > 0 or not replicated]
    require_rotations(ct.context, used, api, "matvec")
    square = np.zeros((D, D))
    square[:m, :d] = M
    v = ct if replicated else _replicate(ct, D)
    babies = v.rotate_many(range(n1))
    if v.level == 0:
        raise ParameterError(f"{api}: vector is at level 0; expected a level >= 1 for the product, got 0")
    # Every diagonal is encoded at one scale, chosen from the largest entry (see
    # Ciphertext._shift_for), so the unrescaled terms add exactly and one rescale at the
    # end lands the result on target * 2^k (target: the next level's standard scale).
    from pyppml.ckks.ciphertext import _standard_scale

    k = v._shift_for(float(np.max(np.abs(M))) if M.size else 0.0, api)
    target = _standard_scale(v.context, v.level - 1, v.scale, v.level) * 2.0 ** k
    pt_scale = target * float(v.context.coeff_moduli[v.level]) / v.scale
    rows = np.arange(D)
    tile = slots // D
    result = None
    for g in range(n2):
        inner = None
        for b in range(n1):
            i = g * n1 + b
            if i >= D:
                break
            diag = square[rows, (rows + i) % D]
            if not np.any(diag):
                continue
            # rot(diag_i, -g*n1) so that the giant rotation lines it up again; without the
            # tiling the result is zero outside [0, D).
            full = np.zeros(slots)
            full[:D] = diag
            shifted = np.roll(full if padded else np.tile(diag, tile), g * n1)
            term = babies[b].multiply_plain(v.context.encode(shifted, scale=pt_scale, level=v.level))
            inner = term if inner is None else inner._wrap(inner._ctx.add(inner._native, term._native))
        if inner is None:
            continue
        inner = rotate(inner, g * n1) if g else inner
        result = inner if result is None else result._wrap(result._ctx.add(result._native, inner._native))
    if result is None:
        return ct * 0.0
    return result.rescale().with_scale(target)
