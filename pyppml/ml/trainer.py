"""Server side of encrypted logistic regression: every iteration of the plan on
ciphertexts only, with the public context (no secret key).

Per iteration and ciphertext: z . v by one product and log2(W) rotations, the sigmoid
polynomial with its coefficients (times the step sizes and the feature mask) folded into
plaintext products, one product by z; then one column sum for all ciphertexts and one
rotation to duplicate the gradient. Depth per iteration: 2 + ceil(log2(degree + 1)),
plus one between iterations (the gradient's sum is brought back to the working scale,
see ``train_encrypted``).
Every term of the polynomial is steered to the same scale by the scale its plaintext
coefficients are encoded at, so adding terms never costs a level."""

from __future__ import annotations

import time

import numpy as np

from pyppml.ml.messages import EncryptedDataset, EncryptedModel
from pyppml.ml.packing import RowPacking


def _column_sum(ct, packing: RowPacking):
    for step in packing.column_sum_rotations():
        ct = ct + ct.rotate(step)
    return ct


def _row_sum(ct, packing: RowPacking):
    for step in packing.row_sum_rotations():
        ct = ct + ct.rotate(step)
    return ct


def _duplicate(ct, packing: RowPacking):
    return ct + ct.rotate(-packing.width)


def evaluate_masked_odd(t, coeff_vectors: dict, constant: np.ndarray):
    """sum_k coeff_vectors[k] * t^k + constant (k odd), slot-wise, at depth
    ceil(log2(max k + 1)); every term ends at the context's scale."""
    ctx = t.context
    target = ctx.scale
    degree = max(coeff_vectors)
    powers = {}  # t^(2^i), i >= 1
    e = 2
    prev = t
    while e <= degree - 1:
        prev = prev * prev
        powers[e] = prev
        e <<= 1
    terms = []
    for k in sorted(coeff_vectors):
        chain = [powers[1 << i] for i in range(1, (k - 1).bit_length() + 1) if (k - 1) >> i & 1]
        # Simulate levels and scales to choose the plaintext's scale.
        lvl, sc = t.level, t.scale / float(ctx.coeff_moduli[t.level])
        lvl -= 1
        for m in chain:
            l2 = min(lvl, m.level)
            sc = sc * m.scale / float(ctx.coeff_moduli[l2])
            lvl = l2 - 1
        pt = ctx.encode(coeff_vectors[k], scale=target / sc, level=t.level)
        term = t.multiply_plain(pt).rescale()
        for m in chain:
            term = term * m
        terms.append(term)
    lowest = min(x.level for x in terms)
    acc = None
    for x in terms:
        x = x.drop_to_level(lowest).with_scale(target)  # scale equals target up to 2^-40 rounding
        acc = x if acc is None else acc + x
    return acc.add_plain(ctx.encode(constant, scale=acc.scale, level=acc.level))


def required_rotations(plan, packing: RowPacking) -> list[int]:
    """The slot rotations ``train_encrypted`` performs for ``plan``, hence the Galois keys
    the server needs (each key takes dnum (L + 1 + k) n 8 bytes, one seeded polynomial per
    digit over the L + 1 data and k special primes: most of the public context). The window sums of z . v (log2 W keys) come only from
    the second iteration on: the first starts from w = 0 and needs none."""
    rows = packing.row_sum_rotations() if plan.iterations > 1 else []
    return rows + packing.column_sum_rotations() + [-packing.width]


def train_encrypted(context, dataset: EncryptedDataset, progress: bool = True, record_history: bool = False) -> EncryptedModel:
    """Run the dataset's plan on ciphertexts with ``context`` (public keys suffice).

    Raises
    ------
    ValueError
        if the chain is too short for the plan or the context lacks a rotation key.
    """
    from tqdm.auto import tqdm

    from pyppml.ml.bootstrapped import levels_needed, refresh

    plan, packing, Z = dataset.plan, dataset.packing, dataset.ciphertexts
    bootstrapping = getattr(context, "is_bootstrappable", False)
    # With bootstrapping the model is refreshed between iterations: one iteration's
    # levels suffice.
    needed = levels_needed(plan) if bootstrapping else plan.depth_for(plan.iterations, plan.sigmoid_degree)
    top = min(ct.level for ct in Z)
    if needed > top:
        raise ValueError(f"train_encrypted: the chain is too short for the plan; expected >= {needed} levels, got {top}")
    needed_rotations = required_rotations(plan, packing)
    have = set(context.galois_keys.elements) if context.galois_keys is not None else set()
    missing = [s for s in needed_rotations if context.galois_element(s) not in have]
    if missing:
        raise ValueError(f"train_encrypted: context lacks rotation keys; expected keys for {needed_rotations}, got none for {missing}")
    steps = np.asarray(plan.steps)
    rows = float(plan.n_samples)
    coeffs = plan.sigmoid_coeffs
    t0 = time.perf_counter()
    bar = tqdm(total=plan.iterations, desc="encrypted training", unit="it", disable=not progress, leave=False)
    history = []

    # Iteration 0 from w = v = 0: sigma~(0) = c0, so g = steps * c0 * sum_i z_i (one level).
    total = Z[0]
    for ct in Z[1:]:
        total = total + ct
    g0 = _column_sum(total, packing) * packing.feature_vector(steps * coeffs[0] * plan.fold_factor(0))
    g0 = _duplicate(g0, packing)
    v, w = g0, g0
    history.append(w)
    bar.update(1)
    boot_s, boots = 0.0, 0
    for k in range(1, plan.iterations):
        tb = time.perf_counter()
        v, w, ran = refresh(context, plan, v, w)
        if ran:
            boot_s += time.perf_counter() - tb
            boots += 1
            bar.set_postfix(bootstraps=boots)
        fold = plan.fold_factor(k)
        # q(t) = sigma~(-t): odd coefficients change sign.
        # The 1/n of the steps is applied after the sums (see below).
        vectors = {j: packing.feature_vector(-coeffs[j] * fold * steps * rows) for j in range(1, len(coeffs), 2)
                   if coeffs[j] != 0.0}
        constant = packing.feature_vector(coeffs[0] * fold * steps * rows)
        grad = None
        for z in Z:
            t = _row_sum(z * v, packing)
            term = evaluate_masked_odd(t, vectors, constant) * z
            grad = term if grad is None else grad + term
        # The 1/n of the steps is applied here, by reading the sum at scale * n. Each
        # sample's term was computed at full size, so the absolute CKKS errors of the
        # terms and of the column sum (which repeats them in every block) shrink by n
        # with the values: log2(n) bits more for the model, which is released through
        # flooding sized on its worst error. Before another iteration the scale goes
        # back to the context's (one level): at scale * n the next polynomial's
        # plaintext coefficients would be encoded at a scale n times smaller.
        grad = _column_sum(grad, packing)
        grad = grad.with_scale(grad.scale * rows)
        if k < plan.iterations - 1:
            grad = grad.times_scalar_to(1.0, context.scale)
        grad = _duplicate(grad, packing)
        if plan.method == "newton":
            w = w + grad
            v = w
        elif k == plan.iterations - 1:
            w = v + grad
        else:
            eta = plan.etas[k]
            v_next = v * (1.0 - eta) + w * eta + grad
            w = v + grad * (1.0 / (1.0 - eta))
            v = v_next
        history.append(w)
        bar.update(1)
    bar.close()
    timings = {"train_s": time.perf_counter() - t0}
    if bootstrapping:
        timings.update(bootstrap_s=boot_s, bootstraps=float(boots))
    return EncryptedModel(packing, w, history if record_history else [], timings)
