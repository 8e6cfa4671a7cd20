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


@pytest.mark.parametrize("backend", BACKENDS)
def test_whole_transform_matches_numpy_and_the_two_steps(ctx, backend):
    """he.linear_transform_rescale (partial sums left over Q*P, only a rotated group's c1
    divided by P): the map of NumPy, and the values of baby_step_sums followed by
    giant_step_sum_rescale to within the roundings it saves; identical on every backend
    and thread count."""
    import pyppml

    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, ctx.slots) + 1j * rng.uniform(-1, 1, ctx.slots)
    diags = rng.uniform(-1, 1, (4, ctx.slots)) + 1j * rng.uniform(-1, 1, (4, ctx.slots))
    nat, top = ctx._native, ctx.max_level
    ct = ctx.encrypt(x)._native
    q = float(ctx.coeff_moduli[top])
    enc = [_he.encode_hoisted_diagonal(nat, d, q, top) for d in diags]
    babies = [ctx.galois_element(4)]
    # groups by giant 0 (identity + baby 4) and 8 (identity), 4 (baby 4)
    groups = [[(-1, enc[0]), (0, enc[1])], [(-1, enc[2])], [(0, enc[3])]]
    giants = [1, ctx.galois_element(8), ctx.galois_element(4)]
    with ring.use_backend(backend):
        out = _he.linear_transform_rescale(nat, ct, babies, ctx.galois_keys, groups, giants)
        before = pyppml.get_num_threads()
        try:
            pyppml.set_num_threads(3)
            again = _he.linear_transform_rescale(nat, ct, babies, ctx.galois_keys, groups, giants)
        finally:
            pyppml.set_num_threads(before)
    assert _he.save(nat, out) == _he.save(nat, again)
    r = lambda v, k: np.roll(v, -k)
    want = diags[0] * x + diags[1] * r(x, 4) + r(diags[2] * x, 8) + r(diags[3] * r(x, 4), 4)
    got = ctx.decrypt(ckks.Ciphertext(ctx, out), complex=True)
    assert out.level == top - 1 and out.scale == ct.scale
    assert np.abs(got - want).max() < 2.0 ** -25, np.abs(got - want).max()
    two = _he.giant_step_sum_rescale(nat, _he.baby_step_sums(nat, ct, babies, ctx.galois_keys, groups), giants,
                                     ctx.galois_keys)
    got2 = ctx.decrypt(ckks.Ciphertext(ctx, two), complex=True)
    assert np.abs(got - got2).max() < 2.0 ** -30, np.abs(got - got2).max()


def test_whole_transform_refuses_bad_input(ctx):
    nat, top = ctx._native, ctx.max_level
    ct = ctx.encrypt(np.zeros(4))._native
    enc = _he.encode_hoisted_diagonal(nat, np.ones(ctx.slots), float(ctx.coeff_moduli[top]), top)
    with pytest.raises(ParameterError, match="giant elements"):
        _he.linear_transform_rescale(nat, ct, [], ctx.galois_keys, [[(-1, enc)]], [1, 1])
    with pytest.raises(ParameterError, match="groups"):
        _he.linear_transform_rescale(nat, ct, [], ctx.galois_keys, [], [])
    with pytest.raises(ParameterError, match="galois_keys"):
        _he.linear_transform_rescale(nat, ct, [], ctx.galois_keys, [[(-1, enc)]], [ctx.galois_element(3)])
    with pytest.raises(ParameterError, match="Galois element"):
        _he.linear_transform_rescale(nat, ct, [], ctx.galois_keys, [[(-1, enc)]], [2])
