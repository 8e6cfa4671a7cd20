"""Noise budget (owner-only) and detection of decryption failure; default chains hold
their depth."""

import numpy as np
import pytest

from pyppml import bfv

from bfv_reference import T, mulmod


def test_budget_decreases_and_failure_is_detected(ctx_small, rng):
    ctx = ctx_small  # 2 x 35-bit primes: one product fits, the second exhausts the budget
    x = rng.integers(0, T, ctx.slots)
    a = ctx.encrypt(x)
    fresh = ctx.noise_budget(a)
    assert 20 <= fresh <= 70 - 20
    sq = a * a
    after = ctx.noise_budget(sq)
    assert 0 < after < fresh - 20
    assert np.array_equal(ctx.decrypt(sq), mulmod(x, x))
    dead = sq * sq
    assert ctx.noise_budget(dead) == 0
    with pytest.raises(bfv.DecryptionError, match="noise budget"):
        ctx.decrypt(dead)
    # unchecked decryption is (as expected) wrong
    assert not np.array_equal(ctx.decrypt(dead, check=False), mulmod(mulmod(x, x), mulmod(x, x)))
    assert ctx._unsafe_noise_budget_debug(a) == fresh


def test_additions_and_plain_products_cost_little(ctx, rng):
    x = rng.integers(0, T, ctx.slots)
    a = ctx.encrypt(x)
    b0 = ctx.noise_budget(a)
    assert ctx.noise_budget(a + a + a) >= b0 - 2
    assert ctx.noise_budget(a * 3) >= b0 - 3
    assert ctx.noise_budget(a.mod_switch_to(1)) >= 20


@pytest.mark.parametrize("n,depth", [(4096, 1), (8192, 2), (8192, 3)], ids=["n4096_d1", "n8192_d2", "n8192_d3"])
def test_default_chain_supports_its_depth(n, depth):
    ctx = bfv.Context(poly_degree=n, plain_modulus=T, depth=depth)
    ctx.keygen(rotations=[], columns=False)
    rng = np.random.default_rng(n + depth)
    x = rng.integers(0, T, n)
    ct, expect = ctx.encrypt(x), x % T
    for _ in range(depth):
        ct = ct * ct
        expect = mulmod(expect, expect)
    assert ctx.noise_budget(ct) > 0
    assert np.array_equal(ctx.decrypt(ct), expect)


def test_deepest_default_chain_fits_security():
    ctx = bfv.Context(poly_degree=8192, plain_modulus=T)
    assert ctx.log_qp <= 214
