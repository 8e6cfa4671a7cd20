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

from dataclasses import dataclass

import numpy as np

from pyppml._core import ParameterError
from pyppml._core import he as _he

DEFAULT_SECURITY_BITS = 40


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


def fresh_noise_bound(context) -> float:
    """Bound B on every error coefficient of a fresh public-key encryption, except with
    probability 2^-64 over the n coefficients (the core's ``ckks::fresh_noise_bound``).

    e = u * e_pk + e0 + e1 * s (u, s ternary; e_pk, e0, e1 CBD(21)). Per coefficient,
    given the fixed polynomials, a sum of independent sub-Gaussian terms of proxy
    10.5 (e0) + 10.5 h (e1 s, h <= n nonzero secret coefficients) + 2/3 ||e_pk||^2
    (u e_pk, with ||e_pk||^2 <= 2 * 10.5 n except with probability < 2^-40 for
    n >= 2048, Bernstein); the tail factor sqrt(2 (ln 2n + 64 ln 2)) times its square
    root. A symmetric encryption has only e0 and is covered.
    """
    return _he.fresh_noise_bound(context._native)


def default_noise_bound(context) -> float:
    """B for a fresh public-key ciphertext after one key switch (rotation or
    relinearization) and one rescale: the proxies add (the key switch's, heuristic with
    the digits treated as fixed and the key's error as random: digits x 10.5 n
    (q_digit / P)^2 for the largest digit plus the mod-down rounding (1 + n) / 4; the
    rescale's rounding (1 + n) / 4), then the 2^-64 tail over n coefficients.

    This is the default of ``decrypt_for_release``. Deeper computations carry more
    error (products scale it by the message size, sums of k terms by up to k): pass
    their own ``noise_bound`` (coefficient units; OpenFHE's two-phase estimation, run on
    a throw-away key with worst-case inputs, plus a margin, is one way to get it).
    """
    return _he.default_noise_bound(context._native)


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
    # Python types here (a bool is no count); the values' ranges in the core.
    api = "decrypt_for_release"
    if isinstance(bits_of_precision, bool) or not isinstance(bits_of_precision, (int, float)):
        raise ParameterError(f"{api}: bits_of_precision is out of range; expected 1..50, got {bits_of_precision!r}")
    if isinstance(security_bits, bool) or not isinstance(security_bits, int):
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
    elif isinstance(noise_bound, bool) or not isinstance(noise_bound, (int, float)):
        raise ParameterError(f"{api}: noise_bound is invalid; expected a finite number >= 1 (coefficient units), got {noise_bound!r}")
    # The core checks the values and computes the plan (the C ABI's release uses the same).
    return ReleasePlan(*_he.plan_release(context._native, float(ct.scale), float(bits_of_precision),
                                         float(noise_bound), security_bits, max_releases))


def wide_discrete_gaussian(sigma: float, size: int) -> np.ndarray:
    """Samples of (nearly) the discrete Gaussian D_Z(sigma) for sigma in [1, 2^57), as
    int64 (exact: float64 would round the sum above 2^53); the core's
    ``ckks::wide_discrete_gaussian``.

    Up to 2^30, one exact draw (the sampler of pyppml.dp, variance ceil(sigma)^2).
    Above, 2^k A + C with A ~ D_Z(sigma_a) (sigma_a < 2^31) and C ~ D_Z(8 * 2^k): since
    8 * 2^k is far above the smoothing parameter of 2^k Z, the sum is within statistical
    distance ~2^-100 of D_Z(sqrt(4^k sigma_a^2 + 64 * 4^k)) (Peikert 2010, Thm 3.1),
    whose width is sigma up to a relative 2^-30.
    """
    return _he.release_noise(float(sigma), int(size))


def flooded_decrypt(ctx, ct, bits_of_precision: float, plan: ReleasePlan, complex: bool) -> np.ndarray:
    """Counts one release under ``ctx``'s key, then decrypts ``ct``, floods its
    coefficients with D_Z(plan.sigma), decodes and rounds to ``plan.step`` (the core's
    ``ckks::decrypt_for_release``, the GIL released). The noise is added in Z_Q, before
    the coefficients become float64: a float64 conversion first would round every
    coefficient above 2^53 sigma by its key-dependent error, which the noise added
    afterwards cannot hide. The core plans again from ``bits_of_precision`` and the
    plan's B, s and tau: no plan object can ask for less flooding than they allow."""
    values = _he.decrypt_for_release(ctx._native, ctx.secret_key, ct._native, float(bits_of_precision),
                                     plan.noise_bound, plan.security_bits, plan.max_releases)
    return values if complex else values.real.copy()
