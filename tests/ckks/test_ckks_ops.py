"""CKKS operations against NumPy with minimum precision in bits: fresh, after one
multiplication, after the full depth, after rotations, and the linear-algebra helpers."""

import numpy as np
import pytest

from pyppml import ckks
from pyppml.ckks import precision_stats


def bits(ctx, ct, expected, complex=False):
    return precision_stats(ctx.decrypt(ct, complex=complex), expected).min_bits


def test_encode_decode_round_trip(ctx, rng):
    x = rng.uniform(-10, 10, ctx.slots) + 1j * rng.uniform(-10, 10, ctx.slots)
    pt = ctx.encode(x)
    assert precision_stats(ctx.decode(pt, complex=True), x).min_bits > 25


@pytest.mark.parametrize("symmetric", [True, False])
def test_fresh_encryption(ctx, rng, symmetric):
    x = rng.uniform(-1, 1, ctx.slots)
    ct = ctx.encrypt(x, symmetric=symmetric)
    assert ct.level == ctx.max_level
    assert bits(ctx, ct, x) > 13


def test_complex_slots(ctx, rng):
    z = rng.uniform(-1, 1, ctx.slots) + 1j * rng.uniform(-1, 1, ctx.slots)
    ct = ctx.encrypt(z)
    assert bits(ctx, ct, z, complex=True) > 13
    assert bits(ctx, ct * ct, z * z, complex=True) > 13
    assert bits(ctx, ct.conjugate(), np.conj(z), complex=True) > 13


def test_add_sub_negate_plain_and_scalar(ctx, rng):
    x, y = rng.uniform(-1, 1, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    assert bits(ctx, a + b, x + y) > 15
    assert bits(ctx, a - b, x - y) > 15
    assert bits(ctx, -a, -x) > 13
    assert bits(ctx, a + y, x + y) > 15
    assert bits(ctx, y - a, y - x) > 15
    assert bits(ctx, a + 2.5, x + 2.5) > 15
    assert bits(ctx, 3 - a, 3 - x) > 15


def test_multiplications(ctx, rng):
    x, y = rng.uniform(-1, 1, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    prod = a * b
    assert prod.level == ctx.max_level - 1 and prod.size == 2
    assert bits(ctx, prod, x * y) > 13
    assert bits(ctx, a * y, x * y) > 13
    assert bits(ctx, a * -1.75, x * -1.75) > 13
    assert bits(ctx, a.square(), x * x) > 13
    assert bits(ctx, a * (1 + 2j), x * (1 + 2j), complex=True) > 13


def test_named_methods_give_control(ctx, rng):
    x, y = rng.uniform(-1, 1, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    t = a.multiply(b)
    assert t.size == 3 and t.level == a.level
    assert abs(t.scale - a.scale * b.scale) < 1
    r = t.relinearize()
    assert r.size == 2
    s = r.rescale()
    assert s.level == a.level - 1
    assert bits(ctx, s, x * y) > 13
    assert bits(ctx, t, x * y) > 13  # decryption handles 3 components


def test_full_depth(ctx, rng):
    x = rng.uniform(-1, 1, ctx.slots)
    ct = ctx.encrypt(x)
    expected = x.copy()
    for _ in range(ctx.max_level):
        ct = ct * ct
        expected = expected * expected
    assert ct.level == 0
    assert bits(ctx, ct, expected) > 12
    with pytest.raises(ValueError, match="level 0"):
        ct * ct


def test_level_and_scale_alignment(ctx, rng):
    x, y = rng.uniform(-1, 1, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    deep = (a * a) * b  # level L-2, scale drifted from the fresh one
    assert bits(ctx, deep + b, x * x * y + y) > 14
    assert bits(ctx, b * deep, x * x * y * y) > 12
    # named ops refuse mismatched levels
    with pytest.raises(ValueError, match="different levels"):
        ctx._native.add(deep._native, b._native)


@pytest.mark.parametrize("steps", [1, 2, 5, -1, -7, 100])
def test_rotations(ctx, rng, steps):
    x = rng.uniform(-1, 1, ctx.slots)
    ct = ctx.encrypt(x)
    assert bits(ctx, ct.rotate(steps), np.roll(x, -steps)) > 13


def test_hoisted_rotations_match_single(ctx, rng):
    x = rng.uniform(-1, 1, ctx.slots)
    ct = ctx.encrypt(x)
    steps = [0, 1, 2, 4, 3]
    outs = ct.rotate_many(steps)
    for s, o in zip(steps, outs):
        assert bits(ctx, o, np.roll(x, -s)) > 13


def test_sum_and_dot(ctx, rng):
    x, y = rng.uniform(-1, 1, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    s = ctx.decrypt(a.sum_slots())
    assert np.max(np.abs(s - x.sum())) < 1e-3
    d = ctx.decrypt(a.dot(y))
    assert np.max(np.abs(d - x @ y)) < 1e-3
    d2 = ctx.decrypt(a.dot(b))
    assert np.max(np.abs(d2 - x @ y)) < 1e-3


@pytest.mark.parametrize("shape", [(8, 8), (16, 10), (5, 30)])
def test_matvec_bsgs(ctx, rng, shape):
    M = rng.uniform(-1, 1, shape)
    v = rng.uniform(-1, 1, shape[1])
    ct = ctx.encrypt(v)
    ctx.generate_rotation_keys(ckks.matvec_rotations(max(shape), ctx.slots))
    out = ctx.decrypt(M @ ct)[: shape[0]]
    assert precision_stats(out, M @ v).min_bits > 12


def test_polynomials_power_and_chebyshev(ctx, rng):
    x = rng.uniform(-1, 1, ctx.slots)
    ct = ctx.encrypt(x)
    coeffs = [0.5, -1.0, 0.25, 0.75]
    assert bits(ctx, ckks.evaluate_polynomial(ct, coeffs), np.polynomial.polynomial.polyval(x, coeffs)) > 12
    assert bits(ctx, ct ** 3, x ** 3) > 12
    sig = lambda t: 1 / (1 + np.exp(-t))
    cheb = ckks.chebyshev_coefficients(sig, 3, (-4, 4))
    xs = rng.uniform(-4, 4, ctx.slots)
    got = ctx.decrypt(ckks.evaluate_chebyshev(ctx.encrypt(xs), cheb, (-4, 4)))
    ref = np.polynomial.chebyshev.chebval(xs / 4, cheb)
    assert precision_stats(got, ref).min_bits > 10


def test_precision_report_fields(ctx, rng):
    x = rng.uniform(-1, 1, ctx.slots)
    st = precision_stats(ctx.decrypt(ctx.encrypt(x)), x)
    assert st.min_bits <= st.median_bits and st.min_bits <= st.mean_bits
    assert "precision bits" in str(st)


def test_multi_prime_digits_and_special_primes(rng):
    # dnum = 2: digits of two primes, two special primes (the general ModUp path).
    c = ckks.Context(poly_degree=8192, coeff_mod_bits=[40, 30, 30, 30], special_mod_bits=[42, 41], scale_bits=30,
                     dnum=2)
    c.keygen(rotations=[1, 3])
    assert c._native.digits == 2
    x, y = rng.uniform(-1, 1, (2, c.slots))
    a, b = c.encrypt(x), c.encrypt(y)
    assert precision_stats(c.decrypt(a * b), x * y).min_bits > 10
    assert precision_stats(c.decrypt(a.rotate(3)), np.roll(x, -3)).min_bits > 10
    assert precision_stats(c.decrypt((a * b).rotate(1)), np.roll(x * y, -1)).min_bits > 10


def test_results_identical_on_every_backend(ctx_small, rng):
    from pyppml import ring

    x = rng.uniform(-1, 1, ctx_small.slots)
    ct = ctx_small.encrypt(x, symmetric=False)
    outputs = {}
    for backend in ring.available_backends():
        with ring.use_backend(backend):
            r = (ct * ct + ct).rotate(1).rotate(-1)
            pt = ctx_small.encode(x)
            outputs[backend] = (r.to_bytes(), pt.to_bytes(), ctx_small.decrypt(r).tobytes())
    ref = outputs["scalar"]
    for backend, got in outputs.items():
        assert got == ref, backend


@pytest.mark.filterwarnings("ignore:pyppml.ckks.Context")
@pytest.mark.parametrize("degree", [1, 2, 3, 4, 7, 8, 15])
def test_polynomial_depth_is_optimal(degree):
    c = ckks.Context(poly_degree=8192, coeff_mod_bits=[45] + [30] * 4, special_mod_bits=[45], scale_bits=30,
                     security=None)
    c.keygen()
    rng = np.random.default_rng(degree)
    x = rng.uniform(-1, 1, c.slots)
    coeffs = rng.uniform(-1, 1, degree + 1)
    for basis, ref in (("power", np.polynomial.polynomial.polyval), ("chebyshev", np.polynomial.chebyshev.chebval)):
        out = ckks.evaluate_polynomial(c.encrypt(x), coeffs, basis=basis)
        assert c.max_level - out.level == int(np.ceil(np.log2(degree + 1)))
        assert out.scale == c.level_scale(out.level)  # the standard scale of its level
        assert precision_stats(c.decrypt(out), ref(x, coeffs)).min_bits > 8
