"""EvalMod: t -> t mod q_0 on slots, as a scaled cosine with double-angle steps
(Han-Ki 2020; Bossuat et al. 2021).

The slots hold y = x / K_b with x = t / q_0 = I + m / q_0, |I| <= K (the overflow of
ModRaise, bounded through the sparse ephemeral secret) and K_b = K + 1/2. A Chebyshev
interpolant of cos(2 pi (K_b y - 1/4) / 2^r) on [-1, 1] followed by r steps
c <- 2 c^2 - 1 gives cos(2 pi (x - 1/4)) = sin(2 pi x) ~ 2 pi m / q_0 for |m| << q_0; the
1 / (2 pi) is folded into SlotsToCoeffs. The sine's own error, (2 pi)^2 / 6 (m / q_0)^2
relative, is removed to first order by arcsin(s) ~ s + s^3 / 6 (two more levels).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from pyppml._core import he as _he
from pyppml.ckks.polynomial import _EPS, _Basis, _split, chebyshev_coefficients, factor_index


# The largest error of EvalMod's polynomial against the sine, in units of q_0, that a
# plan accepts: 2^-30 leaves 21 bits of a 2^-9 ratio's message (the default shape: 2^-38).
MAX_ERROR = 2.0 ** -30


@dataclass(frozen=True)
class EvalModShape:
    k: int = 16             # |I| <= k
    degree: int = 55        # Chebyshev degree of the cosine (63 is no more precise; 55 saves a key switch)
    double_angle: int = 2   # r
    arcsine: bool = True    # s + s^3 / 6: the sine's cubic error removed (two levels)

    def __post_init__(self):
        # Ranges first (a context's bytes carry these): nothing below is built from a
        # degree of 2^31 or a range of 2^31.
        for name, value, low, high in (("k", self.k, 1, 256), ("degree", self.degree, 1, 255),
                                       ("double_angle", self.double_angle, 0, 8)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
                raise ValueError(f"EvalModShape: {name} is out of range; expected an integer in [{low}, {high}], got {value!r}")

    def check_precision(self, ratio: float) -> None:
        """Refuse a shape whose polynomial misses the sine by more than MAX_ERROR of q_0:
        its bootstraps would be wrong without an error (a range k = 2^31 read from bytes
        gave errors of 90 on inputs in [-0.5, 0.5])."""
        err = self.approximation_error(ratio)
        if not err <= MAX_ERROR:
            raise ValueError(f"EvalModShape: the polynomial is too far from the sine; expected an error <= "
                             f"2^{math.log2(MAX_ERROR):.0f} of q_0, got 2^{math.log2(err):.1f} (k, degree, double_angle "
                             f"= {self.k}, {self.degree}, {self.double_angle})")

    @property
    def k_bound(self) -> float:
        return self.k + 0.5

    @property
    def depth(self) -> int:
        return bsgs_depth(self.coefficients()) + self.double_angle + (2 if self.arcsine else 0)

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
        if self.arcsine:
            v = v + v ** 3 / 6
        return float(np.max(np.abs(v / (2 * math.pi) - np.tile(eps, 2 * self.k + 1))))


class _LevelBasis:
    """The levels _ExactBasis would give T_k, without computing anything (top = 0)."""

    top = 0

    def __init__(self):
        self.cache = {1: _Level(0)}

    def get(self, k: int):
        if k not in self.cache:
            a, b = factor_index(k)
            self.cache[k] = _Level(min(self.get(a).level, self.get(b).level) - 1)
        return self.cache[k]


class _Level:
    def __init__(self, level: int):
        self.level = level


def bsgs_depth(coeffs: np.ndarray, baby: int = 8) -> int:
    """Levels chebyshev_bsgs uses for these coefficients."""
    return -_level_of(_LevelBasis(), np.asarray(coeffs, dtype=np.float64), baby)


def _constant(c0: float, scale: float) -> int:
    """The plaintext constant of the value c0 at ``scale`` (0 for a negligible c0)."""
    return 0 if abs(c0) < _EPS else round(float(c0) * scale)


def _linear_sum(basis, coeffs: np.ndarray, target: float, level: int, with_constant: bool = False):
    """sum_i c_i T_i (1 <= i < len(coeffs), from 0 ``with_constant``) before its rescale: a
    native ciphertext at ``level + 1`` with scale target * q_(level + 1) exactly. Every term
    is weighted by a constant at target * q / scale(T_i) (no ciphertext product per
    coefficient); c_0 is added at that scale in the same pass (rounded once, by the
    rescale, instead of encoded and added after it)."""
    x = basis.x
    native = x._ctx
    q = float(x.context.coeff_moduli[level + 1])
    cts, values, scales = [], [], []
    for i in range(1, max(len(coeffs), 2)):
        c = float(coeffs[i]) if i < len(coeffs) else 0.0
        if abs(c) < _EPS and (cts or i + 1 < len(coeffs)):
            continue  # (a constant polynomial still gets its zero term: a ciphertext of 0)
        t = basis.get(i)
        cts.append(t._native)  # read on the level's limbs when T_i is higher
        values.append(c)
        scales.append(target * q / t.scale)
    # The constants weigh the limbs directly (no plaintext is encoded or read).
    constant = _constant(coeffs[0], target * q) if with_constant else 0
    acc = _he.linear_sum_constants(native, cts, values, scales, level + 1, constant)
    acc.scale = target * q
    return acc


def _combination(basis, coeffs: np.ndarray, target: float, level: int):
    """sum_i c_i T_i (i < len(coeffs)) at ``level`` with scale exactly ``target``: the
    linear sum, rescaled once."""
    out = basis.x._ctx.rescale(_linear_sum(basis, coeffs, target, level, with_constant=True))
    out.scale = target  # a fresh ciphertext: relabelled in place, not copied
    return basis.x._wrap(out)


def _double_square(ct, minus: float):
    """2 ct^2 - minus, one level down: doubled and shifted before its relinearize-rescale
    (T_2k = 2 T_k^2 - 1, the double angles), so that one rounding error is not doubled and
    the constant takes no pass of its own."""
    native = ct._ctx
    scale = ct.scale * ct.scale
    tensor = _he.tensor_sum(native, [ct._native], [ct._native], ct.level, 2, constant=-_constant(minus, scale))
    return ct._wrap(native.relinearize_rescale(tensor, ct.context.relin_key))


class _ExactBasis(_Basis):
    """Chebyshev powers T_k with T_(a+b) = 2 T_a T_b - T_(a-b) where T_(a-b) is brought
    to the product's level and scale exactly (an integer factor one level above it), not
    relabelled: with primes near 2^60 the scales differ by ~2^-35, which relabelling
    would turn into error."""

    def get(self, k: int):
        if k in self.cache:
            return self.cache[k]
        if k == 0:
            raise ValueError("T_0 is the constant 1")
        a, b = factor_index(k)
        ta, tb = self.get(a), self.get(b)
        level = min(ta.level, tb.level)
        native = ta._ctx
        # The factors are read on the level's limbs (no dropped copies).
        if a == b:
            out = _double_square(ta, 1.0)
        else:
            t = self.get(a - b)
            if t.level < level:
                raise ValueError(f"T_{a - b} is below the factors of T_{k}")
            # T_(a-b) times the integer round(s_a s_b / s_(a-b)) (~2^60, relative rounding
            # ~2^-60) joins the doubled tensor before its one relinearize-rescale: no
            # rescale of its own, one rounding for both.
            factor = round(ta.scale * tb.scale / t.scale)
            tensor = _he.tensor_sum(native, [ta._native], [tb._native], level, 2, t._native, factor)
            out = ta._wrap(native.relinearize_rescale(tensor, ta.context.relin_key))
        self.cache[k] = out
        return out


class _Deferred:
    """A polynomial of the basis whose output scale is chosen by the caller (the left
    factor of a giant-step product, built so the product lands on its target)."""

    def __init__(self, basis, coeffs: np.ndarray, baby: int):
        self.basis, self.coeffs, self.baby = basis, coeffs, baby
        self.level = _level_of(basis, coeffs, baby)

    def __call__(self, scale: float):
        return _evaluate(self.basis, self.coeffs, self.baby, scale)


def _level_of(basis, coeffs: np.ndarray, baby: int) -> int:
    d = _degree(coeffs)
    if d < baby:
        return min(basis.get(i).level for i in range(1, max(d, 1) + 1)) - 1
    G = 1 << (d.bit_length() - 1)
    q, r = _split(coeffs, G, True)
    return min(min(_level_of(basis, q, baby), basis.get(G).level) - 1, _level_of(basis, r, baby))


def _degree(coeffs: np.ndarray) -> int:
    d = len(coeffs) - 1
    while d > 0 and abs(coeffs[d]) < _EPS:
        d -= 1
    return d


def _evaluate(basis, coeffs: np.ndarray, baby: int, target: float):
    """p = q_1 B_G1 + (q_2 B_G2 + (... + leaf)): the giant-step products of the spine are
    formed at its lowest level, summed as unrelinearized (size-3) ciphertexts and
    relinearized and rescaled once (3 of a degree-55 EvalMod's 7 giant-step key switches
    instead of 7), then the baby-step leaf is added. Same levels as one product at a time."""
    spine = []
    d = _degree(coeffs)
    coeffs = coeffs[: d + 1]
    while d >= baby:
        G = 1 << (d.bit_length() - 1)
        q, coeffs = _split(coeffs, G, True)
        spine.append((_Deferred(basis, q, baby), basis.get(G)))
        d = _degree(coeffs)
        coeffs = coeffs[: d + 1]
    leaf_level = _level_of(basis, coeffs, baby)
    if not spine:
        return _combination(basis, coeffs, target, leaf_level)
    # The spine's products land one level below the lowest of their factors.
    level = min(min(left.level, right.level) for left, right in spine) - 1
    x = basis.x
    native = x._ctx
    q = float(x.context.coeff_moduli[level + 1])
    lefts = [left(target * q / right.scale)._native for left, right in spine]
    rights = [right._native for _, right in spine]
    # A leaf as high as the spine joins the tensors before their rescale (same level and
    # scale): one rescale and one rounding for both instead of two.
    joined = d > 0 and leaf_level >= level
    leaf = _linear_sum(basis, coeffs, target, level) if joined else None
    # Every tensor has scale target * q (each left factor was built for it): summed in
    # one pass with the leaf (added: minus -1 times it) and c_0 (unless a separate leaf
    # carries it), factors read on level + 1's limbs.
    constant = _constant(coeffs[0], target * q) if joined or d == 0 else 0
    acc = _he.tensor_sum(native, lefts, rights, level + 1, 1, leaf, -1, constant)
    acc.scale = target * q
    out = native.relinearize_rescale(acc, x.context.relin_key)
    out.scale = target
    out = x._wrap(out)
    if d > 0 and not joined:
        rest = _combination(basis, coeffs, target, leaf_level)
        return out._wrap(native.add(out._native, rest._native))
    return out


def chebyshev_bsgs(ct, coeffs: np.ndarray, baby: int = 8):
    """sum c_i T_i(ct) with baby-step giant-step: about 2 sqrt(d) + log2(d) ciphertext
    products instead of one per coefficient, ``bsgs_depth(coeffs)`` levels (the optimum
    ceil(log2(d + 1)) for d = 2^k - 1, one more for other degrees). The result has the
    scale of ``ct``."""
    basis = _ExactBasis(ct, chebyshev=True)
    return _evaluate(basis, np.asarray(coeffs, dtype=np.float64), baby, ct.scale)


def eval_mod(ct, shape: EvalModShape, coeffs: np.ndarray, gain: float = 1.0, target: float | None = None):
    """gain * sin(2 pi K_b y) on a ciphertext of y (high-level Ciphertext): shape.depth
    levels. The gain costs nothing: g^(2^-r) goes into the cosine's coefficients and each
    double angle keeps it squared, g_k (2 c^2 - 1) = 2 (g_(k-1) c)^2 - g_k. With ``target``
    (which needs the arcsine step) the result has exactly that scale: the arcsine's two
    terms are built to land on it."""
    g = gain ** (0.5 ** shape.double_angle)
    v = chebyshev_bsgs(ct, coeffs * g)
    for _ in range(shape.double_angle):
        g = g * g
        v = _double_square(v, g)
    if not shape.arcsine:
        if target is not None:
            raise ValueError("eval_mod: target needs the arcsine step")
        return v
    # arcsin(s) ~ s + s^3 / 6 for s = sin(2 pi m / q_0), here on v = g s:
    # g arcsin(s) ~ v + v^3 / (6 g^2). The Taylor remainder 3 s^5 / 40 is 2^-29 relative
    # at m / q_0 = 2^-9.
    sq = v * v
    c3 = 1.0 / (6.0 * g * g)
    if target is None:
        return v + sq * (v * c3)
    # v c3 at the scale that puts sq * (v c3) on target after its rescale by q_(level of sq);
    # v itself joins that tensor times the integer round(target q / scale(v)) (~2^40,
    # relative rounding ~2^-41): one rescale and one rounding for both terms.
    q = float(sq.context.coeff_moduli[sq.level])
    v_c3 = v._times_scalar(c3, target * q / sq.scale, "eval_mod")
    native = v._ctx
    tensor = _he.tensor_sum(native, [sq._native], [v_c3._native], sq.level, 1, v._native,
                            -round(target * q / v.scale))
    out = native.relinearize_rescale(tensor, v.context.relin_key)
    out.scale = target
    return v._wrap(out)
