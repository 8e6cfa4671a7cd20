"""EncryptedLogisticRegression: the scikit-learn estimator whose ``fit`` runs both
roles of encrypted training in one process (owner encrypts, server trains on
ciphertexts with the public context only, owner releases the model through a flooded
decryption).

A fitted estimator is a released model: it holds only the attributes listed in
``RELEASED_ATTRIBUTES`` and never the data owner (its secret key, scaled rows, labels or
scaler)."""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError

from pyppml import ckks
from pyppml._core import ParameterError
from pyppml.ml.inference import serve_encrypted
from pyppml.ml.messages import EncryptedDataset, EncryptedModel
from pyppml.ml.owner import DataOwner
from pyppml.ml.sigmoid import sigmoid
from pyppml.ml.trainer import train_encrypted
from pyppml.ml.validation import check_binary_labels, check_X

# What a fitted estimator carries (and a pickle of it holds), all of it released:
# the model, its public training plan, and facts about the run. Nothing else: the tests
# walk a fitted estimator and refuse any other attribute.
RELEASED_ATTRIBUTES = (
    "coef_",             # the trained weights, folded onto raw features
    "intercept_",        # idem
    "history_",          # idem for every iteration, only with record_history=True
    "classes_",          # the two labels, sorted (public schema of the released model)
    "n_features_in_",    # d
    "n_iter_",           # iterations run
    "plan_",             # the TrainingPlan the server received (public; see plan.py)
    "encryption_params_",  # poly_degree, max_level, log_qp, security of the keys used
    "security_",         # bits of security of those keys
    "timings_",          # seconds per stage
    "release_",          # how coef_ was released: noise bound, bits, copies, std per weight
    "bytes_",            # sizes of the messages
)


class EncryptedLogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary logistic regression trained on CKKS-encrypted data.

    Parameters
    ----------
    method : {"nesterov", "newton"}
        Nesterov-accelerated gradient descent or the simplified fixed-Hessian Newton
        method (Bonte, Vercauteren 2018).
    iterations : int or "auto"
        "auto": as many as fit the depth of the 128-bit chain at ``poly_degree``.
    sigmoid_degree, sigmoid_bound : "auto" or number
        Odd degree and half-width of the sigmoid polynomial ("auto": from the data).
    sigmoid_method : {"least_squares", "chebyshev"}
    scaling : {"whiten", "standard", "none"}
        Owner-side feature scaling, folded back into ``coef_`` and ``intercept_``.
    shrinkage : float
    poly_degree : int
        CKKS ring degree. 32768: three iterations at scale 2^55 (128-bit security),
        weights released with noise of std about 2^-15 (breast cancer); 16384: two
        iterations at 2^51, about 2^-13 (see ``release_``).
    bootstrapping : {"auto", True, False}
        "auto": when ``iterations`` exceed the chain at ``poly_degree``, train on a
        bootstrappable context (n = 2^16 at 128-bit) and refresh the model between
        iterations (``pyppml.ml.bootstrapped``; ``timings_["bootstraps"]``).
    security : {128, None}
        None (tests only) keeps ``poly_degree`` for the bootstrappable chain.
    progress : bool
        tqdm progress bar during training.
    record_history : bool
        Keep the encrypted weights of every iteration; the owner releases them all
        after training (``history_``, ``plot_training_curve``): one release per
        iteration under the key, so each is sqrt(iterations) times noisier.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
        Folded onto the raw features (the owner's scaling is part of the coefficients;
        the scaler is not kept).
    intercept_ : ndarray of shape (1,)
    classes_ : ndarray of shape (2,)
        The two labels of ``y``, sorted: any two ints, bools, strings or integer-valued
        floats, as in ``LogisticRegression``. ``predict`` returns them and
        ``predict_proba``'s columns follow them; the server is sent only codes 0/1
        (1 for ``classes_[1]``). More or fewer than two classes is a ``ValueError``;
        messages count labels and never quote one.
    n_iter_ : int
    plan_ : TrainingPlan
        What the server was sent: n, d, method, steps, sigmoid polynomial. Its steps come
        from public bounds unless ``scaling="none"`` (then ``plan_.steps_from_data``).
    history_ : list of (coef, intercept)
        The model after each iteration (``record_history=True``), else empty.
    encryption_params_ : dict
        poly_degree, max_level, log_qp and security of the training keys.
    security_ : int
    timings_ : dict
        Seconds per stage: prepare, keygen, encrypt, train, noise estimate (the
        throw-away run, included in release), release.
    release_ : dict
        noise_bound (B), bits_of_precision (per slot), copies averaged, weight_std (std
        of the noise on each weight on the scaled features), security_bits, max_releases.
    bytes_ : dict
        Sizes of the messages: public context, encrypted data set, encrypted model.

    Notes
    -----
    The fitted estimator holds exactly ``RELEASED_ATTRIBUTES`` besides its parameters:
    no training row, label, per-feature statistic or key. The data owner made during
    ``fit`` (secret key, scaled rows) is dropped before ``fit`` returns; to keep it, run
    the two roles yourself with ``DataOwner`` and ``train_encrypted``.

    ``coef_``, ``intercept_`` and ``history_`` are released through
    ``DataOwner.release_model`` / ``release_history``: a flooded decryption
    (``Context.decrypt_for_release``, sigma >= sqrt(12 tau) 2^(s/2) B, s = 40) with B the
    model ciphertext's worst error measured on a throw-away key, then the average of the
    copies of each weight. The server chose that ciphertext and may keep the encrypted
    training set: an unflooded decryption would help it recover the key and the rows
    (IND-CPA^D), however soon the key is discarded. ``release_`` gives the standard
    deviation of the noise each weight on the scaled features carries (about 2^-13 at
    n = 2^14 and 2^-15 at n = 2^15 on breast cancer; more samples give more precision,
    see ``trainer``); ``fit`` raises ``ParameterError`` when the chain leaves
    not even 1 bit per slot (use a larger ``poly_degree``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 3)); y = (X[:, 0] - X[:, 1] > 0).astype(int)
    >>> clf = EncryptedLogisticRegression(iterations=2, poly_degree=16384, progress=False).fit(X, y)
    >>> bool(clf.score(X, y) > 0.8)
    True
    """

    def __init__(self, method="nesterov", iterations="auto", sigmoid_degree="auto", sigmoid_bound="auto",
                 sigmoid_method="least_squares", scaling="whiten", shrinkage=0.1, poly_degree=32768,
                 progress=True, record_history=False, bootstrapping="auto", security=128):
        self.method = method
        self.iterations = iterations
        self.sigmoid_degree = sigmoid_degree
        self.sigmoid_bound = sigmoid_bound
        self.sigmoid_method = sigmoid_method
        self.scaling = scaling
        self.shrinkage = shrinkage
        self.poly_degree = poly_degree
        self.progress = progress
        self.record_history = record_history
        self.bootstrapping = bootstrapping
        self.security = security

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False   # binary only
        tags.non_deterministic = True              # fresh keys, encryption and flooding noise at every fit
        return tags

    def fit(self, X, y):
        """Train on ``X`` (n, d) and the binary labels ``y`` (n,); returns ``self``.

        ``y`` takes exactly two distinct values (ints, bools, strings or integer-valued
        floats): they become ``classes_``, and the data owner encrypts codes 0/1
        (``DataOwner.encrypt``'s contract).

        Raises
        ------
        ValueError (pyppml.ParameterError for bad parameters)
            complex, sparse, non-finite or empty ``X``; ``y`` of the wrong length, with
            one or more than two classes or non-integer floats (a continuous target).
            Messages count labels, never quote one.
        """
        api = "EncryptedLogisticRegression.fit"
        X = check_X(X, api)
        classes, y = check_binary_labels(y, len(X), api)
        owner = DataOwner(self.method, self.iterations, self.sigmoid_degree, self.sigmoid_bound, self.sigmoid_method,
                          self.scaling, self.shrinkage, self.poly_degree, self.bootstrapping, self.security)
        dataset_bytes = owner.encrypt(X, y).to_bytes()
        context_bytes = owner.public_context_bytes()
        # Server: only the bytes the owner sent.
        t0 = time.perf_counter()
        # A bootstrappable chain needs n = 2^16; security=None is the tests' explicit opt-out.
        limits = {"max_poly_degree": max(32768, owner.poly_degree)}
        if self.security is None:
            limits.update(min_security=None, allow_insecure=True)
        server_ctx = ckks.Context.from_bytes(context_bytes, **limits)
        dataset = EncryptedDataset.from_bytes(dataset_bytes, server_ctx)
        model = train_encrypted(server_ctx, dataset, progress=self.progress, record_history=self.record_history)
        model_bytes = model.to_bytes()
        t1 = time.perf_counter()
        sizes = {"public_context": len(context_bytes), "dataset": len(dataset_bytes)}
        return self._publish(owner, model_bytes, sizes, t1 - t0, X.shape[1], classes)

    def _publish(self, owner: DataOwner, model_bytes: bytes, sizes: dict, server_s: float | None, d: int,
                 classes=None):
        """The owner releases the server's model (flooded) into ``RELEASED_ATTRIBUTES``."""
        model = EncryptedModel.from_bytes(model_bytes, owner.context)
        t1 = time.perf_counter()
        # Owner again: publish only through the flooded release.
        try:
            if self.record_history:
                released = owner.release_history(model_bytes)   # tau = iterations; the last is the model
                coef, intercept = released[-1]
            else:
                coef, intercept = owner.release_model(model_bytes)
        except ParameterError as e:
            if not owner.plan_bootstraps:
                raise
            # A bootstrap leaves ~2^-22 relative error: flooding 2^20 times it (statistical
            # security 40) leaves nothing at small rings. The key holder can still decrypt.
            raise ParameterError(
                "EncryptedLogisticRegression.fit: the bootstrapped model cannot be released by flooding; expected a "
                "model error 2^-20 below its scale (a larger ring, or run DataOwner and train_encrypted and keep the "
                f"model with the key holder: DataOwner.decrypt_model), got: {e}") from None
        t2 = time.perf_counter()
        self.coef_ = coef.reshape(1, -1)
        self.intercept_ = np.array([intercept])
        self.classes_ = np.array([0, 1]) if classes is None else classes
        self.n_features_in_ = d
        self.n_iter_ = owner.plan.iterations
        self.plan_ = owner.plan
        server = {} if server_s is None else {"server_s": server_s}
        boots = {k: float(model.timings[k]) for k in ("bootstraps", "bootstrap_s") if k in model.timings}
        self.timings_ = dict(owner.timings, train_s=model.timings.get("train_s", server_s or 0.0), **server,
                             **boots, release_s=t2 - t1)
        self.release_ = dict(owner.releases[-1])
        self.bytes_ = dict(sizes, model=len(model_bytes))
        ctx = owner.context
        self.encryption_params_ = {"poly_degree": ctx.poly_degree, "max_level": ctx.max_level,
                                   "log_qp": float(ctx.log_qp), "security": ctx.security}
        self.security_ = ctx.security
        self.history_ = released if self.record_history else []
        # The owner (secret key, scaled rows, labels, scaler) goes out of scope here:
        # nothing of it is reachable from the fitted model.
        return self

    @classmethod
    def from_encrypted_model(cls, owner: DataOwner, model, record_history: bool = False
                             ) -> EncryptedLogisticRegression:
        """The released estimator of a model trained in another process: ``owner`` (the
        one that encrypted the data, or ``DataOwner.load`` of it) releases the server's
        ``EncryptedModel`` (or its bytes) through its flooded ``release_model``, as
        ``fit`` does. The estimator keeps only ``RELEASED_ATTRIBUTES``; ``save`` it to
        publish it.

        ``record_history`` is the owner's choice: True releases every iteration
        (``release_history``, one release each); by default only the model is released,
        whether or not the server's message carries a history (review 2026-12-08: the
        server decided, by sending one, that every iteration was published).

        Raises
        ------
        ValueError
            as ``DataOwner.release_model`` (a model of another key, shape, or a key
            that has used its releases); ``record_history=True`` for a model without
            a history.

        Examples
        --------
        >>> import numpy as np
        >>> from pyppml.ml import DataOwner, train_encrypted
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(64, 3)); y = (X[:, 0] > 0).astype(int)
        >>> owner = DataOwner(iterations=1, poly_degree=16384)
        >>> data = owner.encrypt(X, y)
        >>> model = train_encrypted(owner.public_context(), data, progress=False)
        >>> clf = EncryptedLogisticRegression.from_encrypted_model(owner, model)
        >>> bool(clf.score(X, y) > 0.8)
        True
        """
        model_bytes = model if isinstance(model, (bytes, bytearray, memoryview)) else model.to_bytes()
        history = bool(record_history)
        if history and not EncryptedModel.from_bytes(model_bytes, owner.context).history:
            raise ValueError("EncryptedLogisticRegression.from_encrypted_model: the model has no history; expected "
                             "the server to train with record_history=True, got none")
        est = cls(method=owner.method, iterations=owner.iterations, sigmoid_degree=owner.sigmoid_degree,
                  sigmoid_bound=owner.sigmoid_bound, sigmoid_method=owner.sigmoid_method, scaling=owner.scaling,
                  shrinkage=owner.shrinkage, poly_degree=owner.poly_degree, progress=False, record_history=history,
                  bootstrapping=owner.bootstrapping, security=owner.security)
        return est._publish(owner, bytes(model_bytes), {}, None, owner.packing.features - 1)

    # ------------------------------------------------------------------ plaintext model
    def _check_fitted(self, api: str):
        if not hasattr(self, "coef_"):
            raise NotFittedError(f"EncryptedLogisticRegression.{api}: the model is not fitted; expected fit(X, y) first, "
                                 "got none")

    def decision_function(self, X) -> np.ndarray:
        self._check_fitted("decision_function")
        X = check_X(X, "EncryptedLogisticRegression.decision_function", self.n_features_in_)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X) -> np.ndarray:
        """Shape (n, 2): P(classes_[0]) and P(classes_[1])."""
        self._check_fitted("predict_proba")
        p = sigmoid(self.decision_function(X))
        return np.stack([1.0 - p, p], axis=1)

    def predict(self, X) -> np.ndarray:
        """The label of ``classes_`` of each row (``classes_[1]`` where the score is > 0)."""
        self._check_fitted("predict")
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(np.intp)]

    # ------------------------------------------------------------------ encrypted records
    def predict_proba_encrypted(self, X, encrypt_weights: bool = False, poly_degree: int = 8192,
                                output: str = "score_flooded", bits_of_precision: float = 10.0) -> np.ndarray:
        """P(y = 1) for records that are encrypted, scored homomorphically (with the
        plaintext model, or with the model encrypted too) and decrypted by the key
        holder. Returns shape (n,).

        ``output`` is "score_flooded" (default: scores with noise of std
        2^-bits_of_precision times the score's public bound, a power of two, added by the
        server before the key holder decrypts) or
        "score" (raw scores: they reveal the model to the key holder after d + 1
        records); see ``pyppml.ml.inference``."""
        self._check_fitted("predict_proba_encrypted")
        X = check_X(X, "EncryptedLogisticRegression.predict_proba_encrypted", self.n_features_in_)
        return serve_encrypted(X, self.coef_[0], self.intercept_[0], encrypt_weights=encrypt_weights,
                               poly_degree=poly_degree, output=output, bits_of_precision=bits_of_precision)

    # ------------------------------------------------------------------ persistence
    def to_bytes(self) -> bytes:
        """The fitted model alone: constructor parameters and ``RELEASED_ATTRIBUTES``
        (coefficients, intercept, classes, plan, release facts), in the versioned,
        SHA-256-checked format of ``pyppml.ml.container``. Holds no key, no data owner
        and no training row: what ``fit`` published, and nothing more.

        Raises
        ------
        ValueError
            the model is not fitted.
        """
        from pyppml.ml.model_io import model_to_bytes

        self._check_fitted("to_bytes")
        return model_to_bytes(self, RELEASED_ATTRIBUTES)

    @classmethod
    def from_bytes(cls, data) -> EncryptedLogisticRegression:
        """The model ``to_bytes`` wrote; predicts exactly as the original.

        Raises
        ------
        pyppml.FormatError (a ValueError)
            bytes of another kind or version, truncated or altered (checksum), or with
            a field of the wrong name, type, shape or a non-finite value.
        """
        from pyppml.ml.model_io import model_from_bytes

        return model_from_bytes(cls, data)

    def save(self, path) -> None:
        """Write ``to_bytes()`` to ``path`` (atomically: a reader never sees half a file).

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(80, 3)); y = (X[:, 0] - X[:, 1] > 0).astype(int)
        >>> clf = EncryptedLogisticRegression(iterations=1, poly_degree=16384, progress=False).fit(X, y)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.ppml")
        >>> clf.save(path)
        >>> loaded = EncryptedLogisticRegression.load(path)
        >>> bool(np.array_equal(loaded.predict_proba(X), clf.predict_proba(X)))
        True
        """
        from pyppml.ml.container import write_file

        write_file(path, self.to_bytes())

    @classmethod
    def load(cls, path) -> EncryptedLogisticRegression:
        """The model saved at ``path`` (see ``from_bytes`` for what is refused)."""
        from pyppml.ml.container import read_file

        return cls.from_bytes(read_file(path))

    def plot_training_curve(self, X, y, path: str):
        """Write the training loss and AUC after each iteration (needs
        ``record_history=True`` and matplotlib)."""
        from pyppml.ml.plot import plot_training_curve

        self._check_fitted("plot_training_curve")
        if not self.history_:
            raise ValueError("plot_training_curve: the history is empty; expected record_history=True at fit, got False")
        return plot_training_curve(self.history_, X, y, path)
