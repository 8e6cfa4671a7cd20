"""A sparse-diagonal linear map on encrypted slots, evaluated with baby-step giant-step
and hoisted rotations (Halevi-Shoup 2018; Bossuat et al., Eurocrypt 2021).

With offsets d = g + b (g a multiple of n1, 0 <= b < n1):

    sum_d diag_d * rot(v, d) = sum_g rot( sum_b rot(diag_d, -g) * rot(v, b), g )

The baby rotations rot(v, b) share one key-switching decomposition and stay over Q*P
without their ModDown (double hoisting, csrc/he/ckks/bootstrap/baby_steps.hpp): a baby step
costs about a third of a rotation, so the plan takes more baby steps and fewer giant
steps. Each giant step is one rotation of a partial sum, its inner product kept over
Q*P too: the giant steps share one ModDown, fused with the level's rescale. The diagonals are encoded once,
pre-rotated, over Q_level * P with scale q_level, so that the single rescale at the end
divides the product's scale back exactly: the ciphertext's scale is unchanged.
"""

from __future__ import annotations

import numpy as np

from pyppml._core import he as _he
from pyppml.ckks.bootstrap.dft import Diagonals


# Costs relative to a giant-step rotation, measured at n = 2^16 (one thread): a hoisted
# baby step without ModDown (inner product and automorphism), and the ModDown that every
# partial sum takes.
BABY_STEP_COST = 0.3
PARTIAL_SUM_COST = 0.25


def _plan(offsets: list[int]) -> int:
    """Baby-step size n1 (a power of two) minimizing the estimated cost of the baby
    steps, the giant steps and the partial sums' ModDowns."""
    best, best_cost = 1, None
    n1 = 1
    top = max(offsets) + 1 if offsets else 1
    while n1 <= 2 * top:
        babies = {d % n1 for d in offsets}
        giants = {d - d % n1 for d in offsets}
        cost = BABY_STEP_COST * len(babies - {0}) + len(giants - {0}) + PARTIAL_SUM_COST * len(giants)
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
        """Pre-rotated diagonals over Q_level * P, scale q_level."""
        q = float(native_ctx.q[level])
        plain = {}
        for g, ds in self.groups.items():
            for d in ds:
                plain[d] = _he.encode_hoisted_diagonal(native_ctx, np.roll(self.op[d], g), q, level)
        self._plain, self._level = plain, level

    def evaluate(self, native_ctx, ct, galois_keys, element):
        """The map applied to a native ciphertext at the encoded level; one level used."""
        assert self._plain is not None and ct.level == self._level
        babies = self.babies
        index = {b: i for i, b in enumerate(babies)}
        index[0] = -1
        giants = sorted(self.groups)
        groups = [[(index[d - g], self._plain[d]) for d in self.groups[g]] for g in giants]
        return _he.linear_transform_rescale(native_ctx, ct, [element(b) for b in babies], galois_keys, groups,
                                            [element(g) if g else 1 for g in giants])
