"""Logistic-regression inference on encrypted records, batched feature-major: slot i of
ciphertext j holds feature j of record i, so a score needs no rotation: one integer
(plaintext model) or ciphertext (encrypted model) product per feature, one rescaling per
batch of n/2 records.

Roles: the client holds the secret key and encrypts its records; the server scores them
with its model and returns ciphertexts; the client decrypts. What the client then learns
about the server's model is set by ``output`` (computed by the server, before the client
decrypts):

- ``"label"`` (default): each score is multiplied by a fresh random factor
  r = 2^-u, u uniform in [0, 12) (CSPRNG), one per slot, and only its real part is kept
  (s + conj(s), a conjugation key switch: records hidden in the imaginary parts of the
  client's encryptions gave Im / Re = w . x' / score, in which r cancels, so one batch
  per feature gave the whole model), before it leaves the server. The
  client learns sign(score), hence the label, and |score| only up to that factor. Scores
  with |score| below about 2^-14 may come back with either sign. What remains:
  a client that repeats one record in k slots learns |score| to a relative
  12 ln(2) / k from the largest copy, and labels alone still allow model extraction by
  line search (Lowd-Meek 2005; Tramer et al. 2016: about d log2(1/eps) queries for
  precision eps). Label-only output raises the cost of extraction; it does not prevent it.
- ``"score_flooded"``: the server adds to each score an exact discrete Gaussian of std
  2^-bits_of_precision * A, A the public bound on |score| (sum_j |w_j| bound_j + |b|,
  from the records' declared bounds) rounded up to a power of two, at least 1
  (``pyppml.dp``, CSPRNG; on the imaginary part too, which would otherwise carry the
  model times the client's own encryption errors), far above the CKKS error, and the
  client rounds to its grid. One query reveals the score to about bits_of_precision bits
  of its bound, and each weight to about bits_of_precision bits of its own size,
  however the records are chosen within their bounds (A >= |w_j| bound_j); the mean of
  k queries of one record narrows the noise by sqrt(k), so d + 1 records repeated k
  times give the model to about that precision times 1 / sqrt(k). A is computed from
  each |w_j| and |b| rounded up to a power of two (as an encrypted model declares
  them): those powers of two are what a client learns from the noise's spread or a
  range refusal. With a polynomial sigmoid, A bounds the polynomial's output.
- ``"score"``: the raw score w . x + b to the CKKS precision (about 2^-20): d + 1 crafted
  records give the model to that precision. Only for a client that may see the model.

"label" and "score_flooded" outputs are re-randomized with a fresh public-key encryption
of zero, so the ciphertext itself (not only its decryption) carries nothing of the model
beyond the flooded or blinded value. These guarantees assume a client that sends honest
encryptions of records within their declared bounds, under a well-formed public key
(a crafted key voids the re-randomization: ``trusted_public_keys``,
:mod:`pyppml.ml.key_trust`). A client that crafts its
ciphertexts (scaled encryptions of zero, bounds it lies about, huge hidden errors) turns
the linear score into a probe of the weights and can extract the model; stopping that
needs proofs that the inputs are well formed, which pyppml does not implement
(docs/threat-model.md, section 3).

Range: a result can only be decrypted while |value| * scale < Q_level / 2. Records carry a
public per-feature bound on |x| (by default max |x_j| rounded up to a power of two, which
the server learns), the model its own, and ``score_encrypted`` refuses when the bound on
the score does not fit the chain with one bit of margin; ``inference_context(score_bound=...)``
sizes the last prime for larger scores.

The key holder applies the exact logistic function to decrypted scores;
``approximation=...`` evaluates a polynomial sigmoid under encryption instead."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pyppml import ckks
from pyppml._core import ParameterError
from pyppml._ring_choice import check_poly_degree
from pyppml.ml.key_trust import check_trusted_key
from pyppml.ml.keys import require_secret
from pyppml.ml.records import EncryptedRecords, EncryptedScores
from pyppml.ml.sigmoid import SigmoidApproximation, sigmoid
from pyppml.ml.validation import check_X

OUTPUTS = ("label", "score_flooded", "score")
SCALE_BITS = 35
LABEL_BLIND_BITS = 12   # blinding factors r in (2^-12, 1]
LABEL_IMAG_FLOOD_BITS = 10  # std of the labels' imaginary flood: far above r sum_j w_j e_j
_FLOOD_GRID_BITS = 8    # the flooding noise lives on a grid 2^8 times finer than its std


def _check_output(output: str, bits_of_precision: float, api: str) -> None:
    if output not in OUTPUTS:
        raise ValueError(f"{api}: output is unknown; expected one of {OUTPUTS}, got {output!r}")
    if output == "score_flooded" and not (isinstance(bits_of_precision, (int, float)) and 1 <= bits_of_precision <= 20):
        # Above 2^-20 the flooding would no longer dominate the CKKS error at scale 2^35.
        raise ValueError(f"{api}: bits_of_precision is out of range; expected 1 <= bits_of_precision <= 20, got {bits_of_precision!r}")


def inference_context(poly_degree: int = 8192, approximation: SigmoidApproximation | None = None,
                      encrypted_model: bool = True, output: str = "label", score_bound: float = 2.0 ** 13) -> ckks.Context:
    """Keys for scoring: one level, one more for ``output="label"`` (the blinding
    product), and depth + 1 more for an encrypted polynomial sigmoid.

    Parameters
    ----------
    score_bound : float
        Largest |score| the chain must hold: the last prime gets
        SCALE_BITS + ceil(log2(score_bound)) + 2 bits (sign and one bit of margin), at
        most 60, so score_bound <= 2^23.

    Raises
    ------
    ValueError
        unknown output, or score_bound not in (0, 2^23].
    """
    _check_output(output, 10, "inference_context")
    check_poly_degree(poly_degree, "inference_context")
    if not (isinstance(score_bound, (int, float)) and 0 < score_bound <= 2.0 ** 23):
        raise ValueError(f"inference_context: score_bound is out of range; expected 0 < score_bound <= 2^23, got {score_bound!r}")
    first = SCALE_BITS + max(0, math.ceil(math.log2(score_bound))) + 2
    levels = 1 + (0 if approximation is None else approximation.depth + 1) + (1 if output == "label" else 0)
    q = [first] + [SCALE_BITS] * levels
    ctx = ckks.Context(poly_degree=poly_degree, coeff_mod_bits=q, special_mod_bits=[max(50, first)],
                       scale_bits=SCALE_BITS, security=128)
    # "label" keeps the real part of each blinded score: a conjugation key.
    ctx.keygen(rotations=[], conjugate=output == "label", relin=encrypted_model or approximation is not None)
    return ctx


def _pow2_ceil(values: np.ndarray) -> np.ndarray:
    """Each value rounded up to a power of two (0 stays 0): the public form of a bound."""
    values = np.asarray(values, dtype=np.float64)
    out = np.zeros_like(values)
    pos = values > 0
    out[pos] = 2.0 ** np.ceil(np.log2(values[pos]))
    return out


@dataclass
class EncryptedLinearModel:
    """Each weight (and the intercept) encrypted and replicated over all slots, with
    public bounds on |w_j| and |b| (powers of two) for the range check."""

    weights: list
    intercept: object
    weight_bounds: np.ndarray
    intercept_bound: float


def encrypt_records(X, context: ckks.Context, bound=None) -> EncryptedRecords:
    """Encrypt records feature-major.

    Parameters
    ----------
    bound : None, float or array of shape (n_features,)
        Public bound on |x_j|. None: max |x_j| over these records rounded up to a power
        of two (which the server then learns).

    Raises
    ------
    ValueError
        X not a finite 2-D array, bound of the wrong shape or not finite and >= 0, or a
        record outside the bound (the message names the column, not the value).
    """
    X = check_X(X, "encrypt_records")
    if bound is None:
        bounds = _pow2_ceil(np.abs(X).max(axis=0))
    else:
        bounds = np.broadcast_to(np.asarray(bound, dtype=np.float64), (X.shape[1],)).copy() \
            if np.ndim(bound) == 0 else np.asarray(bound, dtype=np.float64)
        if bounds.shape != (X.shape[1],) or not np.all(np.isfinite(bounds)) or np.any(bounds < 0):
            raise ValueError(f"encrypt_records: bound is invalid; expected a finite number >= 0 or {X.shape[1]} of them, "
                             f"got shape {bounds.shape}")
        over = np.flatnonzero(np.any(np.abs(X) > bounds, axis=0))
        if len(over):
            raise ValueError(f"encrypt_records: X exceeds bound; expected |X[:, j]| <= bound[j], got larger values in column {int(over[0])}")
    slots = context.slots
    batches = []
    for start in range(0, len(X), slots):
        part = X[start:start + slots]
        batches.append([context.encrypt(part[:, j]) for j in range(X.shape[1])])
    return EncryptedRecords(len(X), X.shape[1], batches, bounds)


def encrypt_model(coef, intercept: float, context: ckks.Context) -> EncryptedLinearModel:
    coef = np.asarray(coef, dtype=np.float64).ravel()
    if not np.all(np.isfinite(coef)) or not np.isfinite(intercept):
        raise ValueError("encrypt_model: coef or intercept is not finite; expected finite numbers, got NaN or infinity")
    ones = np.ones(context.slots)
    return EncryptedLinearModel([context.encrypt(w * ones) for w in coef], context.encrypt(float(intercept) * ones),
                                _pow2_ceil(np.abs(coef)), float(_pow2_ceil(np.array([abs(float(intercept))]))[0]))


def _score_plain(batch, coef: np.ndarray, intercept: float):
    """sum_j round(w_j q) x_j / q + b: integer products, one rescaling."""
    ct0 = batch[0]
    ctx = ct0.context
    q = float(ctx.coeff_moduli[ct0.level])
    acc = None
    for ct, w in zip(batch, coef):
        prod = ctx._native.multiply_integer(ct._native, round(float(w) * q))
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
    out = batch[0]._wrap(acc).relinearize_rescale()
    return out + model.intercept


def _headroom(ct) -> float:
    """Largest |value| that ``ct`` decrypts correctly, with one bit of margin for noise."""
    moduli = ct.context.coeff_moduli[:ct.level + 1]
    return math.exp(sum(math.log(float(q)) for q in moduli)) / (4.0 * ct.scale)


def _check_records(records) -> None:
    """Fresh encryptions of the records' context, as ``encrypt_records`` makes them: a
    record at a smaller scale would widen the range check's headroom, and with it the
    bounds a client may declare (records at scale 2^20 in a 2^35 context passed with
    B = 2^27)."""
    for batch in records.batches:
        for ct in batch:
            ctx = ct.context
            level = ctx._level(None)  # where encrypt() puts a fresh ciphertext (below the top when bootstrappable)
            if ct.size != 2 or ct.level != level or abs(ct.scale - ctx.level_scale(level)) > 2.0 ** -32 * ctx.level_scale(level):
                raise ValueError(f"score_encrypted: records are not fresh encryptions; expected size 2 at level "
                                 f"{level} and scale 2^{math.log2(ctx.level_scale(level)):.1f}, got size {ct.size} at "
                                 f"level {ct.level} and scale 2^{math.log2(ct.scale):.1f}")


def _check_range(ct, bound: float, what: str) -> None:
    room = _headroom(ct)
    if bound > room:
        raise ValueError(f"score_encrypted: {what} can exceed the chain's range; expected a bound <= {room:.4g} "
                         f"(inference_context(score_bound=...) sizes it), got a bound of {bound:.4g}")


def _uniform(size: int) -> np.ndarray:
    """Uniform floats in [0, 1) from the project's CSPRNG (53 random bits each)."""
    from pyppml._core import Prng

    return (Prng().uint64(size) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def _blind_real(s):
    """r Re(s) slot-wise, r = 2^-u with u uniform in [0, LABEL_BLIND_BITS): keeps the sign,
    hides the magnitude behind the factor. s r / 2 (one level), plus its conjugate: only
    the real part leaves, whatever the client put in the imaginary parts of its records."""
    ctx = s.context
    if s.level < 1:
        raise ValueError("score_encrypted: context has too few levels for output='label'; expected a context from "
                         "inference_context(output='label'), got none left after scoring")
    r = 2.0 ** (-LABEL_BLIND_BITS * _uniform(ctx.slots))
    pt = ctx.encode(r / 2, scale=float(ctx.coeff_moduli[s.level]), level=s.level)
    half = s.multiply_plain(pt).rescale().with_scale(s.scale)
    return half + half.conjugate()


def _flood(s, bits_of_precision: float, real: bool = True):
    """s + exact discrete Gaussian of std 2^-bits_of_precision on the imaginary part of
    every slot and, with ``real``, on the real part. The imaginary parts are always
    flooded: they carry sum_j w_j e_j, the client's own known encryption errors weighted
    by the model (times the blinding factor for labels, which the real part gives
    away), under nothing but fresh RLWE noise."""
    from pyppml import dp

    ctx = s.context
    k = dp.discrete_gaussian(2 ** _FLOOD_GRID_BITS, 2 * ctx.slots).astype(np.float64)
    noise = ((k[:ctx.slots] if real else 0.0) + 1j * k[ctx.slots:]) * 2.0 ** -(bits_of_precision + _FLOOD_GRID_BITS)
    return s.add_plain(ctx.encode(noise, scale=s.scale, level=s.level))


def _rerandomize(s):
    """s + a fresh public-key encryption of 0: without it the output's second component is
    a fixed linear function of the model and of the client's own ciphertexts (flooding and
    the intercept only touch the first), which hands a key-holding client the weights by
    linear algebra. After it, that component is masked by a u + e1 (RLWE)."""
    ctx = s.context
    if ctx.public_key is None:
        raise ValueError("score_encrypted: context has no public key; expected the client's public context "
                         "(needed to re-randomize 'label' and 'score_flooded' outputs), got none")
    zero = ctx.encrypt(np.zeros(ctx.slots), level=s.level, scale=s.scale, symmetric=False)
    return s + zero


def score_encrypted(records: EncryptedRecords, model, approximation: SigmoidApproximation | None = None,
                    output: str = "label", bits_of_precision: float = 10.0, *,
                    trusted_public_keys=None) -> EncryptedScores:
    """Server side: encrypted outputs of each batch, as ``output`` says (see the module
    docstring for what each reveals to the key holder). Returns ``EncryptedScores`` (a
    list of one ciphertext per batch, with ``to_bytes``).

    Parameters
    ----------
    model : (coef, intercept) in plaintext, or an EncryptedLinearModel.
    approximation : SigmoidApproximation, optional
        Evaluate this polynomial sigmoid on the scores under encryption (outputs
        "score" and "score_flooded" only; the flooding is added to the probability).
    output : {"label", "score_flooded", "score"}
    bits_of_precision : float
        For "score_flooded": the noise std is 2^-bits_of_precision times the score's
        public bound rounded up to a power of two (at least 1), 1..20.
    trusted_public_keys : collection of str, optional
        Hex digests (:func:`pyppml.ml.key_trust.public_key_digest`) of the client keys
        this server re-randomizes "label" and "score_flooded" outputs under; any other
        key is refused. The re-randomization hides the model only under a well-formed
        key, which the server cannot check: a crafted key gave the whole model from one
        query (:mod:`pyppml.ml.key_trust`). None trusts every key.

    Raises
    ------
    ValueError
        wrong model size, unknown output, approximation with output="label", a context
        without the levels ``output`` needs, or scores whose bound (from the records'
        and the model's public bounds) does not fit the chain.
    """
    _check_output(output, bits_of_precision, "score_encrypted")
    if output != "score":
        check_trusted_key(records.batches[0][0].context, trusted_public_keys, "score_encrypted")
    if approximation is not None and output == "label":
        raise ValueError("score_encrypted: approximation is not used with output='label'; expected output "
                         "'score' or 'score_flooded', got 'label'")
    if isinstance(model, EncryptedLinearModel):
        if len(model.weights) != records.n_features:
            raise ValueError(f"score_encrypted: model has the wrong number of weights; expected {records.n_features}, got {len(model.weights)}")
        score_bound = float(np.dot(model.weight_bounds, records.bounds) + model.intercept_bound)
    else:
        coef, intercept = model
        coef = np.asarray(coef, dtype=np.float64).ravel()
        if not (np.all(np.isfinite(coef)) and np.isfinite(float(intercept))):
            raise ValueError("score_encrypted: model has a non-finite weight; expected finite coef and intercept, "
                             "got NaN or infinity")
        if len(coef) != records.n_features:
            raise ValueError(f"score_encrypted: model has the wrong number of weights; expected {records.n_features}, got {len(coef)}")
        # The weights' powers of two, as an encrypted model declares them: whatever the
        # client can observe (the noise's spread, a range refusal) depends on these only.
        # (From the exact weights, a search over the client's bounds for the step where the
        # noise doubled gave every weight to 2^-52.)
        score_bound = float(np.dot(_pow2_ceil(np.abs(coef)), records.bounds) + _pow2_ceil(np.array([abs(float(intercept))]))[0])
    _check_records(records)
    output_bound = score_bound if approximation is None else \
        float(np.sum(np.abs(approximation.coeffs) * score_bound ** np.arange(len(approximation.coeffs))))
    # Precision relative to the output's public bound A (a power of two): a fixed width let
    # honest records B e_j give w_j to 2^-bits / B (B = 2^12: the model to 2^-20.6, as raw
    # scores give it). With std 2^-bits A, A >= |w_j| B_j, each weight stays hidden to
    # about bits bits of its own size however the records are chosen within their bounds;
    # after a polynomial sigmoid, A bounds the polynomial's output, whose steep ends would
    # otherwise give the score back 6-7 bits finer.
    flood_bits = bits_of_precision - math.ceil(math.log2(max(1.0, output_bound)))
    out = []
    for batch in records.batches:
        s = _score_encrypted(batch, model) if isinstance(model, EncryptedLinearModel) else _score_plain(batch, coef, intercept)
        _check_range(s, score_bound, "the score")
        bound = score_bound
        if approximation is not None:
            s = ckks.evaluate_polynomial(s, approximation.coeffs, basis="power")
            bound = output_bound
        if output == "label":
            # |r s| <= |s|: the same bound holds, plus the imaginary flood's tail.
            s = _rerandomize(_flood(_blind_real(s), LABEL_IMAG_FLOOD_BITS, real=False))
            bound += 16.0 * 2.0 ** -LABEL_IMAG_FLOOD_BITS
        elif output == "score_flooded":
            s = _rerandomize(_flood(s, flood_bits))
            bound += 23.0 * 2.0 ** -flood_bits   # |complex noise| <= 16 sqrt(2) std: the tail, far beyond 2^-100
        _check_range(s, bound, "the output")
        out.append(s)
    return EncryptedScores(out, records.n_records, output, bits_of_precision)


def decrypt_scores(context: ckks.Context, cts: list, n_records: int | None = None) -> np.ndarray:
    """Key holder: the decrypted values as they are (raw or flooded scores, blinded
    scores for output="label"), shape (n_records,).

    Parameters
    ----------
    context : ckks.Context
        The key holder's, secret key included (``load_secret_context`` after a restart).
    cts : EncryptedScores or list of Ciphertext
    n_records : int, optional
        Default: ``cts.n_records`` (EncryptedScores).

    Raises
    ------
    ValueError (pyppml.ParameterError)
        context without the secret key (the message says how to import it), or no
        ``n_records`` for a plain list.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml.ml import inference_context, encrypt_records, score_encrypted
    >>> ctx = inference_context(8192, encrypted_model=False, output="score")
    >>> scores = score_encrypted(encrypt_records(np.array([[1.0, 2.0]]), ctx), ([0.5, -1.0], 0.25), output="score")
    >>> np.round(decrypt_scores(ctx, scores), 4).tolist()
    [-1.25]
    """
    require_secret(context, "decrypt_scores")
    if n_records is None:
        if not isinstance(cts, EncryptedScores):
            raise ParameterError("decrypt_scores: n_records is missing; expected it for a list of ciphertexts "
                                      "(EncryptedScores carry it), got None")
        n_records = cts.n_records
    return np.concatenate([context.decrypt(ct) for ct in cts])[:n_records]


def decrypt_outputs(context: ckks.Context, cts: list, n_records: int | None = None, output: str | None = None,
                    bits_of_precision: float | None = None) -> np.ndarray:
    """Key holder: labels (int 0/1) for output="label", scores rounded to a grid of
    2^-floor(bits_of_precision) for "score_flooded", raw scores for "score".
    ``n_records``, ``output`` and ``bits_of_precision`` default to those ``cts``
    carries (EncryptedScores), else to n_records required, "label" and 10."""
    if output is None:
        output = cts.output if isinstance(cts, EncryptedScores) else "label"
    if bits_of_precision is None:
        bits_of_precision = cts.bits_of_precision if isinstance(cts, EncryptedScores) else 10.0
    _check_output(output, bits_of_precision, "decrypt_outputs")
    values = decrypt_scores(context, cts, n_records)
    if output == "label":
        return (values > 0).astype(int)
    if output == "score_flooded":
        step = 2.0 ** -math.floor(bits_of_precision)
        return np.round(values / step) * step
    return values


def decrypt_probabilities(context: ckks.Context, scores: EncryptedScores) -> np.ndarray:
    """Key holder: P(y = 1) of each record, the exact logistic function of the decrypted
    scores (outputs "score_flooded" and "score"; labels carry no probability).

    Raises
    ------
    ValueError
        output="label" scores, or a context without the secret key.
    """
    if scores.output == "label":
        raise ParameterError("decrypt_probabilities: scores has output 'label'; expected 'score_flooded' or "
                                  "'score' (labels carry no probability), got 'label'")
    return sigmoid(decrypt_outputs(context, scores))


def predict_proba_encrypted(records: EncryptedRecords, model, context: ckks.Context, output: str = "score_flooded",
                            bits_of_precision: float = 10.0) -> np.ndarray:
    """Key holder's view: the logistic function of the decrypted scores ("score_flooded"
    or "score"; labels carry no probability)."""
    if output == "label":
        raise ValueError("predict_proba_encrypted: output gives no probability; expected 'score_flooded' or 'score', "
                         "got 'label' (use predict_encrypted)")
    return decrypt_probabilities(context, score_encrypted(records, model, output=output, bits_of_precision=bits_of_precision))


def predict_encrypted(records: EncryptedRecords, model, context: ckks.Context) -> np.ndarray:
    """Key holder's view with output="label": the predicted class (0/1) of each record."""
    return decrypt_outputs(context, score_encrypted(records, model, output="label"), records.n_records, "label")


def serve_encrypted(X: np.ndarray, coef, intercept: float, *, encrypt_weights: bool = False,
                    poly_degree: int = 8192, output: str = "score_flooded",
                    bits_of_precision: float = 10.0) -> np.ndarray:
    """The whole scoring round in one call, for a released linear model (encrypted or
    DP-trained): fresh keys, records encrypted, scored with the plaintext (or encrypted)
    weights, decrypted by the key holder. Returns P(y = 1), shape (n,)."""
    ctx = inference_context(poly_degree, encrypted_model=encrypt_weights, output=output)
    records = encrypt_records(X, ctx)
    model = encrypt_model(coef, intercept, ctx) if encrypt_weights else (np.asarray(coef), float(intercept))
    return predict_proba_encrypted(records, model, ctx, output=output, bits_of_precision=bits_of_precision)
