"""Row packing layout and the plaintext oracle of the training plan."""

import numpy as np
import pytest

from pyppml.ml.packing import RowPacking
from pyppml.ml.params import chain_bits, max_levels
from pyppml.ml.plan import TrainingPlan, make_plan, train_reference
from pyppml.ml.sigmoid import SigmoidApproximation


def test_rows_are_duplicated_in_blocks():
    p = RowPacking(features=5, slots=64)
    assert (p.width, p.block, p.rows_per_ciphertext) == (8, 16, 4)
    Z = np.arange(30, dtype=float).reshape(6, 5)
    vecs = p.pack(Z)
    assert len(vecs) == 2
    blocks = vecs[0].reshape(4, 16)
    np.testing.assert_array_equal(blocks[1, :5], Z[1])
    np.testing.assert_array_equal(blocks[1, 8:13], Z[1])
    assert not blocks[:, 5:8].any() and not vecs[1].reshape(4, 16)[2:].any()


def test_window_sum_gives_row_inner_product():
    """The plaintext analogue of the trainer's log-rotation row sum."""
    p = RowPacking(features=5, slots=64)
    Z = np.random.default_rng(0).normal(size=(4, 5))
    v = np.random.default_rng(1).normal(size=5)
    x = p.pack(Z)[0] * np.tile(np.concatenate([v, np.zeros(3), v, np.zeros(3)]), 4)
    for s in p.row_sum_rotations():
        x = x + np.roll(x, -s)
    np.testing.assert_allclose(x.reshape(4, 16)[:, :8], np.repeat((Z @ v)[:, None], 8, axis=1))


def test_rotations_listed():
    p = RowPacking(features=31, slots=16384)
    assert p.rotations() == [1, 2, 4, 8, 16] + [64 << i for i in range(8)] + [-32]


def test_reference_without_approximation_error_matches_gradient_descent():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(50, 4))
    plan = make_plan(Z, "newton", 3, SigmoidApproximation.fit(7, 8.0))
    w = np.zeros(4)
    steps = np.asarray(plan.steps)
    for _ in range(3):
        w = w + steps * (Z.T @ plan.approximation(-(Z @ w)))
    np.testing.assert_allclose(train_reference(Z, plan)[-1], w)


def test_plan_round_trips_json():
    plan = make_plan(np.eye(3), "nesterov", 4, SigmoidApproximation.fit(3, 8.0))
    assert TrainingPlan.from_json(plan.to_json()) == plan


@pytest.mark.parametrize("n,levels,scale_bits", [(16384, 5, 51), (32768, 11, 55)])
def test_chain_fits_128_bits(n, levels, scale_bits):
    """The deepest chain at the ML scale fits the 2024 budget; P covers the largest
    digit by 2 bits; one spare prime (the model ends at level 1 with 60 bits of
    integer part for the sum over the samples)."""
    assert max_levels(n) == levels
    q, p, dnum = chain_bits(n, levels)
    assert q == [60] + [scale_bits] * (levels + 1)
    assert sum(q) + sum(p) <= {16384: 430, 32768: 868}[n] - 1
    assert sum(p) >= 60 + (-(-len(q) // dnum) - 1) * scale_bits + 2
    assert chain_bits(n, levels + 1, max_dnum=8) is None


def test_iterations_fit_depth():
    """First iteration 1 level, each later one 2 + depth, each but the last one more."""
    assert TrainingPlan.depth_for(1, 3) == 1
    assert TrainingPlan.depth_for(2, 3) == 5
    assert TrainingPlan.depth_for(4, 3) == 15
    assert TrainingPlan.iterations_for(15, 3) == 4
    assert TrainingPlan.iterations_for(14, 3) == 3
    assert TrainingPlan.iterations_for(15, 7) == 3
    for degree in (3, 7):
        for levels in range(30):
            its = TrainingPlan.iterations_for(levels, degree)
            assert TrainingPlan.depth_for(its, degree) <= levels < TrainingPlan.depth_for(its + 1, degree)
