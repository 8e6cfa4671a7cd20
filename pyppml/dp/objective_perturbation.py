"""Objective perturbation for L2-regularised logistic regression [Chaudhuri, Monteleoni,
Sarwate 2011, Algorithm 2], the method of diffprivlib's ``LogisticRegression``: a random
linear term b.w is added to the objective and the minimiser is released. Pure
epsilon-DP (delta = 0) under replace-one neighbours, given rows of L2 norm <= 1.

The loss is the logistic loss l(z) = log(1 + e^-z) with |l''| <= c = 1/4. For the
regulariser lam, epsilon' = epsilon - log(1 + 2c/(n lam) + c^2/(n lam)^2); if that is not
positive the regulariser is raised by Delta = c / (n (e^(epsilon/4) - 1)) - lam and
epsilon' = epsilon / 2. b has density proportional to exp(-epsilon' ||b|| / 2): its norm
is Gamma(d, 2 / epsilon') and its direction uniform.

The noise vector is drawn with floating point from CSPRNG uniforms (53 bits each): the
release is a minimiser, not the noise added to a value, so the low-bit attacks on
textbook float samplers [Mironov 2012] do not apply as such; the proof also assumes the
exact minimiser, which L-BFGS reaches to ~1e-10 in gradient norm here.
"""

from __future__ import annotations

import math

import numpy as np

from pyppml import _core
from pyppml.dp._checks import fail

CURVATURE = 0.25  # sup |l''| of the logistic loss


def _uniform_open(prng, size: int) -> np.ndarray:
    """Uniform floats in (0, 1): 53 CSPRNG bits plus half an ulp, never 0."""
    bits = prng.uint64(size) >> np.uint64(11)
    return (bits.astype(np.float64) + 0.5) * 2.0**-53


def perturbation_vector(dim: int, epsilon_prime: float, prng=None) -> np.ndarray:
    """b with density proportional to exp(-epsilon' ||b|| / 2) in R^dim.

    >>> perturbation_vector(3, 1.0).shape
    (3,)
    """
    prng = prng or _core.Prng()
    norm = -np.log(_uniform_open(prng, dim)).sum() * (2.0 / epsilon_prime)  # Gamma(dim, 2/eps')
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
    """
    from scipy.optimize import minimize

    n, d = Z.shape
    if np.any(np.einsum("ij,ij->i", Z, Z) > 1.0 + 1e-12):
        fail("dp.fit_objective_perturbation", "Z", "has rows of L2 norm above 1", "rows scaled into the unit ball",
             "rows outside it")
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
