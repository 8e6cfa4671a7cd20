"""Bootstrapping against NumPy: full and sparse slots, real and complex values, ModRaise
or SlotsToCoeffs first, one and three chained bootstraps with products in between, every
backend bit-identical."""

import numpy as np
import pytest

from pyppml import ring

from bootstrap_helpers import make, precision_bits

# Measured at n = 2^11: ~21 bits from the max error, ~23 from the mean (2^16: see the
# bench). A broken transform, a wrong scale or an EvalMod overflow gives errors near 1.
MAX_BITS, MEAN_BITS = 17.0, 19.0


def _values(rng, ctx, complex_: bool):
    s = ctx.bootstrap_info()["slots"]
    v = rng.uniform(-1, 1, s)
    if complex_:
        v = v + 1j * rng.uniform(-1, 1, s)
    return np.tile(v, ctx.slots // s)


ALL_CONTEXTS = ["full_ctx", "sparse_ctx", "full_stc_ctx", "sparse_stc_ctx"]


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("which", ALL_CONTEXTS)
def test_one_bootstrap_matches_numpy(which, complex_, request, rng):
    ctx = request.getfixturevalue(which)
    x = _values(rng, ctx, complex_)
    info = ctx.bootstrap_info()
    ct = ctx.encrypt(x).drop_to_level(info["min_input_level"])
    out = ct.bootstrap()
    assert out.level == info["output_level"] == info["levels_after"] + info["stc_first"] * info["level_budget"][1]
    got = ctx.decrypt(out, complex=complex_)
    mx, mean = precision_bits(got, x)
    assert mx >= MAX_BITS and mean >= MEAN_BITS, (mx, mean)
    # bootstrap_info's figure is a model of the mean error: within 2 bits of it.
    assert mean >= info["expected_precision_bits"] - 2, (mean, info["expected_precision_bits"])


@pytest.mark.parametrize("which", ["full_ctx", "full_stc_ctx"])
def test_standard_input_lands_on_the_standard_scale(which, request, rng):
    ctx = request.getfixturevalue(which)
    ct = ctx.encrypt(_values(rng, ctx, False))
    while ct.level > ctx.bootstrap_info()["min_input_level"]:
        ct = ct * 1.0
    out = ct.bootstrap()
    assert out.scale == ctx.level_scale(out.level)


@pytest.mark.parametrize("which", ["full_ctx", "full_stc_ctx"])
def test_three_chained_bootstraps_with_products(which, request, rng):
    ctx = request.getfixturevalue(which)
    x = _values(rng, ctx, False) * 0.9
    want, ct = x.copy(), ctx.encrypt(x)
    for _ in range(3):
        # Both user levels (values stay in [0.1, 1]), then a refresh.
        ct = ct * ct * 0.9 + 0.1
        want = want * want * 0.9 + 0.1
        assert ct.level == ctx.bootstrap_info()["min_input_level"]
        ct = ct.bootstrap()
    mx, mean = precision_bits(ctx.decrypt(ct), want)
    assert mx >= MAX_BITS - 3 and mean >= MEAN_BITS - 3, (mx, mean)


@pytest.mark.parametrize("which", ["sparse_ctx", "sparse_stc_ctx"])
def test_sparse_bootstrap_returns_the_period_average(which, request, rng):
    """An input that is not s-periodic comes back as the mean over its n/(2s) periods
    (the trace onto Z[X^(n/2s)])."""
    ctx = request.getfixturevalue(which)
    x = rng.uniform(-1, 1, ctx.slots)
    out = ctx.decrypt(ctx.encrypt(x).drop_to_level(ctx.bootstrap_info()["min_input_level"]).bootstrap())
    s = ctx.bootstrap_info()["slots"]
    want = np.tile(x.reshape(-1, s).mean(axis=0), ctx.slots // s)
    assert precision_bits(out, want)[0] >= MAX_BITS


@pytest.mark.parametrize("stc_first", [False, True])
@pytest.mark.parametrize("backend", [b for b in ("scalar", "avx2", "avx512") if b in ring.available_backends()])
def test_every_backend_gives_the_same_ciphertext(backend, stc_first, rng):
    ctx = make(2048, slots=16, levels_after=1, stc_first=stc_first)
    ct = ctx.encrypt(_values(rng, ctx, True)).drop_to_level(ctx.bootstrap_info()["min_input_level"])
    ref = ct.bootstrap().to_bytes()
    with ring.use_backend(backend):
        assert ct.bootstrap().to_bytes() == ref


def test_larger_ring_sparse_and_full_sizes(rng):
    """n = 2^13 with 2^10 sparse slots: the transforms' merged levels have more diagonals
    than at 2^11, and the precision holds."""
    ctx = make(8192, slots=1024, levels_after=1)
    x = _values(rng, ctx, True)
    out = ctx.encrypt(x).drop_to_level(0).bootstrap()
    mx, mean = precision_bits(ctx.decrypt(out, complex=True), x)
    assert out.level == 1 and mx >= MAX_BITS and mean >= MEAN_BITS, (mx, mean)


@pytest.mark.parametrize("stc_first", [False, True])
@pytest.mark.parametrize("threads", [1, 3])
def test_every_thread_count_gives_the_same_ciphertext(threads, stc_first, rng):
    import pyppml

    ctx = make(2048, slots=16, levels_after=1, stc_first=stc_first)
    ct = ctx.encrypt(_values(rng, ctx, True)).drop_to_level(ctx.bootstrap_info()["min_input_level"])
    before = pyppml.get_num_threads()
    try:
        pyppml.set_num_threads(2)
        ref = ct.bootstrap().to_bytes()
        pyppml.set_num_threads(threads)
        assert ct.bootstrap().to_bytes() == ref
    finally:
        pyppml.set_num_threads(before)
