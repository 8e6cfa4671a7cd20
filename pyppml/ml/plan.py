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

The plan crosses to the server, so its step sizes come from public bounds on the second
moments M = Z^T Z / n of the scaled rows (``MomentBounds``), not from the rows: with the
owner's "whiten" or "standard" scaling these bounds depend only on the feature count and
the shrinkage, so two data sets of the same shape give the same plan. With
``scaling="none"`` nothing public bounds M and the steps are computed from the data; the
plan then says so (``steps_from_data``) and they are released to the server.
"""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, asdict, dataclass, field, fields

import numpy as np

from pyppml._core import FormatError
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
    the sample count, the feature count, the sigmoid polynomial and the per-feature step
    sizes. The steps and the sigmoid interval come from public bounds (see
    ``MomentBounds``) unless ``steps_from_data`` is True (``scaling="none"``), in which
    case they are functions of the training rows and are released with the plan.

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
    steps_from_data: bool = False

    @property
    def approximation(self) -> SigmoidApproximation:
        return SigmoidApproximation(self.sigmoid_degree, self.sigmoid_bound, self.sigmoid_method, tuple(self.sigmoid_coeffs))

    @property
    def depth_per_iteration(self) -> int:
        """z . v (1), the polynomial (ceil(log2(d + 1))), times z (1); one more before
        another iteration (the gradient back to the working scale, see ``trainer``)."""
        return 2 + self.approximation.depth

    @staticmethod
    def depth_for(iterations: int, degree: int) -> int:
        """Levels used by ``iterations`` iterations: the first (from w = 0) costs one,
        each later one 2 + depth, and each but the last one more."""
        d = SigmoidApproximation.fit(degree, 8.0).depth
        return 0 if iterations <= 0 else 1 + (iterations - 1) * (2 + d) + max(0, iterations - 2)

    @staticmethod
    def iterations_for(levels: int, degree: int) -> int:
        """The most iterations whose ``depth_for`` fits in ``levels``."""
        its = 0
        while TrainingPlan.depth_for(its + 1, degree) <= levels:
            its += 1
        return its

    def fold_factor(self, k: int) -> float:
        """Factor folded into the gradient of iteration k (0-based)."""
        if self.method == "nesterov" and k < self.iterations - 1:
            return 1.0 - self.etas[k]
        return 1.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TrainingPlan:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # ValueError: JSON, ints past 4300 digits
            raise FormatError(f"TrainingPlan.from_json: text is not JSON; expected a plan's to_json(), got {type(exc).__name__}") from None
        return cls.from_dict(data, "TrainingPlan.from_json")

    @classmethod
    def from_dict(cls, data, api: str, name: str = "plan") -> TrainingPlan:
        """A plan from its fields as read from bytes, every field checked (a file or a
        message may be corrupt or foreign: a FormatError names the field, never a value)."""
        names = [f.name for f in fields(cls)]
        required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
        if not isinstance(data, dict) or not set(required) <= set(data) <= set(names):
            raise _bad(api, name, "fields", f"{required}, optionally {sorted(set(names) - set(required))}",
                       sorted(data) if isinstance(data, dict) else type(data).__name__)
        data = dict(data)
        if data["method"] not in METHODS:
            raise _bad(api, name, "method", f"one of {METHODS}", "another value")
        iterations = _integer(data, name, "iterations", 0, _MAX_ITERATIONS, api)
        if "etas" not in data:  # files older than the field
            data["etas"] = nesterov_etas(iterations)
        data.setdefault("steps_from_data", False)
        _integer(data, name, "n_samples", 1, 2**53, api)
        n_features = _integer(data, name, "n_features", 1, 2**31, api)
        degree = _integer(data, name, "sigmoid_degree", 1, _MAX_DEGREE, api)
        if degree % 2 == 0:
            raise _bad(api, name, "sigmoid_degree", "an odd integer", "an even one")
        _reals(data, name, "steps", n_features, api)
        _reals(data, name, "sigmoid_coeffs", degree + 1, api)
        _reals(data, name, "etas", iterations, api)
        bound = data["sigmoid_bound"]
        if not (_finite(bound) and bound > 0):
            raise _bad(api, name, "sigmoid_bound", "a finite number > 0", "another value")
        if data["sigmoid_method"] not in ("least_squares", "chebyshev"):
            raise _bad(api, name, "sigmoid_method", "'least_squares' or 'chebyshev'", "another value")
        if not isinstance(data["steps_from_data"], bool):
            raise _bad(api, name, "steps_from_data", "a boolean", type(data["steps_from_data"]).__name__)
        return cls(**data)


_MAX_ITERATIONS, _MAX_DEGREE = 10_000, 63


def _bad(api: str, what: str, name: str, expected: str, got) -> FormatError:
    return FormatError(f"{api}: {what} has an invalid field {name!r}; expected {expected}, got {got}")


def _integer(data: dict, what: str, name: str, low: int, high: int, api: str) -> int:
    v = data[name]
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise _bad(api, what, name, f"an integer in [{low}, {high}]", type(v).__name__ if not isinstance(v, int) else "one outside")
    return v


def _reals(data: dict, what: str, name: str, length: int, api: str) -> None:
    v = data[name]
    if not isinstance(v, list) or len(v) != length:
        raise _bad(api, what, name, f"a list of {length} numbers", type(v).__name__ if not isinstance(v, list) else f"{len(v)} entries")
    if not all(map(_finite, v)):
        raise _bad(api, what, name, "finite numbers", "another entry")


def _finite(x) -> bool:
    return not isinstance(x, bool) and isinstance(x, (int, float)) and math.isfinite(x)


@dataclass(frozen=True)
class MomentBounds:
    """Public upper bounds on M = Z^T Z / n for rows z = y [1, x'] of a scaled data set.

    Since y^2 = 1, M = [1, x']^T [1, x'] / n. Both scalings center x', so M is block
    diagonal: 1 for the intercept, the covariance C' of x' for the features. With d
    features:

    - "standard": C' is the correlation matrix: C'_jj <= 1, trace <= d, lambda_max <= d.
    - "whiten" (shrinkage s): C' = V g(L) V^T with g(l) = l / ((1 - s) l + s) over the
      eigenvalues l of the correlation matrix (0 <= l <= d, sum l <= d). g is increasing
      and concave, so C'_jj <= lambda_max <= g(d) and trace <= d g(1) = d.

    Attributes
    ----------
    diagonal : tuple of float
        Bound on each M_jj, intercept first (f = d + 1 entries).
    trace : float
        Bound on trace(M), so on the mean squared row norm.
    lambda_max : float
        Bound on the largest eigenvalue of M.
    """

    diagonal: tuple
    trace: float
    lambda_max: float

    @classmethod
    def for_scaling(cls, scaling: str, shrinkage: float, n_columns: int) -> MomentBounds | None:
        """The bounds for ``scaling`` ("whiten", "standard"); None for "none" (no public bound)."""
        d = int(n_columns) - 1
        if scaling == "none":
            return None
        if scaling == "standard":
            c = float(max(d, 1))
            diag = 1.0
        elif scaling == "whiten":
            s = float(shrinkage)
            c = d / ((1.0 - s) * d + s) if d > 0 else 1.0
            diag = c
        else:
            raise ValueError(f"MomentBounds.for_scaling: scaling is unknown; expected 'whiten', 'standard' or 'none', got {scaling!r}")
        return cls((1.0,) + (diag,) * d, float(d + 1), max(1.0, c))

    @property
    def rms_row_norm(self) -> float:
        """sqrt(trace): a bound on the root-mean-square norm of the rows z."""
        return float(np.sqrt(self.trace))


def make_plan(Z: np.ndarray | None, method: str, iterations: int, approx: SigmoidApproximation,
              bounds: MomentBounds | None = None, n_samples: int | None = None) -> TrainingPlan:
    """The data owner's plan.

    With ``bounds`` (public) the steps depend only on them, ``n_samples`` and the column
    count, never on the rows: ``Z`` may then be None. Without, they are computed from the
    z-rows ``Z`` (n x f, intercept column included) and the plan is marked
    ``steps_from_data``.
    """
    if method not in METHODS:
        raise ValueError(f"EncryptedLogisticRegression: method is unknown; expected one of {METHODS}, got {method!r}")
    if bounds is None:
        n, f = Z.shape
        if method == "nesterov":
            # 1 / L with L = lambda_max(Z^T Z / n) / 4, the gradient's Lipschitz constant.
            lip = float(np.linalg.eigvalsh(Z.T @ Z / n).max()) / 4.0
            steps = np.full(f, 1.0 / (lip * n))
        else:
            h = np.abs(Z).T @ np.abs(Z).sum(axis=1) / (4.0 * n)
            steps = 1.0 / (np.maximum(h, 1e-12) * n)
    else:
        n, f = int(n_samples), len(bounds.diagonal)
        if method == "nesterov":
            steps = np.full(f, 4.0 / (bounds.lambda_max * n))
        else:
            # Cauchy-Schwarz on the Bonte-Vercauteren bound: (1/n) sum_i |z_ij| ||z_i||_1
            # <= sqrt(M_jj) sqrt(f trace(M)). A larger diagonal is still a Hessian bound,
            # so the fixed-Hessian iteration keeps its monotone convergence.
            h = np.sqrt(np.asarray(bounds.diagonal) * f * bounds.trace) / 4.0
            steps = 1.0 / (h * n)
    return TrainingPlan(method, int(iterations), int(n), int(f), [float(s) for s in steps], approx.degree,
                        approx.bound, approx.method, list(approx.coeffs), nesterov_etas(iterations), bounds is None)


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
