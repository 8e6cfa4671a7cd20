"""Plaintext matrix times encrypted vector: generalized diagonals with baby-step
giant-step rotations (Halevi-Shoup 2014, 2018): about 2*sqrt(D) rotations for a D x D
block, the baby rotations hoisted."""

from __future__ import annotations

import math

import numpy as np

from pyppml._core import ParameterError
from pyppml.ckks.rotation import rotate


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


def matvec(matrix: np.ndarray, ct, replicated: bool = False):
    """``matrix @ v`` for v encrypted in slots [0, d) (zeros elsewhere, or already
    replicated with period D when ``replicated``). The result holds (M v)_i in slot i
    for i < m, replicated with period D = the next power of two >= max(m, d)."""
    M = np.asarray(matrix, dtype=np.float64)
    if M.ndim != 2 or not np.all(np.isfinite(M)):
        raise ParameterError(f"matvec: matrix is invalid; expected a finite 2-D array, got shape {M.shape}")
    m, d = M.shape
    slots = ct.context.slots
    D = 1 << max(0, math.ceil(math.log2(max(m, d))))
    if D > slots:
        raise ParameterError(f"matvec: matrix is too large; expected max(rows, cols) <= {slots} slots, got {M.shape}")
    square = np.zeros((D, D))
    square[:m, :d] = M
    v = ct if replicated else _replicate(ct, D)
    n1 = 1 << math.ceil(math.log2(D) / 2)
    n2 = -(-D // n1)
    babies = v.rotate_many(range(n1))
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
            # rot(diag_i, -g*n1) so that the giant rotation lines it up again.
            shifted = np.roll(np.tile(diag, tile), g * n1)
            term = babies[b] * shifted
            inner = term if inner is None else inner + term
        if inner is None:
            continue
        inner = rotate(inner, g * n1) if g else inner
        result = inner if result is None else result + inner
    if result is None:
        return ct * 0.0
    return result
