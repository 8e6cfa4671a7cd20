"""A sparse-diagonal linear map on encrypted slots, evaluated with baby-step giant-step
and hoisted rotations (Halevi-Shoup 2018; Bossuat et al., Eurocrypt 2021).

With offsets d = g + b (g a multiple of n1, 0 <= b < n1):

    sum_d diag_d * rot(v, d) = sum_g rot( sum_b rot(diag_d, -g) * rot(v, b), g )

The baby rotations rot(v, b) share one key-switching decomposition (hoisting); each giant
step is one rotation of a partial sum. The diagonals are encoded once, pre-rotated, at the
level the map is applied at with scale q_level, so that the single rescale at the end
divides the product's scale back exactly: the ciphertext's scale is unchanged.
"""

from __future__ import annotations

import numpy as np

from pyppml._core import he as _he
from pyppml.ckks.bootstrap.dft import Diagonals


def _plan(offsets: list[int]) -> int:
    """Baby-step size n1 (a power of two) minimizing the rotations: distinct babies
    plus distinct giants."""
    best, best_cost = 1, None
    n1 = 1
    top = max(offsets) + 1 if offsets else 1
    while n1 <= 2 * top:
        babies = {d % n1 for d in offsets}
        giants = {d - d % n1 for d in offsets}
        cost = len(babies - {0}) + len(giants - {0})
        if best_cost is None or cost < best_cost:
            best, best_cost = n1, cost
        n1 *= 2
    return best


class LinearTransform:
    """One merged level of CoeffsToSlots or SlotsToCoeffs on a context's slots."""

    def __init__(self, op: Diagonals, slots: int):
        self.op = {int(d) % slots: np.asarray(v, dtype=np.complex128) for d, v in op.items()}
        self.slots = slots
        offsets = sorted(self.op)
        self.n1 = _plan(offsets)
        self.groups: dict[int, list[int]] = {}
        for d in offsets:
            b = d % self.n1
            self.groups.setdefault(d - b, []).append(d)
        self._plain: dict[int, object] | None = None
        self._level = None

    @property
    def babies(self) -> list[int]:
        return sorted({d % self.n1 for d in self.op} - {0})

    @property
    def giants(self) -> list[int]:
        return sorted(set(self.groups) - {0})

    def rotations(self) -> set[int]:
        return set(self.babies) | set(self.giants)

    def encode(self, native_ctx, level: int) -> None:
        """Pre-rotated diagonals as plaintexts at `level`, scale q_level."""
        q = float(native_ctx.q[level])
        plain = {}
        for g, ds in self.groups.items():
            for d in ds:
                plain[d] = native_ctx.encode(np.roll(self.op[d], g), q, level)
        self._plain, self._level = plain, level

    def evaluate(self, native_ctx, ct, galois_keys, element):
        """The map applied to a native ciphertext at the encoded level; one level used."""
        assert self._plain is not None and ct.level == self._level
        babies = self.babies
        rotated = {0: ct}
        if babies:
            outs = native_ctx.apply_galois_hoisted(ct, [element(b) for b in babies], galois_keys)
            rotated.update(zip(babies, outs))
        acc = None
        for g, ds in sorted(self.groups.items()):
            inner = _he.linear_sum(native_ctx, [rotated[d - g] for d in ds], [self._plain[d] for d in ds])
            if g:
                inner = native_ctx.apply_galois(inner, element(g), galois_keys)
            acc = inner if acc is None else native_ctx.add(acc, inner)
        return native_ctx.rescale(acc)
