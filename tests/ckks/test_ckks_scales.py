"""No silent wrong answers from scales and operands (issue 12, defect 8): operands of very
different scales are rescaled before alignment, scalars of any magnitude keep their
precision or are refused, products past the modulus and scales too small to decrypt are
refused, 0-d / length-1 arrays are broadcast and shorter vectors are refused."""

import numpy as np
import pytest

from pyppml import ParameterError, ckks
from pyppml.ckks import precision_stats


def bits(ctx, ct, expected):
    return precision_stats(ctx.decrypt(ct), expected).min_bits


def rel_bits(ctx, ct, expected):
    """Precision relative to the size of the expected values."""
    scale = np.max(np.abs(expected))
    return precision_stats(ctx.decrypt(ct) / scale, expected / scale).min_bits


@pytest.fixture(scope="module")
def ctx40():
    c = ckks.Context(poly_degree=8192, coeff_mod_bits=[60, 40, 40], special_mod_bits=[60], scale_bits=40)
    c.keygen(rotations=[1], conjugate=False)
    return c


@pytest.mark.parametrize("product_log_scale", [80.5, 81.5])
def test_add_unrescaled_product_to_lower_level(ctx40, rng, product_log_scale):
    """Level 1 at 2^40 plus an unrescaled product at 2^80.5 / 2^81.5 (the review's case:
    the alignment factor rounded to 1 or 0, error 0.4 or the operand dropped)."""
    x, y, z = rng.uniform(-1, 1, (3, ctx40.slots))
    a = ctx40.encrypt(x, level=1)
    half = 2.0 ** (product_log_scale / 2)
    p = ctx40.encrypt(y, scale=half).multiply(ctx40.encrypt(z, scale=half)).relinearize()
    assert p.level == 2 and abs(np.log2(p.scale) - product_log_scale) < 1e-9
    assert bits(ctx40, a + p, x + y * z) > 15
    assert bits(ctx40, p - a, y * z - x) > 15
    assert bits(ctx40, p + ctx40.encrypt(x), x + y * z) > 15  # same level


def test_alignment_factor_that_loses_precision_is_refused(ctx40, rng):
    a = ctx40.encrypt(rng.uniform(-1, 1, ctx40.slots))
    with pytest.raises(ValueError, match=r"scale factor loses precision; expected target \* q_l / scale >= 2\^20"):
        a.times_scalar_to(1.0, 2.0 ** 18)


def test_scalars_of_any_magnitude(ctx, rng):
    x = rng.uniform(0.5, 1, ctx.slots)
    # Tiny and huge scalars change the result's scale and keep relative precision (before:
    # round(c * q_l) was 0 for 1e-13 and the products of 1e13 passed the modulus)...
    for c in (1e-13, -3e-9, 1e13):
        assert rel_bits(ctx, ctx.encrypt(x) * c, x * c) > 15, c
    # ... ordinary ones land on the next level's standard scale with CKKS's absolute precision.
    for c in (1e-4, -0.3, 7.0):
        ct = ctx.encrypt(x) * c
        assert ct.scale == ctx.level_scale(ct.level) and bits(ctx, ct, x * c) > 13, c
    assert rel_bits(ctx, ctx.encrypt(x) * (1e-13 + 1e-13j), x * 1e-13) > 15
    assert rel_bits(ctx, ctx.encrypt(x) * np.full(ctx.slots, 1e-12), x * 1e-12) > 15
    # back and forth keeps the values
    assert bits(ctx, (ctx.encrypt(x) * 1e-13) * 1e13, x) > 15
    assert bits(ctx, ctx.encrypt(x) * 1e-13 + ctx.encrypt(x), x) > 15


def test_scalar_beyond_the_headroom_is_refused(ctx_small, rng):
    ct = ctx_small.encrypt(rng.uniform(-1, 1, ctx_small.slots))
    with pytest.raises(ValueError, match="scalar is too large for this ciphertext's scale"):
        ct * 1e13


def test_multiply_past_the_modulus_is_refused(ctx, rng):
    """x^5 by unrescaled tensor products: 2^35 -> 2^175 over Q = 2^155 must raise, not
    decrypt to garbage; the last product that fits still decrypts."""
    x = rng.uniform(-1, 1, ctx.slots)
    ct = ctx.encrypt(x)
    p = ct
    for _ in range(3):
        p = p.multiply(ct).relinearize()
    assert np.log2(p.scale) == pytest.approx(140) and bits(ctx, p, x ** 4) > 12
    with pytest.raises(ValueError, match=r"multiply: product scale exceeds the modulus; expected scale <= Q_3 / 2"):
        p.multiply(ct)
    pt = ctx.encode(x, scale=2.0 ** 40)
    with pytest.raises(ValueError, match="multiply_plain: product scale exceeds the modulus"):
        p.multiply_plain(pt)


def test_rescale_of_fresh_ciphertext_is_refused(ctx, ctx_small, rng):
    for c in (ctx, ctx_small):
        ct = c.encrypt(rng.uniform(-1, 1, c.slots))
        with pytest.raises(ValueError, match="rescale: result scale is too small"):
            ct.rescale()


@pytest.mark.parametrize("scale", [2.0 ** -5, 1.0, 2.0 ** 10])
def test_encrypt_at_a_scale_too_small_is_refused(ctx, scale):
    with pytest.raises(ValueError, match=r"encode: scale is too small; expected scale >= 2\^16\.5"):
        ctx.encrypt([1.0, 2.0], scale=scale)


def test_encrypt_past_the_modulus_is_refused(ctx):
    with pytest.raises(ValueError, match=r"encrypt: plaintext scale exceeds the modulus; expected scale <= Q_0 / 2"):
        ctx.encrypt([0.5], level=0, scale=2.0 ** 50)


@pytest.mark.parametrize("operand", [np.array(2.5), np.array([2.5]), np.float64(2.5), 2.5])
def test_zero_d_and_length_one_arrays_broadcast(ctx, rng, operand):
    x = rng.uniform(-1, 1, ctx.slots)
    ct = ctx.encrypt(x)
    assert bits(ctx, ct * operand, 2.5 * x) > 13
    assert bits(ctx, operand * ct, 2.5 * x) > 13
    assert bits(ctx, ct + operand, x + 2.5) > 15
    assert bits(ctx, operand + ct, x + 2.5) > 15
    assert bits(ctx, ct - operand, x - 2.5) > 15
    assert bits(ctx, operand - ct, 2.5 - x) > 15


def test_complex_zero_d_array_broadcasts(ctx, rng):
    x = rng.uniform(-1, 1, ctx.slots)
    out = ctx.decrypt(ctx.encrypt(x) * np.array(1 + 2j), complex=True)
    assert precision_stats(out, x * (1 + 2j)).min_bits > 13


@pytest.mark.parametrize("length", [2, 100])
def test_short_vectors_refused_in_arithmetic(ctx, rng, length):
    ct = ctx.encrypt(rng.uniform(-1, 1, ctx.slots))
    v = np.ones(length)
    for op in (lambda: ct * v, lambda: ct + v, lambda: ct - v, lambda: v - ct, lambda: ct * list(v)):
        with pytest.raises(ValueError, match=rf"values has the wrong shape; expected a scalar or exactly {ctx.slots} values"):
            op()


def test_padding_on_request_through_encode(ctx, rng):
    x = rng.uniform(-1, 1, ctx.slots)
    pt = ctx.encode([2.0, 3.0], scale=float(ctx.coeff_moduli[ctx.max_level]))
    expected = np.zeros(ctx.slots)
    expected[:2] = x[:2] * [2.0, 3.0]
    assert bits(ctx, ctx.encrypt(x) * pt, expected) > 13


def test_levels_and_scales_that_disagree(ctx, rng):
    x, y = rng.uniform(-1, 1, (2, ctx.slots))
    a = ctx.encrypt(x, scale=2.0 ** 36)
    b = ctx.encrypt(y, level=1, scale=2.0 ** 34)
    assert bits(ctx, a + b, x + y) > 14
    assert bits(ctx, b - a, y - x) > 14
    c = ctx.encrypt(y, scale=2.0 ** 33.3)  # same level, other scale: both go down one level
    assert bits(ctx, a + c, x + y) > 14


def test_rotation_steps_must_be_integers(ctx40, rng):
    x = rng.uniform(-1, 1, ctx40.slots)
    ct = ctx40.encrypt(x)
    for steps in (1.5, "1", None):
        with pytest.raises(ValueError, match="steps is not an integer"):
            ct.rotate(steps)
    with pytest.raises(ValueError, match="steps is not an integer"):
        ct.rotate_many([1, 0.5])
    # steps wrap around the slots: rotations are cyclic
    assert bits(ctx40, ct.rotate(np.int64(1 + ctx40.slots)), np.roll(x, -1)) > 13


@pytest.mark.parametrize("value", [float("nan"), float("inf"), complex("nan+1j")])
def test_non_finite_operands_refused(ctx_small, value):
    ct = ctx_small.encrypt([1.0, 2.0])
    vec = np.full(ctx_small.slots, value)
    for op in (lambda: ct * value, lambda: ct + value, lambda: ct - value, lambda: ct * vec, lambda: ct + vec):
        with pytest.raises(ValueError, match="operand is not finite; expected finite values"):
            op()


def test_addends_beyond_the_headroom_refused(ctx_small):
    """At level 0 (Q_0 = 2^38, scale 2^28) a constant of 1e4 wraps modulo Q_0: refused."""
    ct = ctx_small.encrypt([1.0, 2.0]).drop_to_level(0)
    assert np.allclose(ctx_small.decrypt(ct + 100.0)[:2], [101, 102], atol=1e-3)
    with pytest.raises(ValueError, match=r"add: values exceed the integer headroom; expected \|value\| < Q_0 / \(2 scale\) = 2\^9\.0"):
        ct + 1e4
    with pytest.raises(ValueError, match="add: values exceed the integer headroom"):
        ct - np.full(ctx_small.slots, 1e4)


@pytest.mark.parametrize("value", [5e-324, 1e300])
def test_extreme_scalars_refused(ctx_small, value):
    ct = ctx_small.encrypt([1.0, 2.0])
    with pytest.raises(ValueError, match="multiply: scalar is too"):
        ct * value


def test_scale_limits_on_chains_longer_than_a_double():
    """n = 2^16 chains pass 1024 bits: the headroom checks work in log2 (no overflow)."""
    from pyppml.ckks.scales import check_scale as _check_scale, scale_limits

    c = ckks.Context(poly_degree=65536)
    assert c.log_qp > 1100
    lo, hi = scale_limits(c, c.max_level)
    assert lo == 2.0 ** 18 and hi == float("inf")
    _check_scale(c, "test", 2.0 ** 900, c.max_level)
    with pytest.raises(ValueError, match="scale exceeds the modulus"):
        _check_scale(c, "test", 2.0 ** 100, 1)


def test_plaintext_of_another_scale_is_refused(ctx40, rng):
    """ct + Plaintext at another scale used to add the encodings as they are (error ~1 at
    2^30 against 2^40, ~2^20 at 2^60); now it is a MismatchError, and the same scale works."""
    from pyppml import MismatchError

    x = rng.uniform(-1, 1, ctx40.slots)
    ct = ctx40.encrypt(x)
    for scale in (2.0 ** 30, 2.0 ** 60):
        pt = ctx40.encode(x, scale=scale)
        for op in (lambda: ct + pt, lambda: ct - pt, lambda: ct.add_plain(pt), lambda: ct.sub_plain(pt)):
            with pytest.raises(MismatchError, match="plaintext scale differs"):
                op()
    same = ctx40.encode(x, scale=ct.scale)
    assert bits(ctx40, ct + same, 2 * x) > 20 and bits(ctx40, ct - same, 0 * x) > 20


@pytest.mark.parametrize("stored_scale", [1e-300, 2.0 ** -5, 2.0 ** 300])
def test_loaded_scale_outside_the_arithmetic_range_is_refused(ctx40, stored_scale):
    """A stored scale that no operation can produce decodes to garbage (inf, 1e-79...):
    refused on load even with a valid checksum (the checksum is not a MAC)."""
    import struct

    from pyppml import FormatError
    from pyppml._core import he

    ct = ctx40.encrypt([0.5], symmetric=False)
    data = bytearray(ct.to_bytes()[:-8])
    at = bytes(data).find(struct.pack("<d", ct.scale))
    assert at > 0
    data[at:at + 8] = struct.pack("<d", stored_scale)
    data += he.checksum(bytes(data)).to_bytes(8, "little")
    with pytest.raises(FormatError, match="stored scale"):
        ckks.Ciphertext.from_bytes(bytes(data), ctx40)


def test_relabels_and_levels_are_checked():
    # with_scale(0) or NaN used to decrypt to NaN without a word, and drop_to_level(1.5)
    # dropped to level 1.
    ctx = ckks.Context(poly_degree=8192, coeff_mod_bits=[40, 30, 30], special_mod_bits=[40], scale_bits=30)
    ctx.keygen(rotations=[])
    x = ctx.encrypt([1.0, 2.0])
    for bad, shown in ((0.0, "got 0.0"), (-1.0, "got -1.0"), (float("nan"), "got nan")):
        with pytest.raises(ParameterError, match=f"with_scale: the new scale is too small.*{shown}"):
            x.with_scale(bad)
    with pytest.raises(ParameterError, match="with_scale: scale has the wrong type"):
        x.with_scale("2^28")
    with pytest.raises(ParameterError, match="with_scale: the new scale exceeds the modulus"):
        x.with_scale(2.0 ** 200)
    assert np.abs(ctx.decrypt(x.with_scale(x.scale * 2))[:2] - [0.5, 1.0]).max() < 1e-4
    for bad in (1.5, -1, 3, True):
        with pytest.raises(ParameterError, match=r"drop_to_level: level is invalid; expected an integer in \[0, 2\]"):
            x.drop_to_level(bad)
    for bad in (None, [1.0, 2.0]):
        with pytest.raises(ParameterError, match="decrypt: ciphertext has the wrong type; expected a Ciphertext"):
            ctx.decrypt(bad)
    for bad in (0, -1, 2.5):
        with pytest.raises(ParameterError, match="power: exponent is invalid; expected an integer >= 1"):
            ckks.power(x, bad)
    for fit in (ckks.chebyshev_coefficients, ckks.least_squares_coefficients):
        with pytest.raises(ParameterError, match="degree is invalid"):
            fit(np.tanh, -3, (-1, 1))
        with pytest.raises(ParameterError, match="interval is invalid; expected finite low < high"):
            fit(np.tanh, 3, (1, -1))


def test_precision_stats_never_compares_fewer_values_than_expected():
    # A decryption has every slot, so got may be longer; a shorter got would hide values
    # (3 equal values against 4 expected used to report 64 bits).
    assert precision_stats(np.ones(8), np.ones(4)).min_bits == 64.0
    assert precision_stats(np.array([1.0, 1.5]), np.array([1.0, 1.0])).min_bits == 1.0
    with pytest.raises(ParameterError, match="precision_stats: got has the wrong shape"):
        precision_stats(np.ones(3), np.ones(4))
