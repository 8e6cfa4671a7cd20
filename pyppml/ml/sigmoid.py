"""Polynomial approximations of the logistic function for encrypted training and
inference: least squares (Kim, Song, Kim, Lee, Cheon 2018) or Chebyshev interpolation,
kept odd around 1/2 and in the power basis so that the trainer can fold per-slot
coefficients into its plaintext masks and evaluate them at depth ceil(log2(degree + 1))."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pyppml.ckks import chebyshev_coefficients, least_squares_coefficients


def sigmoid(t):
    """The exact logistic function 1 / (1 + exp(-t)), overflow-free."""
    t = np.asarray(t, dtype=np.float64)
    out = np.empty_like(t)
    pos = t >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-t[pos]))
    e = np.exp(t[~pos])
    out[~pos] = e / (1.0 + e)
    return out


@dataclass(frozen=True)
class SigmoidApproximation:
    """sigma(t) ~ sum_k coeffs[k] t^k on [-bound, bound] (odd part plus 1/2).

    Parameters
    ----------
    degree : int
        Odd degree (1, 3, 5, 7, 9, ...).
    bound : float
        Half-width R of the interval [-R, R] where the fit is made.
    method : {"least_squares", "chebyshev"}
        Least squares on a uniform grid (the iDASH 2017 winner's choice) or interpolation
        at the Chebyshev nodes (smaller maximum error).

    Examples
    --------
    >>> approx = SigmoidApproximation.fit(3, 8.0)
    >>> bool(approx.max_error() < 0.15)
    True
    """

    degree: int
    bound: float
    method: str
    coeffs: tuple

    @classmethod
    def fit(cls, degree: int, bound: float, method: str = "least_squares") -> SigmoidApproximation:
        degree, bound = int(degree), float(bound)
        if degree < 1 or degree % 2 == 0:
            raise ValueError(f"SigmoidApproximation: degree is invalid; expected an odd integer >= 1, got {degree}")
        if not (bound > 0 and math.isfinite(bound)):
            raise ValueError(f"SigmoidApproximation: bound is invalid; expected a finite number > 0, got {bound}")
        if method == "least_squares":
            c = least_squares_coefficients(sigmoid, degree, (-bound, bound), odd=True)
        elif method == "chebyshev":
            cheb = chebyshev_coefficients(sigmoid, degree, (-bound, bound))
            # Chebyshev series in y = t / R -> power series in t.
            c = np.polynomial.chebyshev.cheb2poly(cheb) / bound ** np.arange(degree + 1)
        else:
            raise ValueError(f"SigmoidApproximation: method is unknown; expected 'least_squares' or 'chebyshev', got {method!r}")
        # sigma(t) - 1/2 is odd: drop the even terms that only carry rounding.
        c = np.asarray(c, dtype=np.float64)
        c[2::2] = 0.0
        c[0] = 0.5
        return cls(degree, bound, method, tuple(float(v) for v in c))

    def __call__(self, t) -> np.ndarray:
        return np.polynomial.polynomial.polyval(np.asarray(t, dtype=np.float64), np.asarray(self.coeffs))

    @property
    def depth(self) -> int:
        """Multiplicative depth of one evaluation on a ciphertext, with the coefficients
        folded into plaintext multiplications: ceil(log2(degree + 1))."""
        return max(1, math.ceil(math.log2(self.degree + 1)))

    def max_error(self) -> float:
        t = np.linspace(-self.bound, self.bound, 4001)
        return float(np.max(np.abs(self(t) - sigmoid(t))))


def choose_bound(row_norms: np.ndarray) -> float:
    """Interval half-width R from the data range: 8 while the median (scaled) sample norm
    is at most 6, doubled for each doubling beyond, at most 32. After the scaling of
    `preprocess` a fitted weight vector has a norm of order one, so the scores z . w of
    nearly all samples fall inside [-R, R] (Kim et al. 2018 use [-8, 8] on iDASH)."""
    r = float(np.median(np.asarray(row_norms, dtype=np.float64))) if len(row_norms) else 1.0
    return float(min(32.0, 8.0 * 2.0 ** max(0, math.ceil(math.log2(max(r, 1e-12) / 6.0)))))


def choose_degree(bound: float) -> int:
    """3 on [-8, 8] (error < 0.04, depth 2), 7 beyond (depth 3)."""
    return 3 if bound <= 8.0 else 7
