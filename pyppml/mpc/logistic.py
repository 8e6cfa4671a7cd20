"""Two-party logistic regression training on secret-shared data (SecureML-style).

The rows of the training set are split between the two parties (horizontal partition;
either side may hold none). Each party secret-shares its rows; training runs mini-batch
gradient descent on the shares, with a Beaver matrix product for X_B w and X_B^T g, the
piecewise-linear sigmoid clip(u / 4 + 1/2, 0, 1) from two secure ReLUs, and local
truncation. Only the final weights are opened.

Following SecureML [MZ17, section 4.2], the data matrix X is masked once by a dealer
matrix A (D = X - A is opened once, at setup); each batch then needs fresh vectors only,
C = A_B @ B and C' = A_B^T @ B', so the online traffic per batch is O(batch + features)
words instead of O(batch x features). Rounds per batch: 1 (X_B w) + 5 (sigmoid) + 1 (X_B^T g).

>>> # party i in {0, 1}; dealer id 2 runs pyppml.mpc.run_dealer
>>> # model = SecureLogisticRegression(SecureRuntime(party, DealerTripleSource(party)))
>>> # model.fit(X_mine, y_mine).weights()    # both parties get the weights
"""

from __future__ import annotations

import time

import numpy as np

from pyppml.mpc.protocols import SecureRuntime
from pyppml.mpc.transport import FrameError, MsgType
from pyppml.mpc.triples import Kind, _row

_X_KEY = 1


def relu_rows(n: int) -> list[tuple[int, ...]]:
    """Triple requests one SecureRuntime.relu of n elements consumes, in order."""
    return SecureRuntime.comparison_rows(n)


def batches(n: int, batch_size: int) -> list[tuple[int, int]]:
    return [(s, min(n, s + batch_size)) for s in range(0, n, batch_size)]


def hard_sigmoid(u: np.ndarray) -> np.ndarray:
    return np.clip(u / 4.0 + 0.5, 0.0, 1.0)


def train_plaintext(X: np.ndarray, y: np.ndarray, epochs: int, batch_size: int, learning_rate: float,
                    fit_intercept: bool = True, sigmoid=None) -> np.ndarray:
    """The same mini-batch gradient descent in float64 NumPy (the reference and the
    plaintext baseline of the benchmark). Exact logistic sigmoid unless ``sigmoid``."""
    sig = sigmoid or (lambda u: 1.0 / (1.0 + np.exp(-u)))
    if fit_intercept:
        X = np.hstack([X, np.ones((X.shape[0], 1))])
    w = np.zeros(X.shape[1])
    for _ in range(epochs):
        for s, e in batches(X.shape[0], batch_size):
            xb = X[s:e]
            w -= (learning_rate / (e - s)) * (xb.T @ (sig(xb @ w) - y[s:e]))
    return w


def predict(w: np.ndarray, X: np.ndarray, fit_intercept: bool = True) -> np.ndarray:
    """Class labels 0/1 of a linear model with weights ``w`` (intercept last)."""
    z = X @ w[:-1] + w[-1] if fit_intercept else X @ w
    return (z > 0).astype(np.int64)


class SecureLogisticRegression:
    """Logistic regression trained by two parties on their pooled, never revealed rows.

    Parameters
    ----------
    runtime : SecureRuntime
        This party's runtime (party 0 or 1).
    epochs, batch_size, learning_rate : int, int, float
        Training schedule (public, the same at both parties).
    fit_intercept : bool
        Append a constant feature (done locally by each data owner).

    Attributes
    ----------
    epoch_online_seconds, epoch_offline_seconds, epoch_offline_bytes : list
        Set by ``fit``, one entry per epoch (bytes: received from the dealer).
    setup_seconds : float
        Input sharing and the one-time opening of X - A.
    rounds : int
        Communication rounds with the peer.

    Example
    -------
    >>> # in party i's process: SecureLogisticRegression(rt, epochs=5).fit(X_i, y_i).weights()
    """

    def __init__(self, runtime: SecureRuntime, epochs: int = 10, batch_size: int = 128, learning_rate: float = 1.0,
                 fit_intercept: bool = True):
        self.rt = runtime
        self.epochs = int(epochs)
        self.batch_size = int(batch_size)
        self.learning_rate = float(learning_rate)
        self.fit_intercept = fit_intercept
        self.w_share: np.ndarray | None = None
        self.epoch_online_seconds: list[float] = []
        self.epoch_offline_seconds: list[float] = []
        self.epoch_offline_bytes: list[int] = []
        self.setup_seconds = 0.0
        self.setup_offline_seconds = 0.0

    def _share_rows(self, X: np.ndarray, y: np.ndarray):
        """Both parties' rows as shares, party 0's rows first."""
        rt = self.rt
        parts_x, parts_y = [], []
        for owner in (0, 1):
            if rt.i == owner:
                rt.peer.send(MsgType.CONTROL, np.array(X.shape, dtype=np.int64))
                xs = rt.share_input(X, owner=owner)
                ys = rt.share_input(y, owner=owner)
            else:
                shape = rt.peer.recv(MsgType.CONTROL)
                if shape.dtype != np.int64 or shape.shape != (2,) or shape[1] != X.shape[1] or shape[0] < 0:
                    raise FrameError(f"SecureLogisticRegression.fit: peer data shape does not match; expected "
                                     f"(rows, {X.shape[1]}), got {shape.tolist()}")
                rows = int(shape[0])
                xs = rt.share_input(owner=owner, shape=(rows, X.shape[1]))
                ys = rt.share_input(owner=owner, shape=(rows,))
            parts_x.append(xs)
            parts_y.append(ys)
        return np.ascontiguousarray(np.vstack(parts_x)), np.concatenate(parts_y)

    def _epoch_rows(self, n: int) -> list[tuple[int, ...]]:
        rows = []
        for s, e in batches(n, self.batch_size):
            rows.append(_row(Kind.FIXED_LEFT_MM, _X_KEY, s, e, 1))
            rows += relu_rows(2 * (e - s))
            rows.append(_row(Kind.FIXED_LEFT_TN, _X_KEY, s, e, 1))
        return rows

    def fit(self, X, y) -> "SecureLogisticRegression":
        """Train on this party's rows ``X`` (rows x features, may have 0 rows) and labels
        ``y`` in {0, 1} together with the peer's rows."""
        rt = self.rt
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).ravel()
        if X.ndim != 2 or X.shape[0] != y.shape[0]:
            raise ValueError(f"SecureLogisticRegression.fit: X and y do not match; expected X (rows, features) and "
                             f"y (rows,), got {X.shape} and {y.shape}")
        if self.fit_intercept:
            X = np.hstack([X, np.ones((X.shape[0], 1))])
        src, i, f = rt.source, rt.i, rt.f
        rt.agree("SecureLogisticRegression.fit", epochs=self.epochs, batch_size=self.batch_size,
                 learning_rate=self.learning_rate, fit_intercept=bool(self.fit_intercept), features=X.shape[1])

        t0 = time.perf_counter()
        Xs, ys = self._share_rows(X, y)
        n, d = Xs.shape
        steps = {e - s: self._step(e - s) for s, e in batches(n, self.batch_size)}  # refused before any triple
        off0 = src.offline_seconds
        src.preprocess([_row(Kind.FIXED_LEFT, _X_KEY, n, d)])
        A = src.fixed_left(_X_KEY, n, d)
        D = rt.open(Xs - A)  # X - A, public from now on (A is a one-time pad over X)
        self.setup_offline_seconds = src.offline_seconds - off0
        self.setup_seconds = time.perf_counter() - t0 - self.setup_offline_seconds

        w = np.zeros((d, 1), dtype=np.uint64)
        from pyppml import _core

        k = _core.mpc
        for _ in range(self.epochs):
            off0, bytes0 = src.offline_seconds, src.offline_bytes
            src.preprocess(self._epoch_rows(n))
            self.epoch_offline_seconds.append(src.offline_seconds - off0)
            self.epoch_offline_bytes.append(src.offline_bytes - bytes0)
            rt.barrier()  # both parties hold the epoch's material: the online phase starts here
            t0 = time.perf_counter()
            for s, e in batches(n, self.batch_size):
                step, step_bits = steps[e - s]
                Db, Ab = D[s:e], A[s:e]
                B, C = src.fixed_left_mm(_X_KEY, s, e, 1)
                E = rt.open(w - B)
                u = k.beaver_matmul_finish(i, Db, E, Ab, B, C)  # X_B w, scale 2f
                sig = rt.sigmoid(rt.truncate(u, f + 2).ravel(), prescaled=True)
                g = rt.truncate((sig - ys[s:e]) * step, step_bits).reshape(-1, 1)  # (lr / b)(sigma - y), scale f
                B2, C2 = src.fixed_left_tn(_X_KEY, s, e, 1)
                E2 = rt.open(g - B2)
                grad = k.beaver_matmul_tn_finish(i, Db, E2, Ab, B2, C2)  # scale 2f
                w = w - rt.truncate(grad)
            self.epoch_online_seconds.append(time.perf_counter() - t0)
        self.w_share = w
        return self

    def _step(self, batch: int) -> tuple[np.uint64, int]:
        """lr / batch as a public fixed-point integer at 2f fractional bits (the product
        with sigma - y, |.| <= 1 at scale f, is truncated by 2f back to scale f: no more
        headroom used than before). The gradient terms (lr / b)(sigma - y) are then held
        at scale f, so a step below 50 units of 2^-f (the terms quantized coarser than
        2%) is refused: at 16 bits, lr = 1e-3 over 256 rows encoded its step to 0 and
        trained nothing, silently, and lr = 1e-2 came out 17% high (review 2026-12-08)."""
        f = self.rt.f
        if not (np.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"SecureLogisticRegression.fit: learning_rate is out of range; expected a finite value "
                             f"> 0, got {self.learning_rate!r}")
        step = self.learning_rate / batch
        # (sigma - y) step stays below 2^61 in the ring: up to 2f bits for the step, at least f.
        bits = 2 * f
        while bits > f and step * 2.0 ** (f + bits) >= 2.0**61:
            bits -= 1
        if step * 2.0**f < 50 or step * 2.0 ** (f + bits) >= 2.0**61:
            raise ValueError(f"SecureLogisticRegression.fit: learning_rate is out of range for the fixed-point "
                             f"encoding; expected 50 * 2^-{f} <= learning_rate / batch < 2^{61 - 2 * f} (raise "
                             f"frac_bits or learning_rate, or change the batch size), got {self.learning_rate:g} / "
                             f"{batch}")
        return np.uint64(round(step * 2.0**bits)), bits

    def weights(self) -> np.ndarray:
        """Open the trained weights to both parties (intercept last when fitted)."""
        return self.rt.decode(self.rt.open(self.w_share)).ravel()
