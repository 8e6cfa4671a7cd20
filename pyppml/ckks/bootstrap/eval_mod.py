"""EvalMod: t -> t mod q_0 on slots, as a scaled cosine with double-angle steps
(Han-Ki 2020; Bossuat et al. 2021).

The slots hold y = x / K_b with x = t / q_0 = I + m / q_0, |I| <= K (the overflow of
ModRaise, bounded through the sparse ephemeral secret) and K_b = K + 1/2. A Chebyshev
interpolant of cos(2 pi (K_b y - 1/4) / 2^r) on [-1, 1] followed by r steps
c <- 2 c^2 - 1 gives cos(2 pi (x - 1/4)) = sin(2 pi x) ~ 2 pi m / q_0 for |m| << q_0; the
1 / (2 pi) is folded into SlotsToCoeffs. The sine's own error, (2 pi)^2 / 6 (m / q_0)^3
relative to m / q_0 squared, is 2^-37 for m / q_0 = 2^-20 (the default chain's ratio).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pyppml.ckks.polynomial import chebyshev_coefficients, evaluate_chebyshev


@dataclass(frozen=True)
class EvalModShape:
    k: int = 16             # |I| <= k
    degree: int = 63        # Chebyshev degree of the cosine
    double_angle: int = 2   # r

    @property
    def k_bound(self) -> float:
        return self.k + 0.5

    @property
    def depth(self) -> int:
        return max(self.degree, 0).bit_length() + self.double_angle

    def coefficients(self) -> np.ndarray:
        kb, r = self.k_bound, self.double_angle
        return chebyshev_coefficients(lambda y: np.cos(2 * np.pi * (kb * y - 0.25) / 2 ** r), self.degree, (-1.0, 1.0))

    def approximation_error(self, ratio: float) -> float:
        """max |approximated sine - identity| / (2 pi), in units of q_0, over |I| <= k and
        |m / q_0| <= ratio (float64 model of the circuit)."""
        c = self.coefficients()
        eps = np.linspace(-ratio, ratio, 257)
        x = (np.arange(-self.k, self.k + 1)[:, None] + eps[None, :]).ravel()
        v = np.polynomial.chebyshev.chebval(x / self.k_bound, c)
        for _ in range(self.double_angle):
            v = 2 * v * v - 1
        return float(np.max(np.abs(v / (2 * math.pi) - np.tile(eps, 2 * self.k + 1))))


def eval_mod(ct, shape: EvalModShape, coeffs: np.ndarray):
    """sin(2 pi K_b y) on a ciphertext of y (high-level Ciphertext): shape.depth levels."""
    v = evaluate_chebyshev(ct, coeffs)
    for _ in range(shape.double_angle):
        sq = v * v
        v = sq._wrap(sq._ctx.multiply_integer(sq._native, 2)) - 1.0
    return v
