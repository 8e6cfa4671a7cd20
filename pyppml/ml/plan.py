"""The public description of one encrypted training run (method, iterations, steps,
sigmoid polynomial) and its exact plaintext counterpart, the oracle the encrypted
trainer is tested against.

The objective is the mean log-likelihood (1/n) sum_i log sigma(z_i . w), z_i = y_i x_i
with y_i in {-1, +1} and x_i = [1, scaled features] (Kim et al. 2018). Its gradient at v is
(1/n) sum_i sigma(-z_i . v) z_i; sigma is replaced by the polynomial p.

- ``"nesterov"``: Nesterov's accelerated gradient with the momentum sequence of Kim et
  al. 2018: w_{k+1} = v_k + gamma * g(v_k), v_{k+1} = (1 - eta_k) w_{k+1} + eta_k w_k.
- ``"newton"``: the simplified fixed-Hessian Newton method of Bonte and Vercauteren 2018:
  w_{k+1} = w_k + H~^-1 g(w_k) with the diagonal bound H~_jj = (1/4n) sum_i |z_ij| sum_l |z_il|.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from pyppml.ml.sigmoid import SigmoidApproximation

METHODS = ("nesterov", "newton")


def nesterov_etas(iterations: int) -> list[float]:
    lam, out = 1.0, []
    for _ in range(iterations):
        lam_next = (1.0 + np.sqrt(1.0 + 4.0 * lam * lam)) / 2.0
        out.append(float((1.0 - lam) / lam_next))
        lam = lam_next
    return out


@dataclass
class TrainingPlan:
    """Everything the server needs besides ciphertexts. Public by design: it reveals
    the sample count, the feature count and the per-feature step sizes.

    ``steps`` has one entry per column of z (intercept first) and already includes 1/n.
    """

    method: str
    iterations: int
    n_samples: int
    n_features: int           # columns of z, the intercept included
    steps: list
    sigmoid_degree: int
    sigmoid_bound: float
    sigmoid_method: str
    sigmoid_coeffs: list
    etas: list = field(default_factory=list)

    @property
    def approximation(self) -> SigmoidApproximation:
        return SigmoidApproximation(self.sigmoid_degree, self.sigmoid_bound, self.sigmoid_method, tuple(self.sigmoid_coeffs))

    @property
    def depth_per_iteration(self) -> int:
        """z . v (1), the polynomial (ceil(log2(d + 1))), times z (1)."""
        return 2 + self.approximation.depth

    @staticmethod
    def depth_for(iterations: int, degree: int) -> int:
        """Levels used by ``iterations`` iterations: the first (from w = 0) costs one."""
        d = SigmoidApproximation.fit(degree, 8.0).depth
        return 0 if iterations <= 0 else 1 + (iterations - 1) * (2 + d)

    @staticmethod
    def iterations_for(levels: int, degree: int) -> int:
        d = SigmoidApproximation.fit(degree, 8.0).depth
        return 0 if levels < 1 else 1 + (levels - 1) // (2 + d)

    def fold_factor(self, k: int) -> float:
        """Factor folded into the gradient of iteration k (0-based)."""
        if self.method == "nesterov" and k < self.iterations - 1:
            return 1.0 - self.etas[k]
        return 1.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "TrainingPlan":
        data = json.loads(text)
        if data.get("method") not in METHODS:
            raise ValueError(f"TrainingPlan: method is unknown; expected one of {METHODS}, got {data.get('method')!r}")
        return cls(**data)


def make_plan(Z: np.ndarray, method: str, iterations: int, approx: SigmoidApproximation) -> TrainingPlan:
    """The data owner's plan for z-rows ``Z`` (n x f, intercept column included)."""
    if method not in METHODS:
        raise ValueError(f"EncryptedLogisticRegression: method is unknown; expected one of {METHODS}, got {method!r}")
    n, f = Z.shape
    if method == "nesterov":
        # 1 / L with L = lambda_max(Z^T Z / n) / 4, the gradient's Lipschitz constant.
        lip = float(np.linalg.eigvalsh(Z.T @ Z / n).max()) / 4.0
        steps = np.full(f, 1.0 / (lip * n))
    else:
        h = np.abs(Z).T @ np.abs(Z).sum(axis=1) / (4.0 * n)
        steps = 1.0 / (np.maximum(h, 1e-12) * n)
    return TrainingPlan(method, int(iterations), int(n), int(f), [float(s) for s in steps], approx.degree,
                        approx.bound, approx.method, list(approx.coeffs), nesterov_etas(iterations))


def train_reference(Z: np.ndarray, plan: TrainingPlan) -> list[np.ndarray]:
    """The encrypted algorithm in plaintext, operation for operation: the weights after
    each iteration (the last is the model)."""
    p = plan.approximation
    steps = np.asarray(plan.steps)
    w = np.zeros(plan.n_features)
    v = w.copy()
    history = []
    for k in range(plan.iterations):
        g = steps * (Z.T @ p(-(Z @ v)))
        if plan.method == "newton":
            w = w + g
            v = w
        else:
            eta = plan.etas[k]
            w_next = v + g
            v = (1.0 - eta) * w_next + eta * w
            w = w_next
        history.append(w.copy())
    return history
