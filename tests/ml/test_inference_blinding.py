"""The label output's blinding factors are fresh for every query (mutation audit
2026-12-08: factors drawn from a generator seeded with public data passed every test;
with the same factors in every query, dividing two queries' outputs gives exact score
ratios, a probe of the model)."""

import numpy as np

from pyppml.ml import decrypt_scores, encrypt_records, inference_context, score_encrypted

MODEL = (np.array([0.75, -0.5, 0.25]), 0.125)


def test_two_queries_of_the_same_records_are_blinded_apart():
    ctx = inference_context(8192, encrypted_model=False, output="label")
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (ctx.slots, 3))
    recs = encrypt_records(X, ctx, bound=1.0)
    a, b = (decrypt_scores(ctx, score_encrypted(recs, MODEL, output="label"), ctx.slots) for _ in range(2))
    score = X @ MODEL[0] + MODEL[1]
    usable = np.abs(score) > 0.05  # the blinded value is r s, r in (2^-12, 1]: well above the CKKS error here
    ratio = np.log2(np.abs(a[usable] / b[usable]))
    # Fresh factors: |u_a - u_b| < 1e-3 with probability ~1.7e-4 per slot (u uniform in [0, 12)); the
    # same factors make almost every slot's ratio 1 to within the decryption error.
    assert np.count_nonzero(np.abs(ratio) < 1e-3) < 0.01 * ratio.size
    assert np.all(np.sign(a[usable]) == np.sign(score[usable])) and np.all(np.sign(b[usable]) == np.sign(score[usable]))
