"""Plaintext matrix times encrypted vector: generalized diagonals with baby-step
giant-step rotations (Halevi-Shoup 2014, 2018): about 2*sqrt(D) rotations for a D x D
block, the baby rotations hoisted. A wide block (m rows much fewer than D columns) uses
m' = next power of two >= m "hybrid" diagonals of length D and log2(D / m') rotations
to fold them (Juvekar et al. 2018, GAZELLE): m' products instead of D."""

from __future__ import annotations

import math

import numpy as np

from pyppml._core import ParameterError
from pyppml.ckks.rotation import require_rotations, rotate

# A block takes the hybrid method from this many columns on, when it has at least
# WIDE_RATIO times more (padded) columns than rows: the result then holds other values
# past its m' slots, which costs a mask (one level) before a sum or another product.
WIDE_MIN_COLS = 512
WIDE_RATIO = 16


def _pow2(x: int) -> int:
    return 1 << max(0, (int(x) - 1).bit_length())


def _replicate(ct, period: int):
    """Copies of slots [0, period) across all slots (requires zeros beyond `period`)."""
    out, width = ct, period
    while width < ct.context.slots:
        out = out + rotate(out, -width)
        width <<= 1
    return out


def _bsgs_steps(count: int) -> set[int]:
    n1 = 1 << math.ceil(math.log2(max(count, 1)) / 2)
    return set(range(1, n1)) | {g * n1 for g in range(1, -(-count // n1))}


def _replication_steps(D: int, slots: int) -> set[int]:
    steps, width = set(), D
    while width < slots:
        steps.add(-width)
        width <<= 1
    return steps


def matvec_rotations(dim: int, slots: int) -> list[int]:
    """Rotation steps `matvec` uses for a dim x dim block (to pass to keygen)."""
    D = _pow2(max(dim, 1))
    return sorted(_bsgs_steps(D) | _replication_steps(D, slots))


def is_wide(rows: int, cols: int) -> bool:
    """Whether a (rows, cols) block takes the hybrid method (see WIDE_MIN_COLS)."""
    D = _pow2(max(rows, cols))
    return D >= WIDE_MIN_COLS and WIDE_RATIO * _pow2(rows) <= D


def block_rotations(rows: int, cols: int, slots: int) -> list[int]:
    """Rotation steps of the product of one (rows, cols) block, whichever method it takes."""
    if not is_wide(rows, cols):
        return matvec_rotations(max(rows, cols), slots)
    mp, D = _pow2(rows), _pow2(cols)
    folds = {mp << j for j in range(max(0, (D // mp).bit_length() - 1))}
    return sorted(_bsgs_steps(mp) | folds | _replication_steps(D, slots))


def _check(matrix, ct, api: str):
    M = np.asarray(matrix, dtype=np.float64)
    if M.ndim != 2 or not np.all(np.isfinite(M)):
        raise ParameterError(f"{api}: matrix is invalid; expected a finite 2-D array, got shape {M.shape}")
    slots = ct.context.slots
    if _pow2(max(M.shape)) > slots:
        raise ParameterError(f"{api}: matrix is too large; expected max(rows, cols) <= {slots} slots, got {M.shape}")
    return M


def _diagonal_sum(v, diagonal, count: int, D: int, padded: bool, max_abs: float, api: str):
    """sum_{i < count} diagonal(i) * rot(v, i) by baby-step giant-step, for diagonals of
    length D (tiled over the slots, or zero past D when ``padded``), not yet rescaled,
    and the scale its rescale must land on (the next level's standard scale, times 2^k
    for tiny or huge entries). (None, target) when every diagonal is zero."""
    from pyppml.ckks.scales import standard_scale as _standard_scale

    if v.level == 0:
        raise ParameterError(f"{api}: vector is at level 0; expected a level >= 1 for the product, got 0")
    slots = v.context.slots
    n1 = 1 << math.ceil(math.log2(max(count, 1)) / 2)
    n2 = -(-count // n1)
    babies = v.rotate_many(range(n1))
    # Every diagonal is encoded at one scale, chosen from the largest entry (see
    # Ciphertext._shift_for), so the unrescaled terms add exactly and one rescale at the
    # end lands the result on target * 2^k.
    k = v._shift_for(max_abs, api)
    target = _standard_scale(v.context, v.level - 1, v.scale, v.level) * 2.0 ** k
    pt_scale = target * float(v.context.coeff_moduli[v.level]) / v.scale
    result = None
    for g in range(n2):
        inner = None
        for b in range(n1):
            i = g * n1 + b
            if i >= count:
                break
            diag = diagonal(i)
            if not np.any(diag):
                continue
            # rot(diag_i, -g*n1) so that the giant rotation lines it up again; without the
            # tiling the result is zero outside [0, D).
            if padded:
                full = np.zeros(slots)
                full[:D] = diag
            else:
                full = np.tile(diag, slots // D)
            term = babies[b].multiply_plain(v.context.encode(np.roll(full, g * n1), scale=pt_scale, level=v.level))
            inner = term if inner is None else inner._wrap(inner._ctx.add(inner._native, term._native))
        if inner is None:
            continue
        inner = rotate(inner, g * n1) if g else inner
        result = inner if result is None else result._wrap(result._ctx.add(result._native, inner._native))
    return result, target


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
    M = _check(matrix, ct, api)
    m, d = M.shape
    slots = ct.context.slots
    D = _pow2(max(m, d))
    used = [s for s in matvec_rotations(D, slots) if s > 0 or not replicated]
    require_rotations(ct.context, used, api, "matvec")
    square = np.zeros((D, D))
    square[:m, :d] = M
    v = ct if replicated else _replicate(ct, D)
    rows = np.arange(D)
    out, target = _diagonal_sum(v, lambda i: square[rows, (rows + i) % D], D, D, padded,
                                float(np.max(np.abs(M))) if M.size else 0.0, api)
    return ct * 0.0 if out is None else out.rescale().with_scale(target)


def matvec_block(matrix: np.ndarray, ct, *, api: str = "matvec"):
    """``matrix @ v`` for v in slots [0, d), zeros elsewhere, by the method the block's
    shape calls for (``is_wide``). Returns (ciphertext, clean): (M v)_i in slot i < m
    and, when ``clean``, zeros in every other slot; a wide block leaves other values past
    its first m' = next power of two >= m slots (clean is False). One level."""
    M = _check(matrix, ct, api)
    m, d = M.shape
    if not is_wide(m, d):
        return matvec(M, ct, padded=True, api=api), True
    slots = ct.context.slots
    require_rotations(ct.context, block_rotations(m, d, slots), api, "matvec")
    mp, D = _pow2(m), _pow2(d)
    wide = np.zeros((mp, D))
    wide[:m, :d] = M
    ks = np.arange(D)
    v = _replicate(ct, D)
    # diag_i[k] = M[k mod m', (k + i) mod D]: after the sum, slot k holds row k mod m''s
    # products with one stride-m' comb of v; folding by m', 2m', ..., D/2 adds the combs.
    z, target = _diagonal_sum(v, lambda i: wide[ks % mp, (ks + i) % D], mp, D, True,
                              float(np.max(np.abs(M))) if M.size else 0.0, api)
    if z is None:
        return ct * 0.0, True
    # Folded before the rescale: the key-switching noise of the folds is then divided by
    # q_l with the rest (after it, each fold would add ~1e-7 at n = 2^11, scale 2^40).
    step = mp
    while step < D:
        z = z._wrap(z._ctx.add(z._native, rotate(z, step)._native))
        step <<= 1
    return z.rescale().with_scale(target), False
