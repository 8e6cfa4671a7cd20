"""Giant steps with one shared ModDown (he.giant_step_sum_rescale): sum_g rot(p_g, g)
rescaled, the rotations' inner products summed over Q*P and divided by q_l P once."""

import warnings

import numpy as np
import pytest

from pyppml import ckks, ring
from pyppml._core import MismatchError, ParameterError
from pyppml._core import he as _he

BACKENDS = [b for b in ("scalar", "avx2", "avx512") if b in ring.available_backends()]
GIANTS = [0, 4, 8]


@pytest.fixture(scope="module", params=[1, 2], ids=["one-prime-digits", "two-prime-digits"])
def ctx(request):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if request.param == 1:
            c = ckks.Context(poly_degree=2048, coeff_mod_bits=[55, 45, 45, 45], special_mod_bits=[60], scale_bits=45,
                             security=None)
        else:
            c = ckks.Context(poly_degree=2048, coeff_mod_bits=[55, 45, 45, 45], special_mod_bits=[55, 55], dnum=2,
                             scale_bits=45, security=None)
    c.keygen(rotations=[g for g in GIANTS if g], compact_keys=False)
    return c


def _partials(ctx, seed=3):
    rng = np.random.default_rng(seed)
    xs = rng.uniform(-1, 1, (len(GIANTS), ctx.slots)) + 1j * rng.uniform(-1, 1, (len(GIANTS), ctx.slots))
    # Partial sums as a level's baby steps leave them: scale Delta * q_l, before the rescale.
    top = ctx.max_level
    q = float(ctx.coeff_moduli[top])
    cts = []
    for x in xs:
        ct = ctx.encrypt(x)._native
        cts.append(ctx._native.multiply_plain(ct, ctx._native.encode_constant(1.0, q, top)))
    return xs, cts


def _elements(ctx):
    return [ctx.galois_element(g) if g else 1 for g in GIANTS]


def test_sum_matches_numpy(ctx):
    xs, cts = _partials(ctx)
    out = _he.giant_step_sum_rescale(ctx._native, cts, _elements(ctx), ctx.galois_keys)
    want = sum(np.roll(x, -g) for g, x in zip(GIANTS, xs))
    got = ctx.decrypt(ckks.Ciphertext(ctx, out), complex=True)
    assert out.level == ctx.max_level - 1
    assert abs(out.scale - cts[0].scale / ctx.coeff_moduli[ctx.max_level]) < 1e-6 * out.scale
    assert np.abs(got - want).max() < 2.0 ** -25, np.abs(got - want).max()


def test_rounds_like_one_moddown_per_rotation(ctx):
    """Against apply_galois + add + rescale: the same values to within the rounding of
    the ModDowns the fused sum saves (a few units of the last place per coefficient)."""
    xs, cts = _partials(ctx)
    native = ctx._native
    ref = None
    for e, c in zip(_elements(ctx), cts):
        r = c if e == 1 else native.apply_galois(c, e, ctx.galois_keys)
        ref = r if ref is None else native.add(ref, r)
    ref = native.rescale(ref)
    out = _he.giant_step_sum_rescale(native, cts, _elements(ctx), ctx.galois_keys)
    a = ctx.decrypt(ckks.Ciphertext(ctx, out), complex=True)
    b = ctx.decrypt(ckks.Ciphertext(ctx, ref), complex=True)
    # Same message; errors of the order of a fresh encryption's (2^-30 at scale 2^45).
    assert np.abs(a - b).max() < 2.0 ** -28, np.abs(a - b).max()


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_gives_the_same_bits(ctx, backend):
    xs, cts = _partials(ctx)
    ref = _he.save(ctx._native, _he.giant_step_sum_rescale(ctx._native, cts, _elements(ctx), ctx.galois_keys))
    compact = _he.load_galois_keys(ctx._native, ctx.key_to_bytes(ctx.galois_keys), compact=True)
    with ring.use_backend(backend):
        got = _he.save(ctx._native, _he.giant_step_sum_rescale(ctx._native, cts, _elements(ctx), compact))
    assert got == ref


def test_identity_alone_is_the_rescale(ctx):
    """No rotation: nothing to divide by P, so the fused division rounds as rescale does."""
    xs, cts = _partials(ctx)
    out = _he.giant_step_sum_rescale(ctx._native, cts[:1], [1], ctx.galois_keys)
    assert _he.save(ctx._native, out) == _he.save(ctx._native, ctx._native.rescale(cts[0]))


def test_bad_input_is_refused(ctx):
    xs, cts = _partials(ctx)
    native, gk = ctx._native, ctx.galois_keys
    e = _elements(ctx)
    with pytest.raises(ParameterError, match="lack the key"):
        _he.giant_step_sum_rescale(native, cts[:1], [ctx.galois_element(3)], gk)
    with pytest.raises(ParameterError, match="different levels"):
        _he.giant_step_sum_rescale(native, [cts[0], native.drop_to_level(cts[1], 1)], e[:2], gk)
    with pytest.raises(ParameterError, match="do not match"):
        _he.giant_step_sum_rescale(native, cts, e[:2], gk)
    with pytest.raises(ParameterError, match="empty"):
        _he.giant_step_sum_rescale(native, [], [], gk)
    with pytest.raises(ParameterError, match="level 0"):
        low = [native.drop_to_level(c, 0) for c in cts[:1]]
        _he.giant_step_sum_rescale(native, low, [1], gk)
    with pytest.raises(ParameterError, match="relinearized"):
        _he.giant_step_sum_rescale(native, [native.multiply(cts[0], cts[0])], [1], gk)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = ckks.Context(poly_degree=2048, coeff_mod_bits=[55, 45, 45, 45], special_mod_bits=[60], scale_bits=45,
                             security=None)
    other.keygen(rotations=[4], compact_keys=False)
    with pytest.raises((ParameterError, MismatchError)):
        _he.giant_step_sum_rescale(native, cts[:2], e[:2], other.galois_keys)
