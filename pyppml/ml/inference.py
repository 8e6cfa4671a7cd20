"""Logistic-regression inference on encrypted records, batched feature-major: slot i of
ciphertext j holds feature j of record i, so a score needs no rotation: one integer
(plaintext model) or ciphertext (encrypted model) product per feature, one rescaling per
batch of n/2 records. The key holder decrypts the scores and applies the exact logistic
function; ``probability=True`` evaluates a polynomial sigmoid under encryption instead."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pyppml import ckks
from pyppml.ml.sigmoid import SigmoidApproximation, sigmoid
from pyppml.ml.validation import check_X


def inference_context(poly_degree: int = 8192, approximation: SigmoidApproximation | None = None,
                      encrypted_model: bool = True) -> ckks.Context:
    """Keys for scoring (one level; more for an encrypted polynomial sigmoid)."""
    levels = 1 + (0 if approximation is None else approximation.depth + 1)
    q = [50] + [35] * levels
    ctx = ckks.Context(poly_degree=poly_degree, coeff_mod_bits=q, special_mod_bits=[50], scale_bits=35, security=128)
    ctx.keygen(rotations=[], conjugate=False, relin=encrypted_model or approximation is not None)
    return ctx


@dataclass
class EncryptedRecords:
    """Records encrypted feature-major: ``batches[b][j]`` holds feature j of records
    b * slots .. (b + 1) * slots - 1."""

    n_records: int
    n_features: int
    batches: list

    @property
    def size_bytes(self) -> int:
        return sum(len(ct.to_bytes()) for batch in self.batches for ct in batch)


@dataclass
class EncryptedLinearModel:
    """Each weight (and the intercept) encrypted and replicated over all slots."""

    weights: list
    intercept: object


def encrypt_records(X, context: ckks.Context) -> EncryptedRecords:
    X = check_X(X, "encrypt_records")
    slots = context.slots
    batches = []
    for start in range(0, len(X), slots):
        part = X[start:start + slots]
        batches.append([context.encrypt(part[:, j]) for j in range(X.shape[1])])
    return EncryptedRecords(len(X), X.shape[1], batches)


def encrypt_model(coef, intercept: float, context: ckks.Context) -> EncryptedLinearModel:
    coef = np.asarray(coef, dtype=np.float64).ravel()
    if not np.all(np.isfinite(coef)) or not np.isfinite(intercept):
        raise ValueError("encrypt_model: coef or intercept is not finite; expected finite numbers, got NaN or infinity")
    ones = np.ones(context.slots)
    return EncryptedLinearModel([context.encrypt(w * ones) for w in coef], context.encrypt(float(intercept) * ones))


def _score_plain(batch, coef: np.ndarray, intercept: float):
    """sum_j round(w_j q) x_j / q + b: integer products, one rescaling."""
    ct0 = batch[0]
    ctx = ct0.context
    q = float(ctx.coeff_moduli[ct0.level])
    acc = None
    for ct, w in zip(batch, coef):
        prod = ctx._native.multiply_integer(ct._native, int(round(float(w) * q)))
        acc = prod if acc is None else ctx._native.add(acc, prod)
    out = ct0._wrap(acc).with_scale(ct0.scale * q).rescale().with_scale(ct0.scale)
    return out + float(intercept)


def _score_encrypted(batch, model: EncryptedLinearModel):
    """sum_j x_j * w_j with one relinearization and one rescaling (lazy)."""
    ctx = batch[0].context
    acc = None
    for ct, w in zip(batch, model.weights):
        prod = ctx._native.multiply(ct._native, w._native)
        acc = prod if acc is None else ctx._native.add(acc, prod)
    out = batch[0]._wrap(acc).relinearize().rescale()
    return out + model.intercept


def score_encrypted(records: EncryptedRecords, model, approximation: SigmoidApproximation | None = None) -> list:
    """Encrypted scores (or polynomial probabilities) of each batch.

    ``model``: (coef, intercept) in plaintext, or an EncryptedLinearModel.
    """
    out = []
    for batch in records.batches:
        if isinstance(model, EncryptedLinearModel):
            if len(model.weights) != records.n_features:
                raise ValueError(f"score_encrypted: model has the wrong number of weights; expected {records.n_features}, got {len(model.weights)}")
            s = _score_encrypted(batch, model)
        else:
            coef, intercept = model
            coef = np.asarray(coef, dtype=np.float64).ravel()
            if len(coef) != records.n_features:
                raise ValueError(f"score_encrypted: model has the wrong number of weights; expected {records.n_features}, got {len(coef)}")
            s = _score_plain(batch, coef, intercept)
        if approximation is not None:
            s = ckks.evaluate_polynomial(s, approximation.coeffs, basis="power")
        out.append(s)
    return out


def decrypt_scores(context: ckks.Context, cts: list, n_records: int) -> np.ndarray:
    return np.concatenate([context.decrypt(ct) for ct in cts])[:n_records]


def predict_proba_encrypted(records: EncryptedRecords, model, context: ckks.Context) -> np.ndarray:
    """Key holder's view: decrypt the scores and apply the exact logistic function."""
    return sigmoid(decrypt_scores(context, score_encrypted(records, model), records.n_records))
