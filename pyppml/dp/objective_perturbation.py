"""Objective perturbation for L2-regularised logistic regression [Chaudhuri, Monteleoni,
Sarwate 2011, Algorithm 2], the method of diffprivlib's ``LogisticRegression``: a random
linear term b.w is added to the objective and the minimiser is released. Pure
epsilon-DP (delta = 0) under replace-one neighbours, given rows of L2 norm <= 1.

The loss is the logistic loss l(z) = log(1 + e^-z) with |l''| <= c = 1/4. For the
regulariser lam, epsilon' = epsilon - log(1 + 2c/(n lam) + c^2/(n lam)^2); if that is not
positive the regulariser is raised by Delta = c / (n (e^(epsilon/4) - 1)) - lam and
epsilon' = epsilon / 2. b has density proportional to exp(-epsilon' ||b|| / 2): its norm
is Gamma(d, 2 / epsilon') and its direction uniform.

The proof needs the law of ||b|| to have the Gamma density on all of [0, inf): for an
output whose implied b under D is large, the implied b' under a neighbour D' is up to 2
longer and must stay possible. The norm is therefore (2 / epsilon') times a sum of d
Exp(1) draws, each an integer part K plus a fractional part F: K is geometric,
P(K = k) = (1 - e^-1) e^-k on every k >= 0 (exact: the non-negative draws of the exact
discrete Laplace sampler of scale 1 [CKS20]), so the support is unbounded; F has density
e^-f / (1 - e^-1) on [0, 1) (inversion of a 53-bit CSPRNG uniform). A float -log(U) from
one 53-bit uniform, as before, stops at 54 ln 2: an output at that edge under D was
impossible under D', so the release was not pure DP (delta ~2^-54).

The rest is floating point, as in every implementation of the paper: F, the direction
(Box-Muller on 53-bit uniforms) and the minimiser, which L-BFGS reaches to ~1e-10 in
gradient norm (the proof assumes the exact one). The release is a minimiser, not noise
added to a value, so the low-bit attacks on textbook float samplers [Mironov 2012] do
not apply as such.
"""

from __future__ import annotations

import math

import numpy as np

from pyppml import _core
from pyppml.dp._checks import check_prng, fail, positive_float, positive_int

CURVATURE = 0.25  # sup |l''| of the logistic loss


def _uniform_open(prng, size: int) -> np.ndarray:
    """Uniform floats in (0, 1): 53 CSPRNG bits plus half an ulp, never 0."""
    bits = prng.uint64(size) >> np.uint64(11)
    return (bits.astype(np.float64) + 0.5) * 2.0**-53


def _geometric(prng, size: int) -> np.ndarray:
    """``size`` draws of P(K = k) = (1 - e^-1) e^-k, k = 0, 1, 2, ... (every k possible):
    the exact discrete Laplace of scale 1 conditioned on >= 0 (kept with probability
    1 / (1 + e^-1) ~ 0.73; the number of tries depends on nothing but the CSPRNG)."""
    parts, need = [], size
    while need > 0:
        draws = _core.dp_discrete_laplace(1, 1, 2 * need + 8, prng)
        kept = draws[draws >= 0][:need]
        parts.append(kept)
        need -= kept.size
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def exponential_sum(count: int, prng) -> float:
    """A sum of ``count`` independent Exp(1) draws, Gamma(count, 1), with unbounded
    support: each draw is K + F, K geometric (``_geometric``) and F in (0, 1) with
    density e^-f / (1 - e^-1) (by inversion, F = -log(1 - U (1 - e^-1)))."""
    whole = _geometric(prng, count)
    frac = -np.log1p(_uniform_open(prng, count) * np.expm1(-1.0))
    return float(whole.sum()) + float(frac.sum())


def perturbation_vector(dim: int, epsilon_prime: float, prng=None) -> np.ndarray:
    """b with density proportional to exp(-epsilon' ||b|| / 2) in R^dim: ||b|| ~
    Gamma(dim, 2 / epsilon') on all of [0, inf) (``exponential_sum``), direction uniform
    on the sphere.

    Raises
    ------
    ValueError (pyppml.ParameterError)
        dim not an integer >= 1, epsilon_prime not finite or outside [2**-1000,
        2**1000], prng neither None nor a ``pyppml._core.Prng``.

    >>> perturbation_vector(3, 1.0).shape
    (3,)
    """
    api = "dp.perturbation_vector"
    dim = positive_int(api, "dim", dim)
    eps_p = positive_float(api, "epsilon_prime", epsilon_prime)
    prng = check_prng(api, prng) or _core.Prng()
    norm = exponential_sum(dim, prng) * (2.0 / eps_p)  # Gamma(dim, 2/eps')
    u1, u2 = _uniform_open(prng, dim), _uniform_open(prng, dim)
    direction = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)  # Box-Muller
    return norm * direction / np.linalg.norm(direction)


def privacy_split(epsilon: float, n: int, lam: float) -> tuple[float, float]:
    """(epsilon', extra regularisation Delta) of Algorithm 2.

    >>> eps_p, extra = privacy_split(1.0, 1000, 0.01)
    >>> round(eps_p, 4), extra
    (0.9506, 0.0)
    """
    c = CURVATURE
    eps_prime = epsilon - math.log1p(2 * c / (n * lam) + (c / (n * lam)) ** 2)
    if eps_prime > 0:
        return eps_prime, 0.0
    return epsilon / 2.0, c / (n * math.expm1(epsilon / 4.0)) - lam


def fit_objective_perturbation(Z: np.ndarray, signs: np.ndarray, epsilon: float, lam: float,
                               prng=None) -> np.ndarray:
    """Minimiser of (1/n) sum l(s_i w.z_i) + ((lam + Delta) / 2) ||w||^2 + b.w / n.

    Parameters
    ----------
    Z : array (n, d), every row of L2 norm <= 1 (checked)
    signs : array (n,) of -1 / +1
    epsilon : float, > 0
    lam : float, > 0
        Regulariser of the objective (Lambda in the paper).
    prng : pyppml._core.Prng, optional
        Only for reproducible tests.

    Raises
    ------
    ValueError (pyppml.ParameterError)
        Rows of Z outside the unit ball, signs other than one -1 / +1 per row,
        epsilon or lam not finite or outside [2**-1000, 2**1000], prng neither None nor
        a ``pyppml._core.Prng``.
    """
    from scipy.optimize import minimize

    api = "dp.fit_objective_perturbation"
    epsilon = positive_float(api, "epsilon", epsilon)
    lam = positive_float(api, "lam", lam)
    check_prng(api, prng)
    n, d = Z.shape
    if np.any(np.einsum("ij,ij->i", Z, Z) > 1.0 + 1e-12):
        fail("dp.fit_objective_perturbation", "Z", "has rows of L2 norm above 1", "rows scaled into the unit ball",
             "rows outside it")
    signs = np.asarray(signs)
    if signs.shape != (n,) or not np.all((signs == 1) | (signs == -1)):
        # The analysis bounds the loss's curvature for labels +-1: a sign of 3 scales it by 9.
        fail(api, "signs", "are not one label +-1 per row", f"shape ({n},) with entries -1 or +1",
             "other values" if signs.shape == (n,) else signs.shape)
    eps_prime, extra = privacy_split(epsilon, n, lam)
    b = perturbation_vector(d, eps_prime, prng)
    reg = lam + extra

    def objective(w):
        margins = signs * (Z @ w)
        loss = np.logaddexp(0.0, -margins).mean()
        grad_margin = -signs * 0.5 * (1.0 - np.tanh(margins / 2.0))  # -s * sigmoid(-m), stable
        grad = Z.T @ grad_margin / n + reg * w + b / n
        return loss + 0.5 * reg * (w @ w) + (b @ w) / n, grad

    res = minimize(objective, np.zeros(d), jac=True, method="L-BFGS-B",
                   options={"maxiter": 1000, "gtol": 1e-10, "ftol": 1e-15})
    return res.x
