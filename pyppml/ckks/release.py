"""Decryption for release, against IND-CPA^D attacks on CKKS (Li-Micciancio 2021;
Li-Micciancio-Schultz-Sorrell 2022; Guo et al. 2024; SECURITY.md section 3).

A plain CKKS decryption returns m + e where the error e depends on the secret key; an
adversary who sees decryptions of ciphertexts it chose can solve for the key. Before
decoding, ``flooded_decrypt`` adds to every coefficient of the decrypted polynomial an
exact discrete Gaussian (pyppml.dp, fed by the CSPRNG) of standard deviation ``sigma``,
then rounds each output to a grid of step 2^-ceil(bits_of_precision).

How wide (OpenFHE's NOISE_FLOODING_DECRYPT rule, 2022/816):

* ``B`` bounds |e_i| for every coefficient of the ciphertext's error (coefficient units,
  at the ciphertext's scale), except with probability 2^-64. By default
  ``default_noise_bound``: a fresh public-key encryption, one key switch and one
  rescale (sub-Gaussian tail bounds below). This library does not track the error
  through a computation, so the default is refused for anything else: each ciphertext
  records (``Ciphertext._history``) whether it is an encryption of this process followed
  only by those steps, and a product, a sum, a bootstrap or a ciphertext from bytes
  must come with its own ``noise_bound``.
* ``sigma_min = sqrt(12 tau) * 2^(s/2) * B`` with ``s`` the statistical security
  parameter (default 40) and ``tau`` the number of releases allowed under the key.
* The released values carry noise of standard deviation ``2^-bits_of_precision`` per
  real component: ``sigma = 2^-bits * scale / sqrt(n/2)`` in the coefficients (the
  canonical embedding maps i.i.d. coefficients of variance v to slots whose real and
  imaginary parts have variance v * n/2 / scale^2). A ``sigma`` below ``sigma_min``
  (too much precision asked for this scale) raises ``ParameterError``; ``max_bits`` in
  ``ReleasePlan`` says how much precision a ciphertext can release.

With scale 2^40 and n = 2^13 a fresh ciphertext cannot release any precision at s = 40
(sigma_min is about 2^34 coefficient units, 2^5 in the slots): release needs a scale of
about 2^50 or more for 5+ bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pyppml._core import ParameterError

DEFAULT_SECURITY_BITS = 40
# The noise bound B fails with probability at most 2^-64 over all n coefficients.
_TAIL_BITS = 64
# The RLWE error is CBD(21): variance 10.5, which is also its sub-Gaussian variance
# proxy (each +-1 difference of two fair bits has E exp(l X) = cosh(l/2)^2 <= exp(l^2/4)).
_ERROR_VARIANCE = 10.5
# Ternary values (secret, encryption randomness u) have sub-Gaussian proxy 2/3.
_TERNARY_PROXY = 2.0 / 3.0
# Widest single exact draw (dp.discrete_gaussian needs sigma < 2^31).
_SINGLE_DRAW_BITS = 30


@dataclass(frozen=True)
class ReleasePlan:
    """How one ``decrypt_for_release`` floods and rounds.

    Attributes
    ----------
    noise_bound : float
        B, bound on every coefficient of the ciphertext's error (coefficient units).
    security_bits : int
        s: the released values are within statistical distance ~2^-s of values that
        do not depend on the key-dependent error.
    max_releases : int
        tau: releases allowed under this key.
    sigma_min : float
        sqrt(12 tau) 2^(s/2) B, the least flooding allowed (coefficient units).
    sigma : float
        Flooding standard deviation actually drawn (coefficient units), >= sigma_min.
    slot_sigma : float
        Standard deviation of the flooding in each real component of the released
        slots: 2^-bits_of_precision.
    step : float
        Grid the released values are rounded to, 2^-ceil(bits_of_precision).
    max_bits : float
        The largest ``bits_of_precision`` this ciphertext can release with these
        settings.
    """

    noise_bound: float
    security_bits: int
    max_releases: int
    sigma_min: float
    sigma: float
    slot_sigma: float
    step: float
    max_bits: float


def _tail(n: int) -> float:
    """t / sqrt(V): a sub-Gaussian variable of proxy V exceeds t in absolute value with
    probability 2 exp(-t^2 / 2V); over n coefficients, at most 2^-64."""
    return math.sqrt(2.0 * (math.log(2.0 * n) + _TAIL_BITS * math.log(2.0)))


def fresh_noise_bound(context) -> float:
    """Bound B on every error coefficient of a fresh public-key encryption.

    e = u * e_pk + e0 + e1 * s (u, s ternary; e_pk, e0, e1 CBD(21)). Per coefficient,
    given the fixed polynomials, a sum of independent sub-Gaussian terms of proxy
    10.5 (e0) + 10.5 h (e1 s, h <= n nonzero secret coefficients) + 2/3 ||e_pk||^2
    (u e_pk, with ||e_pk||^2 <= 2 * 10.5 n except with probability < 2^-40 for
    n >= 2048, Bernstein). A symmetric encryption has only e0 and is covered.
    """
    n = context.poly_degree
    proxy = _ERROR_VARIANCE + _ERROR_VARIANCE * n + _TERNARY_PROXY * 2 * _ERROR_VARIANCE * n
    return _tail(n) * math.sqrt(proxy)


def _key_switch_proxy(context) -> float:
    """Sub-Gaussian proxy of one key switch's error (heuristic: the digits d_j are
    treated as fixed and the key's error as random): sum over digits of
    10.5 n (q_digit / P)^2, plus the mod-down rounding (1 + h) / 4."""
    n = context.poly_degree
    q_bits = sorted((math.log2(q) for q in context.coeff_moduli), reverse=True)
    p_bits = sum(math.log2(p) for p in context.special_moduli)
    digits = max(1, int(context._native.digits))
    per_digit = -(-len(q_bits) // digits)
    digit_bits = sum(q_bits[:per_digit])  # the largest digit
    return digits * _ERROR_VARIANCE * n * 2.0 ** (2 * (digit_bits - p_bits)) + (1 + n) / 4.0


def default_noise_bound(context) -> float:
    """B for a fresh public-key ciphertext after one key switch (rotation or
    relinearization) and one rescale (rounding proxy (1 + h) / 4, heuristic: uniform
    rounding): the sub-Gaussian proxies add, then the 2^-64 tail over n coefficients.

    This is the default of ``decrypt_for_release``. Deeper computations carry more
    error (products scale it by the message size, sums of k terms by up to k): pass
    their own ``noise_bound`` (coefficient units; OpenFHE's two-phase estimation, run on
    a throw-away key with worst-case inputs, plus a margin, is one way to get it).
    """
    n = context.poly_degree
    fresh = fresh_noise_bound(context) / _tail(n)
    proxy = fresh ** 2 + _key_switch_proxy(context) + (1 + n) / 4.0
    return _tail(n) * math.sqrt(proxy)


def plan_release(context, ct, bits_of_precision: float, noise_bound: float | None = None,
                 security_bits: int = DEFAULT_SECURITY_BITS, max_releases: int = 1) -> ReleasePlan:
    """The flooding ``decrypt_for_release`` would use for ``ct`` (see the module
    docstring).

    Raises
    ------
    ParameterError
        bits_of_precision outside [1, 50]; security_bits below 40 or above 128;
        max_releases < 1; noise_bound not a finite number >= 1, or None for a ciphertext
        the default does not cover; or too little precision left:
        sigma_min > 2^-bits * scale / sqrt(n/2).
    """
    api = "decrypt_for_release"
    if not (isinstance(bits_of_precision, (int, float)) and 1 <= bits_of_precision <= 50):
        raise ParameterError(f"{api}: bits_of_precision is out of range; expected 1..50, got {bits_of_precision!r}")
    if isinstance(security_bits, bool) or not isinstance(security_bits, int) or not 40 <= security_bits <= 128:
        raise ParameterError(f"{api}: security_bits is out of range; expected an integer in 40..128, got {security_bits!r}")
    if isinstance(max_releases, bool) or not isinstance(max_releases, int) or max_releases < 1:
        raise ParameterError(f"{api}: max_releases is invalid; expected an integer >= 1, got {max_releases!r}")
    if noise_bound is None:
        # Whoever computed or sent a ciphertext chose its error: the default bound holds
        # only for the steps it was derived for (an encryption in this process, then at
        # most one key switch and one rescale, as Ciphertext._history records them).
        if getattr(ct, "_history", None) is None:
            raise ParameterError(
                f"{api}: noise_bound is required for this ciphertext; expected a bound on its error (the default "
                f"covers only a fresh encryption, one rotation and one rescale), got None for a ciphertext that was "
                f"computed on, bootstrapped or loaded")
        noise_bound = default_noise_bound(context)
    elif not (isinstance(noise_bound, (int, float)) and math.isfinite(noise_bound) and noise_bound >= 1):
        raise ParameterError(f"{api}: noise_bound is invalid; expected a finite number >= 1 (coefficient units), got {noise_bound!r}")
    n = context.poly_degree
    sigma_min = math.sqrt(12.0 * max_releases) * 2.0 ** (security_bits / 2) * float(noise_bound)
    # Coefficient variance v gives slot real/imaginary variance v * (n/2) / scale^2.
    spread = math.sqrt(n / 2) / ct.scale
    max_bits = -math.log2(sigma_min * spread)
    if bits_of_precision > max_bits:
        raise ParameterError(
            f"{api}: bits_of_precision is too high for this ciphertext; expected <= {max_bits:.2f} "
            f"(scale 2^{math.log2(ct.scale):.1f}, noise bound 2^{math.log2(noise_bound):.1f}, s = {security_bits}, "
            f"max_releases = {max_releases}), got {bits_of_precision}")
    slot_sigma = 2.0 ** -bits_of_precision
    return ReleasePlan(float(noise_bound), security_bits, max_releases, sigma_min, slot_sigma / spread, slot_sigma,
                       2.0 ** -math.ceil(bits_of_precision), max_bits)


def wide_discrete_gaussian(sigma: float, size: int) -> np.ndarray:
    """Samples of (nearly) the discrete Gaussian D_Z(sigma) for sigma up to 2^57, as
    int64 (exact: float64 would round the sum above 2^53).

    Up to 2^30, one exact draw (pyppml.dp). Above, 2^k A + C with A ~ D_Z(sigma_a)
    (sigma_a < 2^31) and C ~ D_Z(8 * 2^k): since 8 * 2^k is far above the smoothing
    parameter of 2^k Z, the sum is within statistical distance ~2^-100 of
    D_Z(sqrt(4^k sigma_a^2 + 64 * 4^k)) (Peikert 2010, Thm 3.1), whose width is sigma up
    to a relative 2^-30.
    """
    from pyppml import dp

    if sigma < 2.0 ** _SINGLE_DRAW_BITS:
        return dp.discrete_gaussian(sigma, size).astype(np.int64)
    k = math.ceil(math.log2(sigma)) - _SINGLE_DRAW_BITS
    if k > 27:
        raise ParameterError(f"decrypt_for_release: flooding width is too large; expected sigma < 2^57, got 2^{math.log2(sigma):.1f}")
    sigma_c = 8 << k
    sigma_a = round(math.sqrt(sigma * sigma - sigma_c * sigma_c) / 2.0 ** k)
    high = dp.discrete_gaussian(sigma_a, size).astype(np.int64) << np.int64(k)
    return high + dp.discrete_gaussian(sigma_c, size).astype(np.int64)


def flooded_decrypt(ctx, ct, plan: ReleasePlan, complex: bool) -> np.ndarray:
    """Decrypt ``ct``, flood its coefficients with D_Z(plan.sigma), decode and round to
    ``plan.step``. The noise is added in Z_Q, before the coefficients become float64:
    a float64 conversion first would round every coefficient above 2^53 sigma by its
    key-dependent error, which the noise added afterwards cannot hide."""
    pt = ctx._native.decrypt(ctx.secret_key, ct._native)
    noise = wide_discrete_gaussian(plan.sigma, ctx.poly_degree)
    coeffs = ctx._native.decode_coefficients(pt, noise)  # centered integers of m + e + noise, as float64
    values = ctx._native.decode_from_coefficients(coeffs, ct.scale)
    values = np.round(values / plan.step) * plan.step
    return values if complex else values.real.copy()
