"""Row packing of a samples x features matrix into CKKS slots (after Kim, Song, Kim,
Lee, Cheon 2018): each sample takes a block of 2W slots, W = the next power of two
>= features, holding its row twice ([z, 0-pad | z, 0-pad]). A window sum of W slots
(log2 W rotations) then leaves the full inner product z . v in the first W slots of each
block without a mask, and a column sum over the blocks (log2(slots / 2W) rotations)
leaves the gradient in every block."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RowPacking:
    """Slot layout of ``features`` columns in ciphertexts of ``slots`` slots."""

    features: int
    slots: int

    def __post_init__(self):
        if self.features < 1 or self.block > self.slots:
            raise ValueError(f"RowPacking: features is out of range; expected 1 <= 2 * next_pow2(features) <= {self.slots}, got {self.features}")

    @property
    def width(self) -> int:
        return 1 << max(0, math.ceil(math.log2(self.features)))

    @property
    def block(self) -> int:
        return 2 * self.width

    @property
    def rows_per_ciphertext(self) -> int:
        return self.slots // self.block

    def ciphertexts_for(self, rows: int) -> int:
        return max(1, -(-rows // self.rows_per_ciphertext))

    def pack(self, Z: np.ndarray) -> list[np.ndarray]:
        """Slot vectors of the rows of Z (rows x features), duplicated in each block."""
        Z = np.asarray(Z, dtype=np.float64)
        R, W, B = self.rows_per_ciphertext, self.width, self.block
        out = []
        for k in range(self.ciphertexts_for(len(Z))):
            part = Z[k * R:(k + 1) * R]
            blocks = np.zeros((R, B))
            blocks[:len(part), :self.features] = part
            blocks[:len(part), W:W + self.features] = part
            out.append(blocks.reshape(-1))
        return out

    def feature_vector(self, values: np.ndarray) -> np.ndarray:
        """A per-feature vector in the first W slots of every block (zeros elsewhere):
        the mask that also carries per-feature coefficients."""
        row = np.zeros(self.block)
        row[:self.features] = np.asarray(values, dtype=np.float64)
        return np.tile(row, self.rows_per_ciphertext)

    def unpack_weights(self, slots: np.ndarray) -> np.ndarray:
        return np.asarray(slots[:self.features], dtype=np.float64)

    def row_sum_rotations(self) -> list[int]:
        return [1 << i for i in range(int(math.log2(self.width)))]

    def column_sum_rotations(self) -> list[int]:
        out, step = [], self.block
        while step < self.slots:
            out.append(step)
            step <<= 1
        return out

    def rotations(self) -> list[int]:
        """Every rotation the trainer uses (to pass to keygen)."""
        return self.row_sum_rotations() + self.column_sum_rotations() + [-self.width]
