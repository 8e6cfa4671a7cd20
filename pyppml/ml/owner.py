"""Data-owner side of encrypted logistic regression: scale the features, choose the
sigmoid approximation and the plan, make the keys, encrypt the rows; after training,
decrypt the model (for the key holder, or flooded for publication, Li-Micciancio 2021)
and fold the scaling back into it.

What leaves the owner: the public context, the encrypted rows and the plan (shape, n,
steps and sigmoid interval from public bounds, see ``plan.MomentBounds``) to the server;
the model to whoever it is given. The scaled rows ``_Z`` and the scaler stay with the
owner object, which a fitted estimator does not keep."""

from __future__ import annotations

import time

import numpy as np

from pyppml import ckks
from pyppml.ml.messages import EncryptedDataset, EncryptedModel
from pyppml.ml.packing import RowPacking
from pyppml.ml.params import chain_bits, max_levels
from pyppml.ml.plan import METHODS, MomentBounds, TrainingPlan, make_plan
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
    def _approximation(self, Z: np.ndarray, bounds: MomentBounds | None) -> SigmoidApproximation:
        if self.sigmoid_bound != "auto":
            bound = float(self.sigmoid_bound)
        elif bounds is not None:
            # The public root-mean-square row norm stands for the median one: the interval
            # must not depend on the rows, it is part of the plan.
            bound = choose_bound(np.array([bounds.rms_row_norm]))
        else:
            bound = choose_bound(np.linalg.norm(Z, axis=1))
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
        bounds = MomentBounds.for_scaling(self.scaling, self.shrinkage, Z.shape[1])
        approx = self._approximation(Z, bounds)
        self.plan = make_plan(Z if bounds is None else None, self.method, self._iterations(approx.degree), approx,
                              bounds, n_samples=len(Z))
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
        """Weights on the scaled features (intercept first), decrypted without flooding
        (key holder only, see ``decrypt_model``)."""
        self._require("decrypt_weights")
        return self.packing.unpack_weights(self.context.decrypt(ct))

    def fold(self, w_scaled: np.ndarray) -> tuple[np.ndarray, float]:
        return self.scaler.fold(w_scaled[1:], float(w_scaled[0]))

    def _model(self, model) -> EncryptedModel:
        if isinstance(model, (bytes, bytearray, memoryview)):
            return EncryptedModel.from_bytes(model, self.context)
        return model

    def decrypt_model(self, model) -> tuple[np.ndarray, float]:
        """(coef on raw features, intercept) from an EncryptedModel or its bytes, for the
        key holder's own use.

        The result carries the secret-key-dependent CKKS error: shown to a party that
        holds ciphertexts under this key (the server), it helps recover the key
        (IND-CPA^D, Li-Micciancio 2021) and with it the training rows. Publish a model
        with ``release_model``, or discard the key and every ciphertext under it first
        (``EncryptedLogisticRegression.fit`` does)."""
        self._require("decrypt_model")
        return self.fold(self.decrypt_weights(self._model(model).weights))

    def decrypt_history(self, model) -> list[tuple[np.ndarray, float]]:
        """The model after each iteration (when the server recorded them), decrypted
        like ``decrypt_model`` (key holder only)."""
        self._require("decrypt_history")
        return [self.fold(self.decrypt_weights(ct)) for ct in self._model(model).history]

    def release_model(self, model, bits_of_precision: float, noise_bound: float, security_bits: int = 40,
                      max_releases: int = 1) -> tuple[np.ndarray, float]:
        """(coef, intercept) decrypted for publication: ``Context.decrypt_for_release``
        floods the decrypted polynomial (sigma >= sqrt(12 tau) 2^(s/2) B), then the
        copies of each weight (one per half block, ``packing.slots / packing.width`` of
        them) are averaged, which divides the released noise by sqrt(copies).

        Parameters
        ----------
        bits_of_precision : float
            -log2 of the flooding noise's std in each released slot (before averaging).
        noise_bound : float
            B, a bound on every coefficient of the model ciphertext's error (coefficient
            units). Training is deep: estimate it on a throw-away key (OpenFHE's
            two-phase estimation), never from the real key's error.
        security_bits, max_releases : int
            s and tau of ``decrypt_for_release`` (releases allowed under this key).

        Raises
        ------
        ValueError (pyppml.ParameterError)
            the ciphertext's scale and ``noise_bound`` leave less than
            ``bits_of_precision`` (the message gives the most it can release), or the
            key has used its ``max_releases``.

        Notes
        -----
        The flooding costs about s/2 + 5 bits over the model's own error: a model
        trained at scale 2^40 (error about 2^-21 at n = 2^14 with 2 iterations, 2^-18 at
        n = 2^15 with 4) cannot be released with any useful precision at s = 40.
        """
        self._require("release_model")
        ct = self._model(model).weights
        slots = self.context.decrypt_for_release(ct, bits_of_precision=bits_of_precision, noise_bound=noise_bound,
                                                 security_bits=security_bits, max_releases=max_releases)
        # Post-processing of released values: averaging the copies keeps the protection.
        copies = np.asarray(slots, dtype=np.float64).reshape(-1, self.packing.width)[:, :self.packing.features]
        return self.fold(copies.mean(axis=0))

    def reference_history(self) -> list[tuple[np.ndarray, float]]:
        """The same plan run in plaintext (the oracle of the tests)."""
        from pyppml.ml.plan import train_reference

        self._require("reference_history")
        return [self.fold(w) for w in train_reference(self._Z, self.plan)]

    def _require(self, api: str) -> None:
        if self.context is None:
            raise ValueError(f"DataOwner.{api}: no data set is encrypted yet; expected encrypt(X, y) first, got none")
