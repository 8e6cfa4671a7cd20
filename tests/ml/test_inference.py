"""Encrypted inference: against plaintext probabilities, the range check, and what
each output reveals to the key holder (model extraction with d + 1 crafted records)."""

import copy
import math

import numpy as np
import pytest

from pyppml.ml import (
    EncryptedLogisticRegression,
    SigmoidApproximation,
    decrypt_outputs,
    encrypt_model,
    encrypt_records,
    inference_context,
    predict_encrypted,
    score_encrypted,
)
from pyppml.ml.inference import (
    LABEL_BLIND_BITS,
    decrypt_scores,
    predict_proba_encrypted,
)
from pyppml.ml.sigmoid import sigmoid

MODEL_KINDS = pytest.mark.parametrize("encrypt_weights", [False, True], ids=["plain_model", "encrypted_model"])


@pytest.fixture(scope="module")
def fitted(data_factory):
    X, y = data_factory(120)
    return EncryptedLogisticRegression(iterations=2, poly_degree=16384, progress=False).fit(X, y), X


@MODEL_KINDS
def test_probabilities_match_plaintext(fitted, encrypt_weights):
    clf, X = fitted
    p = clf.predict_proba_encrypted(X, encrypt_weights=encrypt_weights, output="score")
    np.testing.assert_allclose(p, clf.predict_proba(X)[:, 1], atol=1e-3)


@MODEL_KINDS
def test_flooded_probabilities_stay_close(fitted, encrypt_weights):
    """Default output: noise of std 2^-10 A on each score (A the score's public bound
    sum_j |w_j| bound_j + |b| from the weights' and the records' powers of two, itself
    rounded up to one), then rounding to 2^-10. sigma' <= 1/4, and |noise| < 6 std for all 120 records
    but with probability < 1e-6, so the gap is below (6 * 2^-10 A + 2^-11) / 4."""
    clf, X = fitted
    pow2 = lambda v: 2.0 ** np.ceil(np.log2(np.maximum(v, 2.0 ** -60)))  # noqa: E731
    coef, b = pow2(np.abs(clf.coef_[0])), pow2(abs(clf.intercept_[0]))  # the weights' powers of two
    A = max(1.0, float(pow2(coef @ pow2(np.abs(X).max(axis=0)) + b)))
    p = clf.predict_proba_encrypted(X, encrypt_weights=encrypt_weights)
    np.testing.assert_allclose(p, clf.predict_proba(X)[:, 1], atol=(6 * 2.0 ** -10 * A + 2.0 ** -11) / 4)


def test_batches_span_several_ciphertexts():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 30))
    coef, b = rng.normal(size=30) * 0.3, 0.2
    ctx = inference_context(8192, encrypted_model=False, output="score")
    records = encrypt_records(X, ctx)
    assert len(records.batches) == 2
    np.testing.assert_allclose(predict_proba_encrypted(records, (coef, b), ctx, output="score"), sigmoid(X @ coef + b), atol=1e-3)


def test_polynomial_sigmoid_under_encryption():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 4))
    coef, b = np.array([0.5, -0.3, 0.2, 0.1]), 0.1
    approx = SigmoidApproximation.fit(7, 8.0, "chebyshev")
    ctx = inference_context(16384, approximation=approx, output="score")
    cts = score_encrypted(encrypt_records(X, ctx), (coef, b), approximation=approx, output="score")
    np.testing.assert_allclose(decrypt_scores(ctx, cts, len(X)), approx(X @ coef + b), atol=1e-3)


@MODEL_KINDS
def test_labels_match_plaintext(encrypt_weights):
    """output="label": the sign survives the blinding wherever |score| is well above
    the CKKS error divided by the smallest factor 2^-12 (here every |score| >= 0.01)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 4))
    coef, b = np.array([0.8, -0.5, 0.3, 0.2]), 0.1
    s = X @ coef + b
    X, s = X[np.abs(s) >= 0.01], s[np.abs(s) >= 0.01]
    ctx = inference_context(8192, encrypted_model=encrypt_weights)
    model = encrypt_model(coef, b, ctx) if encrypt_weights else (coef, b)
    np.testing.assert_array_equal(predict_encrypted(encrypt_records(X, ctx), model, ctx), (s > 0).astype(int))


@MODEL_KINDS
def test_scores_beyond_the_chain_are_refused(encrypt_weights):
    """The default chain holds |score| <= 2^13: 17000 wrapped to -15768 before the check."""
    X = np.ones((4096, 1))
    ctx = inference_context(8192, encrypted_model=encrypt_weights, output="score")
    model = encrypt_model([17000.0], 0.0, ctx) if encrypt_weights else (np.array([17000.0]), 0.0)
    with pytest.raises(ValueError, match="range"):
        score_encrypted(encrypt_records(X, ctx), model, output="score")


@pytest.mark.parametrize("output", ["score", "score_flooded", "label"])
def test_score_bound_sizes_the_chain(output):
    X = np.concatenate([np.ones(2048), -np.ones(2048)])[:, None]
    # The range check uses the weight's power of two, 2^15 for 17000 (what a client may learn).
    ctx = inference_context(8192, encrypted_model=False, output=output, score_bound=2.0 ** 16)
    cts = score_encrypted(encrypt_records(X, ctx), (np.array([17000.0]), 0.0), output=output)
    out = decrypt_outputs(ctx, cts, len(X), output)
    if output == "label":
        np.testing.assert_array_equal(out, (X[:, 0] > 0).astype(int))
    elif output == "score":
        np.testing.assert_allclose(out, 17000.0 * X[:, 0], atol=2.0 ** -11)
    else:  # flooding noise of std 2^-10 A, A = 2^15 the score's bound: 7 std is a 1e-11 tail per record
        np.testing.assert_allclose(out, 17000.0 * X[:, 0], atol=7 * 2.0 ** 5 + 2.0 ** -11)


def test_flooded_spread_matches_the_planned_width():
    """4096 copies of one record: the released scores' spread is the planned std 2^-8 A,
    A = 2 the score's public bound (1 * 0.5 + 2 * 0.5 + 0.5 * 0.5 + 0.25) (sample std of
    4096 Gaussians within 6% with probability 1 - 1e-6)."""
    X = np.full((4096, 3), 0.5)
    coef, b = np.array([1.0, -2.0, 0.5]), 0.25
    ctx = inference_context(8192, encrypted_model=False, output="score_flooded")
    values = decrypt_scores(ctx, score_encrypted(encrypt_records(X, ctx), (coef, b), output="score_flooded",
                                                 bits_of_precision=8), len(X))
    err = values - (0.5 * coef.sum() + b)
    assert abs(np.std(err) / 2.0 ** -7 - 1.0) < 0.06
    assert abs(np.mean(err)) < 5 * 2.0 ** -7 / 64


def test_flooding_covers_the_imaginary_parts_too():
    """Review: the flooding was real, so the imaginary part of each slot carried
    sum_j w_j e_j (the client's own encryption errors, which it knows) under fresh RLWE
    noise only: a model channel the documented output does not name. Its spread is now
    the planned std as well, 2^-8 A with A = 2 the score's bound (within 6% at 1 - 1e-6,
    4096 slots; it was ~2^-20)."""
    X = np.full((4096, 3), 0.5)
    ctx = inference_context(8192, encrypted_model=False, output="score_flooded")
    [ct] = score_encrypted(encrypt_records(X, ctx), (np.array([1.0, -2.0, 0.5]), 0.25), output="score_flooded",
                           bits_of_precision=8)
    imag = ctx.decrypt(ct, complex=True).imag[:len(X)]
    assert abs(np.std(imag) / 2.0 ** -7 - 1.0) < 0.06
    # Labels (recheck R3): the blinding factor r cancels in Im / Re, so their imaginary
    # parts are flooded too, at std 2^-LABEL_IMAG_FLOOD_BITS; the real parts keep the sign.
    from pyppml.ml.inference import LABEL_IMAG_FLOOD_BITS

    ctx = inference_context(8192, encrypted_model=False, output="label")
    [ct] = score_encrypted(encrypt_records(X, ctx), (np.array([1.0, -2.0, 0.5]), -0.25), output="label")
    out = ctx.decrypt(ct, complex=True)[:len(X)]
    assert abs(np.std(out.imag) / 2.0 ** -LABEL_IMAG_FLOOD_BITS - 1.0) < 0.06
    assert np.all(out.real < 0)  # score -0.5, blinded by r >= 2^-12: the sign survives


def _extract(output, encrypt_weights, coef, b, ratios=False):
    """The key holder's model-extraction attack: records 0 and e_j give s_0 = b and
    s_j = w_j + b; solve the d + 1 equations by least squares on the decrypted values.
    With ``ratios``: the scale-free attack on blinded outputs, v_j / v_0 against
    (w_j + b) / b (a factor shared by all slots cancels); returns the largest relative
    mismatch."""
    d = len(coef)
    X = np.vstack([np.zeros(d), np.eye(d)])
    ctx = inference_context(8192, encrypted_model=encrypt_weights, output=output)
    model = encrypt_model(coef, b, ctx) if encrypt_weights else (coef, b)
    values = decrypt_scores(ctx, score_encrypted(encrypt_records(X, ctx, bound=1.0), model, output=output), d + 1)
    if ratios:
        return np.abs((values[1:] / values[0]) / ((coef + b) / b) - 1).max()
    A = np.hstack([X, np.ones((d + 1, 1))])
    sol = np.linalg.lstsq(A, values, rcond=None)[0]
    return np.abs(sol - np.append(coef, b)).max()


@MODEL_KINDS
def test_model_extraction_needs_raw_scores(encrypt_weights):
    """Raw scores give the model to CKKS precision (~1e-7); blinded (label) outputs do
    not: each error is at least (1 - r) times a score >= 1.1 (b = 2, |w_j| <= 0.9), and
    all d + 1 factors r = 2^-u, u ~ U[0, 12), within 2% of 1 has probability < 1e-15.
    Flooded scores (std 2^-10): all errors < 1e-5 has probability < 1e-12.

    Labels, scale-free (review, mutation M06: one factor for every slot left the least
    squares error at (1 - r) |model| and passed; the ratios then give (w_j + b) / b, the
    model's direction up to CKKS error): v_j / v_0 = (r_j / r_0)(w_j + b) / b matches to
    5% only if |u_j - u_0| < 0.075, probability < 0.0125 per j given u_0 with independent
    factors, so all d = 5 match with probability < 3e-10. A shared factor matches all to
    the CKKS error over the smallest value (|error| ~1e-6 / 2.7e-4: at most 2.4e-3 in 60
    measured runs)."""
    coef, b = np.array([0.7, -0.4, 0.9, -0.9, 0.3]), 2.0
    assert LABEL_BLIND_BITS == 12
    assert _extract("score", encrypt_weights, coef, b) < 1e-5
    assert _extract("label", encrypt_weights, coef, b) > 0.01
    assert _extract("label", encrypt_weights, coef, b, ratios=True) > 0.05
    assert _extract("score_flooded", encrypt_weights, coef, b) > 1e-5
    # power of the ratio check: raw scores give the direction to CKKS precision
    assert _extract("score", encrypt_weights, coef, b, ratios=True) < 1e-4


def test_label_blinding_factors_are_independent_per_slot():
    """The documented law of a label output: each slot's score times its own factor
    2^-u, u ~ U[0, 12). One record in all 4096 slots (score 2): -log2(v_k / 2) must be
    U(0, 12); Kolmogorov-Smirnov at 1e-6. CKKS error (~2^-20 against v >= 2^-11)
    moves each value by < 2^-8 in u, a CDF shift < 4e-4, far below the KS critical
    distance at 1e-6 (~0.042 for 4096 samples). One factor shared by all slots (mutation
    M06) gives 4096 equal values, D ~ 1, p < 1e-300; the sample std of u is checked too
    (12 / sqrt(12) = 3.46 expected; a 4096-sample std within 5% except with p < 1e-9)."""
    from scipy import stats

    X = np.full((4096, 3), 0.5)
    coef, b = np.array([1.0, -2.0, 0.5]), 2.25  # score 0.5 * (-0.5) + 2.25 = 2
    score = float(X[0] @ coef + b)
    ctx = inference_context(8192, encrypted_model=False)
    values = decrypt_scores(ctx, score_encrypted(encrypt_records(X, ctx), (coef, b)), len(X))
    assert np.all(values > 0)
    u = -np.log2(values / score)
    assert stats.kstest(u, stats.uniform(0, LABEL_BLIND_BITS).cdf).pvalue > 1e-6
    assert abs(np.std(u) / (LABEL_BLIND_BITS / np.sqrt(12)) - 1) < 0.05


def test_labels_keep_only_the_real_part_of_the_blinded_score():
    """Review 2026-12-07: a client that hid its records in the imaginary parts of fresh
    encryptions read Im / Re = (w . x') / b of each label output, the blinding factor
    cancelling: one batch per feature gave w / b to 4e-6. Only r Re(score) leaves the
    server now: the imaginary part is the flood alone and the attack's estimate is 0."""
    from pyppml.ml.records import EncryptedRecords

    rng = np.random.default_rng(3)
    d, bound = 5, 64.0
    w, b = rng.normal(size=d), 0.7
    ctx = inference_context(8192, encrypted_model=False, output="label")
    batches = [[ctx.encrypt(np.full(ctx.slots, 1j * bound if k == j else 0j)) for k in range(d)] for j in range(d)]
    records = EncryptedRecords(ctx.slots * d, d, batches, np.full(d, bound))
    est = []
    for ct in score_encrypted(records, (w, b), output="label"):
        z = ctx.decrypt(ct, complex=True)
        assert np.all(z.real > 0)  # r b, b > 0
        assert np.std(z.imag) < 2 * 2.0 ** -10  # the flood (std 2^-10), not r w_j 64 (~2^-6 .. 2^8)
        est.append(np.median(z.imag / z.real) / bound)
    assert np.all(np.abs(np.array(est) - w / b) > 0.5 * np.abs(w / b)), (est, w / b)


def test_bad_arguments_raise():
    ctx = inference_context(8192)
    records = encrypt_records(np.zeros((3, 4)), ctx)
    with pytest.raises(ValueError):
        score_encrypted(records, (np.zeros(3), 0.0))
    with pytest.raises(ValueError):
        score_encrypted(records, encrypt_model(np.zeros(5), 0.0, ctx))
    with pytest.raises(ValueError):
        encrypt_records(np.full((2, 2), np.nan), ctx)
    with pytest.raises(ValueError, match="output"):
        score_encrypted(records, (np.zeros(4), 0.0), output="logit")
    for coef, intercept in ((np.array([0.0, np.nan, 0.0, 0.0]), 0.0), (np.zeros(4), np.inf)):
        with pytest.raises(ValueError, match="score_encrypted: model has a non-finite weight"):
            score_encrypted(records, (coef, intercept))
    with pytest.raises(ValueError, match="bits_of_precision"):
        score_encrypted(records, (np.zeros(4), 0.0), output="score_flooded", bits_of_precision=40)
    with pytest.raises(ValueError, match="approximation"):
        score_encrypted(records, (np.zeros(4), 0.0), approximation=SigmoidApproximation.fit(3, 8.0))
    with pytest.raises(ValueError, match="bound"):
        encrypt_records(np.full((2, 4), 3.0), ctx, bound=2.0)
    with pytest.raises(ValueError, match="score_bound"):
        inference_context(8192, score_bound=2.0 ** 30)
    with pytest.raises(ValueError, match="levels"):
        one_level = inference_context(8192, output="score")
        score_encrypted(encrypt_records(np.zeros((3, 4)), one_level), (np.zeros(4), 0.0), output="label")
    with pytest.raises(ValueError, match="label"):
        predict_proba_encrypted(records, (np.zeros(4), 0.0), ctx, output="label")


def _second_component(ct):
    return np.array(ct._native.poly(1), dtype=np.uint64)


def _fixed_blinding(monkeypatch):
    """Blinding factors r = 1 (u = 0): the label path then differs from the score path
    only by the imaginary flood and the re-randomization, which the next tests isolate
    (with fresh factors c1 changes anyway, but only by a plaintext product)."""
    from pyppml.ml import inference

    monkeypatch.setattr(inference, "_uniform", lambda size: np.zeros(size))


@pytest.mark.parametrize("output", ["score_flooded", "label"])
def test_flooded_outputs_are_rerandomized(monkeypatch, output):
    """Two scorings of the same ciphertexts: without re-randomization the second component
    is the same fixed linear function of the model both times (flooding only touches the
    first); with it, it is fresh. Labels too (review, mutation M07: the label path lost
    its fresh Enc(0) and this test, on score_flooded only, passed): with the blinding
    factors fixed, c1 is then identical. Deterministic: two fresh encryptions of zero
    share a c1 with probability 2^-(n log q)."""
    if output == "label":
        _fixed_blinding(monkeypatch)
    rng = np.random.default_rng(3)
    ctx = inference_context(8192, output=output)
    recs = encrypt_records(rng.uniform(-1, 1, (8, 3)), ctx)
    model = (rng.normal(size=3), 0.25)
    a, b = (score_encrypted(recs, model, output=output)[0] for _ in range(2))
    assert not np.array_equal(_second_component(a), _second_component(b))


@pytest.mark.parametrize("output", ["score_flooded", "label"])
def test_one_output_does_not_solve_for_the_model(monkeypatch, output):
    """The review's attack: records crafted as q_l * Enc(0) make the rescale exact, so the
    output's c1 was sum_j round(w_j q_l) a_j mod q_0 and d rows of it solved for w exactly
    (1.3e-11). With the output re-randomized the system is inconsistent. Labels with the
    blinding factors fixed at 1 (a plaintext the attack could otherwise fold in): without
    the re-randomization (mutation M07) all 64 extra rows are consistent."""
    from pyppml.ckks.ciphertext import Ciphertext
    from pyppml.ml.inference import EncryptedRecords

    if output == "label":
        _fixed_blinding(monkeypatch)
    rng = np.random.default_rng(1)
    d = 4
    coef, intercept = rng.normal(size=d), 0.37
    ctx = inference_context(8192, output=output)
    ql = ctx.coeff_moduli[ctx.max_level]
    zs = [ctx.encrypt(np.zeros(ctx.slots), symmetric=True) for _ in range(d)]
    crafted = [Ciphertext(ctx, ctx._native.multiply_integer(z._native, ql)) for z in zs]
    out = score_encrypted(EncryptedRecords(ctx.slots, d, [crafted], np.ones(d)), (coef, intercept),
                          output=output)[0]
    p = int(ctx.coeff_moduli[out.level])
    y = [int(v) for v in _second_component(out).reshape(-1)[:ctx.poly_degree]]
    A = [[int(v) for v in _second_component(z).reshape(-1)[:ctx.poly_degree]] for z in zs]
    M = [[A[j][k] % p for j in range(d)] + [y[k] % p] for k in range(d)]
    for c in range(d):  # Gauss-Jordan mod p on the first d rows
        piv = next(r for r in range(c, d) if M[r][c])
        M[c], M[piv] = M[piv], M[c]
        inv = pow(M[c][c], -1, p)
        M[c] = [v * inv % p for v in M[c]]
        for r in range(d):
            if r != c and M[r][c]:
                f = M[r][c]
                M[r] = [(a - f * b) % p for a, b in zip(M[r], M[c])]
    W = [m[-1] if m[-1] < p // 2 else m[-1] - p for m in M]
    consistent = sum((sum(W[j] * A[j][k] for j in range(d)) - y[k]) % p == 0 for k in range(d, d + 64))
    assert consistent == 0
    assert np.max(np.abs(np.array(W, dtype=float) / ql - coef)) > 1.0


def test_flooded_scores_hide_the_model_whatever_the_record_bounds():
    """Review: the flood had a fixed width 2^-bits, so honest records B e_j (bound B)
    gave w_j to 2^-bits / B (B = 2^12: the model to 2^-20.6 in d + 1 queries, as raw
    scores give it). The noise is now relative to the score's bound A >= |w_j| B, so w_j
    comes back with std >= 2^-10 A / B >= 2^-11 here (|w_j| >= 0.3). All d = 4 errors
    below 2^-16 then has probability < (2 * 2^-16 / (sqrt(2 pi) 2^-11))^4 < 1e-6; the old
    width gave errors near 2^-20."""
    d, b, B = 4, 0.37, 2.0 ** 12
    coef = np.array([0.5, -0.75, 0.3, -0.9])
    ctx = inference_context(8192, encrypted_model=False, output="score_flooded")

    def query(x, bounds):
        out = score_encrypted(encrypt_records(x[None, :], ctx, bound=bounds), (coef, b), output="score_flooded",
                              bits_of_precision=10)
        return decrypt_scores(ctx, out, 1)[0]

    b_hat = query(np.zeros(d), np.zeros(d))
    errors = []
    for j in range(d):
        x, bounds = np.zeros(d), np.zeros(d)
        x[j] = bounds[j] = B
        errors.append(abs((query(x, bounds) - b_hat) / B - coef[j]))
    assert max(errors) > 2.0 ** -16, f"the model leaked to 2^{np.log2(max(errors)):.1f}"


def test_records_must_be_fresh_encryptions_of_their_context():
    # Records at a smaller scale widened the range check's headroom, and so the bounds a
    # client may declare (scale 2^20 in a 2^35 context let B = 2^27 through).
    ctx = inference_context(8192, encrypted_model=False, output="score_flooded")
    records = encrypt_records(np.zeros((2, 3)), ctx, bound=1.0)
    for tamper in (lambda ct: ctx.encrypt(np.zeros(ctx.slots), scale=2.0 ** 20),
                   lambda ct: ct.drop_to_level(ct.level - 1)):
        bad = copy.copy(records)
        bad.batches = [[tamper(records.batches[0][0])] + records.batches[0][1:]]
        with pytest.raises(ValueError, match="score_encrypted: records are not fresh encryptions"):
            score_encrypted(bad, (np.zeros(3), 0.0), output="score_flooded")


def test_the_noise_spread_reveals_only_the_weights_powers_of_two():
    """Review (round 4): A came from the exact weights, and the client reads log2(A) off
    the imaginary parts' spread. Searching one declared bound t for the step where A
    doubles gave |w_j| t + |b| = 2^m exactly, so two steps gave |w_j| to 2^-52. A now
    comes from each weight's power of two: the same search returns 2^ceil(log2 |w_j|)."""
    coef, b = np.array([0.5318, -0.7472]), 0.3717
    d = len(coef)
    ctx = inference_context(8192, encrypted_model=False, output="score_flooded")

    def log2_a(bounds):
        [ct] = score_encrypted(encrypt_records(np.zeros((1, d)), ctx, bound=bounds), (coef, b),
                               output="score_flooded", bits_of_precision=10)
        return round(math.log2(np.std(ctx.decrypt(ct, complex=True).imag) * 2 ** 10))

    def step(j, m):  # the smallest declared bound t (to 2^-40) with log2(A(t e_j)) > m
        lo, hi = 0.0, 1.0
        while log2_a(np.eye(d)[j] * hi) <= m:
            lo, hi = hi, 2 * hi
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if log2_a(np.eye(d)[j] * mid) > m else (mid, hi)
        return hi

    m0 = log2_a(np.zeros(d))
    found = np.array([2.0 ** m0 / (step(j, m0 + 1) - step(j, m0)) for j in range(d)])
    np.testing.assert_allclose(found, 2.0 ** np.ceil(np.log2(np.abs(coef))), rtol=1e-6)


def test_records_of_a_bootstrappable_context_are_fresh_at_its_encryption_level():
    # Fresh encryptions of a bootstrappable context start at levels_after, below the top:
    # the freshness check compares with the level encrypt() uses (review round 4).
    from pyppml import ckks

    ctx = ckks.Context.bootstrappable(levels_after=3, slots=8, poly_degree=2048, security=None)
    ctx.keygen()
    records = encrypt_records(np.array([[1.0, 2.0]]), ctx, bound=4.0)
    out = decrypt_scores(ctx, score_encrypted(records, ([0.5, -1.0], 0.25), output="score"), 1)
    assert abs(out[0] - (0.5 - 2.0 + 0.25)) < 1e-4
