"""Data-owner side of encrypted logistic regression: scale the features, choose the
sigmoid approximation and the plan, make the keys, encrypt the rows; after training,
decrypt the model and fold the scaling back into it."""

from __future__ import annotations

import time

import numpy as np

from pyppml import ckks
from pyppml.ml.messages import EncryptedDataset, EncryptedModel
from pyppml.ml.packing import RowPacking
from pyppml.ml.params import chain_bits, max_levels
from pyppml.ml.plan import METHODS, TrainingPlan, make_plan
from pyppml.ml.preprocess import FeatureScaler
from pyppml.ml.sigmoid import SigmoidApproximation, choose_bound, choose_degree
from pyppml.ml.validation import check_Xy


class DataOwner:
    """The key holder: encrypts a training set, sends ``public_context_bytes()`` and the
    dataset's bytes to a server, and decrypts the model it gets back.

    Parameters
    ----------
    method : {"nesterov", "newton"}
    iterations : int or "auto"
        "auto": as many as the deepest 128-bit chain at ``poly_degree`` allows.
    sigmoid_degree, sigmoid_bound : int / float or "auto"
        "auto": the interval from the range of the scaled data, the degree from it.
    sigmoid_method : {"least_squares", "chebyshev"}
    scaling : {"whiten", "standard", "none"}
    shrinkage : float
        Covariance shrinkage of "whiten" (0: full whitening, 1: standardization).
    poly_degree : int
        CKKS ring degree; n/2 slots hold n / (4 W) samples per ciphertext.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml.ml import DataOwner, train_encrypted
    >>> from pyppml import ckks
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 3)); y = (X[:, 0] > 0).astype(int)
    >>> owner = DataOwner(iterations=2, poly_degree=16384)
    >>> data = owner.encrypt(X, y).to_bytes()                    # owner -> server
    >>> ctx = ckks.Context.from_bytes(owner.public_context_bytes())
    >>> from pyppml.ml import EncryptedDataset
    >>> model = train_encrypted(ctx, EncryptedDataset.from_bytes(data, ctx), progress=False)
    >>> coef, intercept = owner.decrypt_model(model.to_bytes())  # server -> owner
    >>> bool(coef[0] > 0)
    True
    """

    def __init__(self, method: str = "nesterov", iterations="auto", sigmoid_degree="auto", sigmoid_bound="auto",
                 sigmoid_method: str = "least_squares", scaling: str = "whiten", shrinkage: float = 0.1,
                 poly_degree: int = 32768):
        if method not in METHODS:
            raise ValueError(f"DataOwner: method is unknown; expected one of {METHODS}, got {method!r}")
        self.method = method
        self.iterations = iterations
        self.sigmoid_degree = sigmoid_degree
        self.sigmoid_bound = sigmoid_bound
        self.sigmoid_method = sigmoid_method
        self.scaling = scaling
        self.shrinkage = shrinkage
        self.poly_degree = int(poly_degree)
        self.context = None
        self.scaler = None
        self.plan = None
        self.packing = None
        self.timings = {}

    # ------------------------------------------------------------------ setup
    def _approximation(self, Z: np.ndarray) -> SigmoidApproximation:
        bound = choose_bound(np.linalg.norm(Z, axis=1)) if self.sigmoid_bound == "auto" else float(self.sigmoid_bound)
        degree = choose_degree(bound) if self.sigmoid_degree == "auto" else int(self.sigmoid_degree)
        return SigmoidApproximation.fit(degree, bound, self.sigmoid_method)

    def _iterations(self, degree: int) -> int:
        if self.iterations == "auto":
            its = TrainingPlan.iterations_for(max_levels(self.poly_degree), degree)
            if its < 1:
                raise ValueError(f"DataOwner: poly_degree is too small for any iteration; expected >= 8192, got {self.poly_degree}")
            return its
        its = int(self.iterations)
        if its < 1:
            raise ValueError(f"DataOwner: iterations is invalid; expected an integer >= 1 or 'auto', got {self.iterations!r}")
        return its

    def _make_context(self, levels: int, packing: RowPacking) -> ckks.Context:
        bits = chain_bits(self.poly_degree, levels)
        if bits is None:
            cap = TrainingPlan.iterations_for(max_levels(self.poly_degree, max_dnum=levels + 1), self.plan.sigmoid_degree)
            raise ValueError(f"DataOwner: iterations do not fit a 128-bit chain at n = {self.poly_degree}; "
                             f"expected <= {cap} iterations of degree {self.plan.sigmoid_degree}, got {self.plan.iterations}")
        q, p, dnum = bits
        ctx = ckks.Context(poly_degree=self.poly_degree, coeff_mod_bits=q, special_mod_bits=p, dnum=dnum,
                           scale_bits=q[1] if len(q) > 1 else 40, security=128)
        ctx.keygen(rotations=packing.rotations(), conjugate=False)
        return ctx

    # ------------------------------------------------------------------ owner steps
    def encrypt(self, X, y) -> EncryptedDataset:
        """Scale, plan, make keys and encrypt the rows of (X, y)."""
        X, y = check_Xy(X, y, "DataOwner.encrypt")
        t0 = time.perf_counter()
        self.scaler = FeatureScaler.fit(X, self.scaling, self.shrinkage)
        Xs = self.scaler.transform(X)
        Z = np.hstack([np.ones((len(Xs), 1)), Xs]) * (2.0 * y - 1.0)[:, None]
        approx = self._approximation(Z)
        self.plan = make_plan(Z, self.method, self._iterations(approx.degree), approx)
        self.packing = RowPacking(Z.shape[1], self.poly_degree // 2)
        levels = TrainingPlan.depth_for(self.plan.iterations, approx.degree)
        t1 = time.perf_counter()
        self.context = self._make_context(levels, self.packing)
        t2 = time.perf_counter()
        cts = [self.context.encrypt(v) for v in self.packing.pack(Z)]
        t3 = time.perf_counter()
        self.timings.update(prepare_s=t1 - t0, keygen_s=t2 - t1, encrypt_s=t3 - t2)
        self._Z = Z
        return EncryptedDataset(self.plan, self.packing, cts)

    def public_context(self) -> ckks.Context:
        """The evaluation keys without the secret key (what the server gets)."""
        self._require("public_context")
        return self.context.make_public()

    def public_context_bytes(self) -> bytes:
        self._require("public_context_bytes")
        return self.context.to_bytes()

    def decrypt_weights(self, ct) -> np.ndarray:
        """Weights on the scaled features (intercept first)."""
        self._require("decrypt_weights")
        return self.packing.unpack_weights(self.context.decrypt(ct))

    def fold(self, w_scaled: np.ndarray) -> tuple[np.ndarray, float]:
        return self.scaler.fold(w_scaled[1:], float(w_scaled[0]))

    def decrypt_model(self, model) -> tuple[np.ndarray, float]:
        """(coef on raw features, intercept) from an EncryptedModel or its bytes."""
        self._require("decrypt_model")
        if isinstance(model, (bytes, bytearray, memoryview)):
            model = EncryptedModel.from_bytes(model, self.context)
        return self.fold(self.decrypt_weights(model.weights))

    def decrypt_history(self, model) -> list[tuple[np.ndarray, float]]:
        """The model after each iteration (when the server recorded them)."""
        self._require("decrypt_history")
        if isinstance(model, (bytes, bytearray, memoryview)):
            model = EncryptedModel.from_bytes(model, self.context)
        return [self.fold(self.decrypt_weights(ct)) for ct in model.history]

    def reference_history(self) -> list[tuple[np.ndarray, float]]:
        """The same plan run in plaintext (the oracle of the tests)."""
        from pyppml.ml.plan import train_reference

        self._require("reference_history")
        return [self.fold(w) for w in train_reference(self._Z, self.plan)]

    def _require(self, api: str) -> None:
        if self.context is None:
            raise ValueError(f"DataOwner.{api}: no data set is encrypted yet; expected encrypt(X, y) first, got none")
