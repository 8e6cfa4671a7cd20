"""The CKKS decoding map as sparse-diagonal factors, for CoeffsToSlots and SlotsToCoeffs.

Decoding sends u = (m_0 + i m_s, ..., m_{s-1} + i m_{2s-1}) (the coefficients of a
polynomial in Y = X^(n / 2s)) to the slots z = V u, with V the "special FFT" of the
encoder (csrc/he/ckks/encoder.cpp): V = S_s ... S_4 S_2 R, R the bit-reversal
permutation and S_len one butterfly stage with twiddles exp(2 pi i (5^j mod 4 len) / 4 len).

A stage has three nonzero diagonals (offsets 0 and +-len/2): as an operator on a slot
vector v it is sum_d diag_d * rot(v, d), rot(v, d)[k] = v[k + d] (a left rotation by d,
what ``Ciphertext.rotate(d)`` computes). Without R the map stays sparse-diagonal:
CoeffsToSlots computes R V^{-1} (coefficients in bit-reversed order) and SlotsToCoeffs
V R from them, so R is never evaluated (Cheon, Han, Hhan, ePrint 2018/1073).

A transform is a list of such operators; consecutive stages are merged into the levels of
a "level budget" (each merged level has at most 2^(k+1) - 1 diagonals for k stages).
Operators here act on s-periodic vectors of n/2 slots: the diagonals are tiled.
"""

from __future__ import annotations

import numpy as np

Diagonals = dict[int, np.ndarray]  # offset (mod slots) -> coefficient vector


def bit_reverse(values: np.ndarray) -> np.ndarray:
    """values in bit-reversed index order (R)."""
    s = len(values)
    bits = s.bit_length() - 1
    idx = np.array([int(format(i, f"0{bits}b")[::-1], 2) if bits else 0 for i in range(s)])
    return values[idx]


def _twiddles(length: int) -> np.ndarray:
    half = length // 2
    rot = np.array([pow(5, j, 4 * length) for j in range(half)], dtype=np.float64)
    return np.exp(2j * np.pi * rot / (4 * length))


def butterfly_stage(s: int, length: int, inverse: bool = False) -> Diagonals:
    """S_length (or its inverse) on s values, as diagonals of length s."""
    half = length // 2
    w = np.tile(_twiddles(length), s // length)
    first = (np.arange(s) % length) < half
    w_full = np.empty(s, dtype=np.complex128)
    # w_full[k] is the twiddle of the butterfly that slot k belongs to.
    w_full[first] = w
    w_full[~first] = w
    zero = np.zeros(s, dtype=np.complex128)
    if not inverse:
        # out[a] = v[a] + w v[a + half]; out[b] = v[b - half] - w v[b]  (b = a + half)
        d0 = np.where(first, 1.0, -w_full)
        dp = np.where(first, w_full, zero)
        dm = np.where(first, zero, 1.0 + 0j)
    else:
        # v[a] = (out[a] + out[b]) / 2; v[b] = (out[a] - out[b]) / (2 w)
        d0 = np.where(first, 0.5 + 0j, -0.5 / w_full)
        dp = np.where(first, 0.5 + 0j, zero)
        dm = np.where(first, zero, 0.5 / w_full)
    out = {0: d0}
    if half % s:
        out[half % s] = dp
        out[(-half) % s] = dm if (-half) % s != half % s else dm + dp
    else:
        out[0] = d0 + dp + dm
    return out


def tile(op: Diagonals, period: int, slots: int) -> Diagonals:
    """An operator on `period`-periodic vectors written on `slots` slots."""
    reps = slots // period
    return {d % slots: np.tile(v, reps) for d, v in op.items()}


def compose(outer: Diagonals, inner: Diagonals, slots: int) -> Diagonals:
    """outer after inner: (A B) v = sum a_d1 * rot(b_d2, d1) * rot(v, d1 + d2)."""
    out: Diagonals = {}
    for d1, a in outer.items():
        for d2, b in inner.items():
            d = (d1 + d2) % slots
            term = a * np.roll(b, -d1)
            out[d] = out[d] + term if d in out else term
    return {d: v for d, v in out.items() if np.max(np.abs(v)) > 0}


def apply(op: Diagonals, v: np.ndarray) -> np.ndarray:
    """The operator on a plain vector (reference for the encrypted evaluation)."""
    return sum(diag * np.roll(v, -d) for d, diag in op.items())


def scale_rows(op: Diagonals, factors: np.ndarray) -> Diagonals:
    """diag(factors) after op."""
    return {d: v * factors for d, v in op.items()}


def group_stages(stages: list[Diagonals], levels: int, slots: int) -> list[Diagonals]:
    """Merge consecutive stages (in application order) into `levels` operators, the
    earlier groups taking the extra stages."""
    levels = max(1, min(levels, len(stages)))
    base, extra = divmod(len(stages), levels)
    out, i = [], 0
    for g in range(levels):
        count = base + (1 if g < extra else 0)
        op = stages[i]
        for st in stages[i + 1 : i + count]:
            op = compose(st, op, slots)
        out.append(op)
        i += count
    return out


def coeffs_to_slots_stages(s: int) -> list[Diagonals]:
    """R V^{-1} on s values, in application order: S_s^{-1} first, S_2^{-1} last."""
    stages, length = [], s
    while length >= 2:
        stages.append(butterfly_stage(s, length, inverse=True))
        length //= 2
    return stages


def slots_to_coeffs_stages(s: int) -> list[Diagonals]:
    """V R on s values, in application order: S_2 first, S_s last."""
    stages, length = [], 2
    while length <= s:
        stages.append(butterfly_stage(s, length))
        length *= 2
    return stages


def decode_matrix_reference(s: int) -> np.ndarray:
    """V as a dense matrix (tests): V[k, j] = exp(i pi 5^k j / 2s)."""
    rot = np.array([pow(5, k, 4 * s) for k in range(s)])
    return np.exp(1j * np.pi * np.outer(rot, np.arange(s)) / (2 * s))

