"""Data-owner side of encrypted logistic regression: scale the features, choose the
sigmoid approximation and the plan, make the keys, encrypt the rows; after training,
decrypt the model (for the key holder, or flooded for publication, Li-Micciancio 2021,
with a noise bound measured on a throw-away key) and fold the scaling back into it.

What leaves the owner: the public context, the encrypted rows and the plan (shape, n,
steps and sigmoid interval from public bounds, see ``plan.MomentBounds``) to the server;
the model to whoever it is given. The scaled rows ``_Z`` and the scaler stay with the
owner object, which a fitted estimator does not keep."""

from __future__ import annotations

import math
import time

import numpy as np

from pyppml import ckks
from pyppml.ckks import release
from pyppml.ckks.release import DEFAULT_SECURITY_BITS
from pyppml.ml.messages import EncryptedDataset, EncryptedModel
from pyppml.ml.packing import RowPacking
from pyppml.ml.params import chain_bits, max_levels
from pyppml.ml.plan import (
    METHODS,
    MomentBounds,
    TrainingPlan,
    make_plan,
    train_reference,
)
from pyppml.ml.preprocess import FeatureScaler
from pyppml.ml.sigmoid import SigmoidApproximation, choose_bound, choose_degree
from pyppml.ml.trainer import required_rotations, train_encrypted
from pyppml.ml.validation import check_Xy

# B = NOISE_SAFETY x the worst error of the throw-away run, rounded up to a quarter bit.
# The worst coefficient error varies between keys with a std of about 0.4 bit (30 keys,
# n = 2^14, two iterations: a range of 1.7 bits); 16 leaves 4 bits, about 7 std of the
# difference of two runs. Measured: B / (real key's worst error) >= 2^3.1 in 36 runs.
NOISE_SAFETY = 16.0


def _coefficient_error(ctx, ct, slots: np.ndarray) -> float:
    """max |e_i| over the coefficients of ct's error, ct decrypting (under ctx's key) to
    the encoding of ``slots`` at ct's scale and level."""
    ideal = ctx._native.decode_coefficients(ctx.encode(slots, scale=ct.scale, level=ct.level)._native)
    got = ctx._native.decode_coefficients(ctx._native.decrypt(ctx.secret_key, ct._native))
    return float(np.max(np.abs(got - ideal)))


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
    >>> coef, intercept = owner.release_model(model.to_bytes())  # server -> owner -> public
    >>> bool(coef[0] > 0)
    True
    >>> bool(owner.releases[-1]["weight_std"] < 2.0 ** -5)   # flooded, then averaged
    True
    """

    def __init__(self, method: str = "nesterov", iterations="auto", sigmoid_degree="auto", sigmoid_bound="auto",
                 sigmoid_method: str = "least_squares", scaling: str = "whiten", shrinkage: float = 0.1,
                 poly_degree: int = 32768, bootstrapping="auto", security: int | None = 128):
        if method not in METHODS:
            raise ValueError(f"DataOwner: method is unknown; expected one of {METHODS}, got {method!r}")
        self.method = method
        self.iterations = iterations
        self.sigmoid_degree = sigmoid_degree
        self.sigmoid_bound = sigmoid_bound
        self.sigmoid_method = sigmoid_method
        self.scaling = scaling
        self.shrinkage = shrinkage
        if bootstrapping not in ("auto", True, False):
            raise ValueError(f"DataOwner: bootstrapping is invalid; expected 'auto', True or False, got {bootstrapping!r}")
        self.poly_degree = int(poly_degree)
        self.bootstrapping = bootstrapping
        if security is not None and (isinstance(security, bool) or security != 128):
            # The chains are sized for 128 bits; another level would be silently ignored.
            raise ValueError(f"DataOwner: security is unsupported; expected 128 (or None, tests only), got {security!r}")
        self.security = security
        self.plan_bootstraps = False
        self.context = None
        self.scaler = None
        self.plan = None
        self.packing = None
        self.timings = {}
        self.releases = []        # public facts of each released ciphertext
        self._noise_bounds = {}
        self._file = None         # the owner file save/load used: each release rewrites it

    def __reduce__(self):
        # It holds the scaled training rows times their labels and the scaler in the
        # clear (the secret key stays out of any pickle): only ``save`` writes its state.
        raise TypeError("DataOwner: pickling is refused; it holds the training rows and the data's scaling; "
                        "use save(path) for its secret file (no training row) or public_context() for the server")

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

    def _needs_bootstrapping(self, iterations: int, degree: int) -> bool:
        if self.bootstrapping != "auto":
            return bool(self.bootstrapping)
        return chain_bits(self.poly_degree, TrainingPlan.depth_for(iterations, degree)) is None

    def _make_context(self, levels: int, packing: RowPacking) -> ckks.Context:
        if self.plan_bootstraps:
            from pyppml.ml.bootstrapped import bootstrappable_context

            return bootstrappable_context(self.plan, packing.width, self.poly_degree, self.security,
                                          required_rotations(self.plan, packing))
        bits = chain_bits(self.poly_degree, levels)
        if bits is None:
            cap = TrainingPlan.iterations_for(max_levels(self.poly_degree, max_dnum=levels + 1), self.plan.sigmoid_degree)
            raise ValueError(f"DataOwner: iterations do not fit a 128-bit chain at n = {self.poly_degree}; "
                             f"expected <= {cap} iterations of degree {self.plan.sigmoid_degree} (or bootstrapping=True), "
                             f"got {self.plan.iterations}")
        q, p, dnum = bits
        ctx = ckks.Context(poly_degree=self.poly_degree, coeff_mod_bits=q, special_mod_bits=p, dnum=dnum,
                           scale_bits=q[1] if len(q) > 1 else 40, security=128)
        # Only the Galois keys the plan's circuit uses: they are most of the public context.
        ctx.keygen(rotations=required_rotations(self.plan, packing), conjugate=False)
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
        iterations = self._iterations(approx.degree)
        self.plan = make_plan(Z if bounds is None else None, self.method, iterations, approx,
                              bounds, n_samples=len(Z))
        self.plan_bootstraps = self._needs_bootstrapping(iterations, approx.degree)
        if self.plan_bootstraps:
            from pyppml.ml.bootstrapped import ring_degree

            self.poly_degree = ring_degree(self.plan, RowPacking(Z.shape[1], 1 << 30).width, self.poly_degree,
                                           self.security)
        self.packing = RowPacking(Z.shape[1], self.poly_degree // 2)
        levels = TrainingPlan.depth_for(self.plan.iterations, approx.degree)
        t1 = time.perf_counter()
        self.context = self._make_context(levels, self.packing)
        t2 = time.perf_counter()
        cts = [self.context.encrypt(v) for v in self.packing.pack(Z)]
        t3 = time.perf_counter()
        self.timings.update(prepare_s=t1 - t0, keygen_s=t2 - t1, encrypt_s=t3 - t2)
        self._Z = Z
        self._noise_bounds = {}
        return EncryptedDataset(self.plan, self.packing, cts)

    def public_context(self) -> ckks.Context:
        """The evaluation keys without the secret key (what the server gets)."""
        self._require("public_context")
        self._require_evaluation_keys("public_context")
        return self.context.make_public()

    def public_context_bytes(self) -> bytes:
        """What the server gets: ``Context.to_bytes()`` (parameters, public,
        relinearization and Galois keys; never the secret key)."""
        self._require("public_context_bytes")
        self._require_evaluation_keys("public_context_bytes")
        return self.context.to_bytes()

    def _require_evaluation_keys(self, api: str) -> None:
        if self.context.galois_keys is None:
            raise ValueError(f"DataOwner.{api}: the evaluation keys are not here (a loaded owner keeps only its "
                             f"secret context); expected the public context saved at encrypt time "
                             f"(save_public_context), got an owner without Galois keys")

    def save_public_context(self, path) -> None:
        """Write ``public_context_bytes()`` to ``path``: the server's file (no secret key)."""
        from pyppml.ml.container import write_file

        write_file(path, self.public_context_bytes())

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Write the owner's secret state to ``path`` (mode 0600): its secret context
        (parameters, public and secret keys, release count; ``keys.save_secret_context``),
        the plan, the packing, the scaling fitted on the training data (feature means and
        whitening matrix), the public facts of past releases and the noise bound of the
        model's release, measured now if it was not yet (``estimate_noise_bound``: it
        needs the training rows, which are not saved).

        SECRET: the file decrypts everything encrypted under the key, and the scaling is
        a statistic of the training data. It holds no training row or label, no
        relinearization or Galois key (send the server ``save_public_context`` instead).
        To release a recorded history after loading, call
        ``estimate_history_noise_bounds()`` before saving.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(64, 3)); y = (X[:, 0] > 0).astype(int)
        >>> owner = DataOwner(iterations=1, poly_degree=16384)
        >>> data = owner.encrypt(X, y)
        >>> path = os.path.join(tempfile.mkdtemp(), "owner.key")
        >>> owner.save(path)
        >>> oct(os.stat(path).st_mode & 0o777)
        '0o600'
        >>> model = train_encrypted(owner.public_context(), data, progress=False)
        >>> coef, intercept = DataOwner.load(path).release_model(model.to_bytes())
        >>> bool(coef[0] > 0)
        True
        """
        from pyppml.ml.container import write_file
        from pyppml.ml.owner_file import owner_to_bytes

        self._require("save")
        self.estimate_noise_bound()
        write_file(path, owner_to_bytes(self), secret=True)
        # From now on each release rewrites this file before it returns, so that a new
        # process loading it goes on from the count instead of from the count at save.
        self._file = path

    @classmethod
    def load(cls, path) -> DataOwner:
        """The owner ``save`` wrote: it decrypts and releases models of its key (the
        release count goes on from where it was); it cannot encrypt a new data set's
        plan or measure new noise bounds (no training rows).

        Raises
        ------
        pyppml.FormatError (a ValueError)
            a file of another kind or version, altered or truncated, or inconsistent.
        """
        from pyppml.ml.container import read_file
        from pyppml.ml.owner_file import owner_from_bytes

        owner = owner_from_bytes(cls, read_file(path))
        owner._file = path  # each release rewrites it (the count must survive the process)
        return owner

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
        key holder's own use only.

        The result carries the secret-key-dependent CKKS error of a ciphertext the server
        chose: shown to anyone who holds ciphertexts under this key (the server keeps the
        encrypted training set), it helps recover the key (IND-CPA^D, Li-Micciancio 2021)
        and with it the training rows. Discarding the key later does not undo that. Publish
        a model only with ``release_model`` (``EncryptedLogisticRegression.fit`` does)."""
        self._require("decrypt_model")
        return self.fold(self.decrypt_weights(self._model(model).weights))

    def decrypt_history(self, model) -> list[tuple[np.ndarray, float]]:
        """The model after each iteration (when the server recorded them), decrypted
        like ``decrypt_model`` (key holder only)."""
        self._require("decrypt_history")
        return [self.fold(self.decrypt_weights(ct)) for ct in self._model(model).history]

    # ------------------------------------------------------------------ release
    def estimate_noise_bound(self) -> float:
        """B for ``release_model``: the worst coefficient error of the trained model's
        ciphertext, measured on a throw-away key (OpenFHE's EXEC_NOISE_ESTIMATION run).

        The same chain, plan and rows are encrypted under a fresh key, the plan is run on
        them as the server runs it, and the result is compared, coefficient by
        coefficient, with the exact encoding of the plaintext oracle's weights. The
        largest error, times ``NOISE_SAFETY`` (16: between keys the worst error varies
        with a std of about 0.4 bit), rounded up to a quarter bit, is B. The real key's
        error is never measured, so B does not depend on it; B depends on the rows only
        through the size of the circuit's error, and only its log2 (to a quarter bit)
        shows in the release.

        Returns
        -------
        float
            B, a power of 2^(1/4) (coefficient units, at the model's scale).
        """
        self._require("estimate_noise_bound")
        return self._estimates(False)[-1][0]

    def estimate_history_noise_bounds(self) -> list[float]:
        """``estimate_noise_bound`` for the weights after each iteration (for
        ``release_history``), from one throw-away run that records them."""
        self._require("estimate_history_noise_bounds")
        return [b for b, _, _ in self._estimates(True)]

    def _estimates(self, history: bool) -> list[tuple[float, int, float]]:
        """(B, level, scale) of each ciphertext of the throw-away run: the final weights,
        or every iteration's."""
        key = bool(history)
        if key not in self._noise_bounds:
            self._require_rows("estimate_history_noise_bounds" if key else "estimate_noise_bound")
            t0 = time.perf_counter()
            levels = TrainingPlan.depth_for(self.plan.iterations, self.plan.sigmoid_degree)
            ctx = self._make_context(levels, self.packing)   # fresh keys, thrown away below
            data = EncryptedDataset(self.plan, self.packing, [ctx.encrypt(v) for v in self.packing.pack(self._Z)])
            model = train_encrypted(ctx.make_public(), data, progress=False, record_history=key)
            cts = model.history if key else [model.weights]
            ref = train_reference(self._Z, self.plan)[-len(cts):]
            out = []
            for ct, w in zip(cts, ref):
                worst = _coefficient_error(ctx, ct, self._model_slots(w))
                bound = 2.0 ** (math.ceil(4 * math.log2(max(1.0, NOISE_SAFETY * worst))) / 4)
                out.append((bound, ct.level, ct.scale))
            self._noise_bounds[key] = out
            self.timings["noise_estimate_s"] = self.timings.get("noise_estimate_s", 0.0) + time.perf_counter() - t0
        return self._noise_bounds[key]

    def _model_slots(self, w_scaled: np.ndarray) -> np.ndarray:
        """The slot vector of a model: the weights at the head of every half block."""
        p = self.packing
        return np.tile(np.append(w_scaled, np.zeros(p.width - p.features)), p.slots // p.width)

    def release_bits(self, ct, noise_bound: float, security_bits: int = DEFAULT_SECURITY_BITS,
                     max_releases: int = 1) -> float:
        """The most precision ``decrypt_for_release`` allows for ``ct`` (per slot, before
        the copies are averaged), rounded down to a quarter bit, at most 50.

        Raises
        ------
        ValueError (pyppml.ParameterError)
            not even 1 bit is left (the scale is too small for the noise bound; a larger
            ``poly_degree`` gives a larger scale).
        """
        plan = release.plan_release(self.context, ct, 1, noise_bound, security_bits, max_releases)
        return min(50.0, math.floor(4 * plan.max_bits) / 4)

    def release_model(self, model, bits_of_precision: float | None = None, noise_bound: float | None = None,
                      security_bits: int = DEFAULT_SECURITY_BITS, max_releases: int = 1) -> tuple[np.ndarray, float]:
        """(coef, intercept) decrypted for publication: ``Context.decrypt_for_release``
        floods the decrypted polynomial (sigma >= sqrt(12 tau) 2^(s/2) B), then the
        copies of each weight (one per half block, ``packing.slots / packing.width`` of
        them) are averaged, which divides the released noise by sqrt(copies).

        Parameters
        ----------
        model : EncryptedModel or bytes
            What the server returned. It must have the level and scale of the plan's
            circuit (checked against the throw-away run).
        bits_of_precision : float, optional
            -log2 of the flooding noise's std in each released slot (before averaging).
            Default: the most the noise bound allows (``release_bits``).
        noise_bound : float, optional
            B, a bound on every coefficient of the model ciphertext's error (coefficient
            units). Default ``estimate_noise_bound()`` (throw-away key, never the real
            key's error).
        security_bits, max_releases : int
            s (>= 40) and tau of ``decrypt_for_release`` (releases allowed under this key).

        Returns
        -------
        coef : ndarray of shape (d,)
        intercept : float
            On the raw features. Each weight on the scaled features carries noise of
            std ``2^-bits sqrt(1 + 4^(bits - ceil(bits)) / 12) / sqrt(copies)`` (flooding
            plus rounding to 2^-ceil(bits)); ``releases[-1]`` records it with the
            noise bound and the bits used.

        Raises
        ------
        ValueError (pyppml.ParameterError)
            the ciphertext's scale and ``noise_bound`` leave less than
            ``bits_of_precision`` (the message gives the most it can release); the key
            has used its ``max_releases``; the model is not at the plan's level and scale.

        Notes
        -----
        The flooding hides the key-dependent error of a model that the server computed
        by the plan (honest-but-curious server, as OpenFHE's NOISE_FLOODING_DECRYPT
        assumes): B bounds that circuit's error, not that of an arbitrary ciphertext.
        The level and scale check is no integrity check: a malicious server can return
        any linear function of the encrypted data at the plan's level and scale (say a
        training row times its label, built with the rotation keys it holds) with an
        error below B, and this method publishes it.

        After ``save`` or ``load``, each release rewrites the owner file (the release
        count included) before it returns, so a restarted process goes on from it.
        """
        self._require("release_model")
        return self._release([self._model(model).weights], bits_of_precision, noise_bound, False, security_bits,
                             max_releases)[0]

    def release_history(self, model, bits_of_precision: float | None = None, noise_bound: float | None = None,
                        security_bits: int = DEFAULT_SECURITY_BITS) -> list[tuple[np.ndarray, float]]:
        """``release_model`` for the weights after every iteration (the last one is the
        model): ``len(history)`` releases under this key (tau), each with the noise
        bound of its own iteration (``estimate_history_noise_bounds``) unless
        ``noise_bound`` is given. ``releases`` gets one entry per iteration."""
        self._require("release_history")
        cts = self._model(model).history
        if not cts:
            raise ValueError("DataOwner.release_history: the model has no history; expected record_history=True "
                             "at training, got none")
        return self._release(cts, bits_of_precision, noise_bound, True, security_bits, len(cts))

    def _release(self, cts, bits_of_precision, noise_bound, history, security_bits, max_releases):
        if self._file is None:
            return self._release_values(cts, bits_of_precision, noise_bound, history, security_bits, max_releases)
        from pyppml.ml.container import read_file
        from pyppml.ml.file_lock import exclusive
        from pyppml.ml.owner_file import owner_from_bytes

        # Under the file's lock: the count on disk (another process may have released
        # since this one loaded the file) raises this process's count, and the new count
        # is written before the lock goes and before the values leave.
        with exclusive(self._file):
            owner_from_bytes(type(self), read_file(self._file))  # registers the stored count
            out = self._release_values(cts, bits_of_precision, noise_bound, history, security_bits, max_releases)
            self.save(self._file)
        return out

    def _release_values(self, cts, bits_of_precision, noise_bound, history, security_bits, max_releases):
        if noise_bound is None:
            estimates = self._estimates(history)
            for ct, (_, level, scale) in zip(cts, estimates):
                # B covers the plan's circuit: the server's output must have its shape.
                if ct.level != level or ct.scale != scale:
                    raise ValueError(f"DataOwner.release_model: model is not the plan's circuit output; expected level "
                                     f"{level} at scale 2^{math.log2(scale):.2f}, got level {ct.level} at scale "
                                     f"2^{math.log2(ct.scale):.2f}")
            bounds = [b for b, _, _ in estimates]
        else:
            bounds = [noise_bound] * len(cts)
        copies = self.packing.slots // self.packing.width
        out = []
        for ct, bound in zip(cts, bounds):
            bits = self.release_bits(ct, bound, security_bits, max_releases) if bits_of_precision is None else bits_of_precision
            slots = self.context.decrypt_for_release(ct, bits_of_precision=bits, noise_bound=bound,
                                                     security_bits=security_bits, max_releases=max_releases)
            # Post-processing of released values: averaging the copies keeps the protection.
            block = np.asarray(slots, dtype=np.float64).reshape(copies, self.packing.width)[:, :self.packing.features]
            out.append(self.fold(block.mean(axis=0)))
            step = 2.0 ** -math.ceil(bits)
            self.releases.append({
                "bits_of_precision": float(bits), "noise_bound": float(bound), "security_bits": int(security_bits),
                "max_releases": int(max_releases), "copies": copies,
                # std of each released weight on the scaled features: flooding and
                # rounding per slot, averaged over the copies
                "weight_std": math.sqrt(4.0 ** -bits + step * step / 12.0) / math.sqrt(copies)})
        return out

    def reference_history(self) -> list[tuple[np.ndarray, float]]:
        """The same plan run in plaintext (the oracle of the tests)."""
        from pyppml.ml.plan import train_reference

        self._require("reference_history")
        self._require_rows("reference_history")
        return [self.fold(w) for w in train_reference(self._Z, self.plan)]

    def _require_rows(self, api: str) -> None:
        if getattr(self, "_Z", None) is None:
            raise ValueError(f"DataOwner.{api}: the training rows are not here (a loaded owner has only its keys, plan, "
                             f"scaling and saved noise bounds); expected it called before save(), got a loaded owner")

    def _require(self, api: str) -> None:
        if self.context is None:
            raise ValueError(f"DataOwner.{api}: no data set is encrypted yet; expected encrypt(X, y) first, got none")
