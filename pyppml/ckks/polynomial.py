"""Polynomial evaluation on ciphertexts, in the power or the Chebyshev basis, by the
baby-step giant-step recursion (Han-Ki 2020; Lee et al. 2020; Bossuat et al. 2021):
p = q * B_G + r with G the largest power of two <= deg p, down to baby polynomials of
degree < 2^ceil(log2(d+1)/2). Each baby term c * B_i is built so that the scalar rides on
the lower-depth factor (c B_i = (c B_r) B_a, a = 2^floor(log2 i)), which keeps the depth at
the optimum ceil(log2(d + 1)) levels (plus one for mapping a Chebyshev interval to [-1, 1]).

>>> # sigmoid on [-8, 8] with a degree-7 Chebyshev interpolant
>>> # ckks.evaluate_chebyshev(ct, chebyshev_coefficients(sigmoid, 7, (-8, 8)), (-8, 8))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from pyppml._core import ParameterError

_EPS = 1e-14


def factor_index(k: int) -> tuple[int, int]:
    """(a, b) with a + b = k, a the largest power of two below k (k / 2 for a power of
    two): B_k is built from B_a B_b at depth ceil(log2 k)."""
    a = 1 << (k.bit_length() - 1)
    if a == k:
        a = k // 2
    return a, k - a


class _Basis:
    """Lazily computed, cached basis polynomials B_k(x) of one ciphertext."""

    def __init__(self, x, chebyshev: bool):
        self.chebyshev = chebyshev
        self.x = x
        self.top = x.level
        self.cache = {1: x}

    @staticmethod
    def level_of_scaled(maker) -> int:
        return maker.level

    def get(self, k: int):
        if k in self.cache:
            return self.cache[k]
        a, b = factor_index(k)
        prod = self.get(a) * self.get(b)
        if self.chebyshev:
            # T_{a+b} = 2 T_a T_b - T_{a-b}; doubling is an exact integer product.
            prod = prod._wrap(prod._ctx.multiply_integer(prod._native, 2))
            prod = prod - 1.0 if a == b else prod - self.get(a - b)
        self.cache[k] = prod
        return prod


def power(ct, exponent: int):
    """ct ** exponent by repeated squaring: depth ceil(log2(exponent))."""
    if isinstance(exponent, bool) or not isinstance(exponent, numbers.Integral) or exponent < 1:
        raise ParameterError(f"power: exponent is invalid; expected an integer >= 1, got {exponent!r}")
    return _Basis(ct, chebyshev=False).get(int(exponent))


def _split(coeffs: np.ndarray, G: int, chebyshev: bool):
    d = len(coeffs) - 1
    if not chebyshev:
        return coeffs[G:].copy(), coeffs[:G].copy()
    q = 2.0 * coeffs[G:]
    q[0] = coeffs[G]
    r = coeffs[:G].copy()
    for i in range(G):
        if 2 * G - i <= d and i != G:
            r[i] -= coeffs[2 * G - i]
    return q, r


def _depth(degree: int) -> int:
    """ceil(log2(degree + 1)): the optimal depth of a degree-`degree` polynomial."""
    return max(degree, 0).bit_length()


def _product_to(basis: _Basis, make_left, right, target: float):
    """left * right rescaled to scale `target`, where left = make_left(scale) is built at
    the scale that makes the product land exactly on `target`."""
    level = min(basis.level_of_scaled(make_left), right.level)
    q = float(basis.x.context.coeff_moduli[level])
    left = make_left(target * q / right.scale)
    a, b = left.drop_to_level(level), right.drop_to_level(level)
    prod = a._wrap(a._ctx.multiply(a._native, b._native)).relinearize_rescale()
    prod._native.scale = target  # a fresh ciphertext: relabelled in place, not copied
    return prod


def _scaled_term(basis: _Basis, c: float, i: int, target: float):
    """c * B_i with scale `target` at depth ceil(log2(i + 1)): the scalar is multiplied
    into the lower-depth factor before the last product."""
    if i == 1:
        return basis.get(1).times_scalar_to(c, target)
    a = 1 << (i.bit_length() - 1)
    if a == i:
        a = i // 2
    r = i - a
    maker = _Maker(lambda t, r=r: _scaled_term(basis, c, r, t), basis.top - _depth(r))
    prod = _product_to(basis, maker, basis.get(a), target)
    if not basis.chebyshev:
        return prod
    # c T_{a+r} = 2 (c T_r) T_a - c T_{a-r}
    prod = prod._wrap(prod._ctx.multiply_integer(prod._native, 2))
    return prod - c if a == r else prod - _scaled_term(basis, c, a - r, target)


class _Maker:
    """A deferred ciphertext of known level whose scale is chosen by the caller."""

    def __init__(self, build, level: int):
        self.build, self.level = build, level

    def __call__(self, scale: float):
        return self.build(scale)


def _evaluate(basis: _Basis, coeffs: np.ndarray, baby: int, target: float):
    d = len(coeffs) - 1
    while d > 0 and abs(coeffs[d]) < _EPS:
        d -= 1
    coeffs = coeffs[: d + 1]
    if d < baby:
        acc = None
        for i in range(1, d + 1):
            if abs(coeffs[i]) < _EPS:
                continue
            term = _scaled_term(basis, float(coeffs[i]), i, target)
            acc = term if acc is None else acc + term
        if acc is None:
            return float(coeffs[0])
        return acc + float(coeffs[0]) if abs(coeffs[0]) >= _EPS else acc
    G = 1 << (d.bit_length() - 1)
    q, r = _split(coeffs, G, basis.chebyshev)
    q_degree = int(np.max(np.nonzero(np.abs(q) >= _EPS)[0], initial=0))
    maker = _Maker(lambda t: _evaluate(basis, q, baby, t), basis.top - _depth(q_degree))
    giant = basis.get(G)
    if q_degree == 0:
        prod = giant.times_scalar_to(float(q[0]), target)
    else:
        prod = _product_to(basis, maker, giant, target)
    rv = _evaluate(basis, r, baby, target)
    return prod + rv if not (isinstance(rv, float) and abs(rv) < _EPS) else prod


def evaluate_polynomial(ct, coeffs: Sequence[float], basis: str = "power", interval: tuple[float, float] | None = None):
    """p(ct) slot-wise for real coefficients.

    ``basis="power"``: p(x) = sum c_i x^i. ``basis="chebyshev"``: p(x) = sum c_i T_i(y)
    with y = (2x - (a + b)) / (b - a) mapping ``interval`` = (a, b) to [-1, 1].
    """
    coeffs = np.asarray(coeffs, dtype=np.float64)
    if coeffs.ndim != 1 or len(coeffs) == 0 or not np.all(np.isfinite(coeffs)):
        raise ParameterError(f"evaluate_polynomial: coeffs is invalid; expected a non-empty 1-D array of finite numbers, got {coeffs!r}")
    if basis not in ("power", "chebyshev"):
        raise ParameterError(f"evaluate_polynomial: basis is unknown; expected 'power' or 'chebyshev', got {basis!r}")
    x = ct
    if basis == "chebyshev":
        a, b = interval if interval is not None else (-1.0, 1.0)
        if not b > a:
            raise ParameterError(f"evaluate_polynomial: interval is empty; expected a < b, got {interval}")
        if (a, b) != (-1.0, 1.0):
            x = ct * (2.0 / (b - a)) + (-(a + b) / (b - a))
    d = len(coeffs) - 1
    baby = 1 << max(1, math.ceil(math.log2(d + 1) / 2))
    # The result lands on the standard scale of its level (see Context.level_scale), so
    # it adds exactly to other results there; an explicit scale off the standard is kept.
    nonzero = np.nonzero(np.abs(coeffs) >= _EPS)[0]
    out_level = x.level - _depth(int(nonzero[-1]) if nonzero.size else 0)
    target = ct.scale
    if 0 <= out_level < x.level:
        from pyppml.ckks.scales import standard_scale as _standard_scale

        target = _standard_scale(ct.context, out_level, ct.scale, ct.level)
    out = _evaluate(_Basis(x, basis == "chebyshev"), coeffs, baby, target)
    if isinstance(out, float):
        return ct * 0.0 + out
    return out


def evaluate_chebyshev(ct, coeffs: Sequence[float], interval: tuple[float, float] = (-1.0, 1.0)):
    return evaluate_polynomial(ct, coeffs, "chebyshev", interval)


def chebyshev_coefficients(f: Callable[[np.ndarray], np.ndarray], degree: int, interval: tuple[float, float]) -> np.ndarray:
    """Chebyshev interpolant of f on `interval` at the degree+1 Chebyshev nodes."""
    degree, (a, b) = _fit_arguments("chebyshev_coefficients", degree, interval)
    k = np.arange(degree + 1)
    nodes = np.cos(np.pi * (k + 0.5) / (degree + 1))
    values = f((b - a) / 2 * nodes + (a + b) / 2)
    coeffs = np.array([2.0 / (degree + 1) * np.sum(values * np.cos(np.pi * j * (k + 0.5) / (degree + 1)))
                       for j in range(degree + 1)])
    coeffs[0] /= 2
    return coeffs


def _fit_arguments(api: str, degree, interval) -> tuple[int, tuple[float, float]]:
    if isinstance(degree, bool) or not isinstance(degree, numbers.Integral) or degree < 0:
        raise ParameterError(f"{api}: degree is invalid; expected an integer >= 0, got {degree!r}")
    try:
        a, b = (float(v) for v in interval)
    except (TypeError, ValueError):
        raise ParameterError(f"{api}: interval is invalid; expected two numbers (low, high), got {interval!r}") from None
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise ParameterError(f"{api}: interval is invalid; expected finite low < high, got ({a!r}, {b!r})")
    return int(degree), (a, b)


def least_squares_coefficients(f: Callable[[np.ndarray], np.ndarray], degree: int, interval: tuple[float, float],
                               samples: int = 2000, odd: bool = False) -> np.ndarray:
    """Power-basis least-squares fit of f on a uniform grid of `interval` (the
    approximation of Kim et al. 2018 for the sigmoid); ``odd`` keeps odd powers (and the
    constant) only."""
    degree, (a, b) = _fit_arguments("least_squares_coefficients", degree, interval)
    x = np.linspace(a, b, samples)
    powers = [0] + [i for i in range(1, degree + 1) if not odd or i % 2 == 1]
    A = np.stack([x ** p for p in powers], axis=1)
    sol, *_ = np.linalg.lstsq(A, f(x), rcond=None)
    coeffs = np.zeros(degree + 1)
    coeffs[powers] = sol
    return coeffs
