"""No silent wrong answers from BFV operands (issue 12, defect 8): 0-d and length-1
arrays are constants in every slot (they were zero-padded: ``ct * np.array(2)`` gave
[2x_0, 0, 0, ...]), other vectors must have n entries (padding only through encode()),
non-integers and fractional rotations are refused, and products past the noise budget
raise instead of decrypting to garbage."""

import numpy as np
import pytest

from pyppml import bfv

from bfv_reference import T, mulmod


@pytest.mark.parametrize("operand", [np.array(3), np.array([3]), np.int64(3), 3, np.uint64(3)],
                         ids=["0d", "len1", "np_int64", "int", "np_uint64"])
def test_zero_d_and_length_one_arrays_are_scalars(ctx_small, rng, operand):
    x = rng.integers(0, T, ctx_small.slots)
    ct = ctx_small.encrypt(x)
    assert np.array_equal(ctx_small.decrypt(ct * operand), mulmod(x, 3))
    assert np.array_equal(ctx_small.decrypt(operand * ct), mulmod(x, 3))
    assert np.array_equal(ctx_small.decrypt(ct + operand), (x + 3) % T)
    assert np.array_equal(ctx_small.decrypt(operand + ct), (x + 3) % T)
    assert np.array_equal(ctx_small.decrypt(ct - operand), (x - 3) % T)
    assert np.array_equal(ctx_small.decrypt(operand - ct), (3 - x) % T)


@pytest.mark.parametrize("length", [2, 100])
def test_short_vectors_refused_in_arithmetic(ctx_small, rng, length):
    ct = ctx_small.encrypt(rng.integers(0, T, ctx_small.slots))
    v = np.ones(length, dtype=np.int64)
    for op in (lambda: ct * v, lambda: ct + v, lambda: ct - v, lambda: v - ct, lambda: ct * list(v)):
        with pytest.raises(ValueError, match=rf"values has the wrong shape; expected an integer or exactly {ctx_small.slots} values"):
            op()


def test_padding_on_request_through_encode(ctx_small, rng):
    x = rng.integers(0, T, ctx_small.slots)
    out = ctx_small.decrypt(ctx_small.encrypt(x) * ctx_small.encode([2, 3]))
    expected = np.zeros(ctx_small.slots, dtype=np.int64)
    expected[:2] = mulmod(x[:2], [2, 3])
    assert np.array_equal(out, expected)


@pytest.mark.parametrize("operand", [2.5, np.array(2.0), np.array([2.0]), 1 + 2j])
def test_non_integer_operands_refused(ctx_small, operand):
    ct = ctx_small.encrypt([1, 2, 3])
    for op in (lambda: ct * operand, lambda: ct + operand, lambda: ct - operand):
        with pytest.raises(ValueError, match="operand has the wrong dtype; expected an integer"):
            op()


def test_scalars_beyond_t_wrap_mod_t(ctx_small, rng):
    """Plaintext arithmetic is modulo t by definition: huge and negative constants are
    reduced exactly (no int64 overflow on the way)."""
    x = rng.integers(0, T, ctx_small.slots)
    ct = ctx_small.encrypt(x)
    big = 2 ** 100 + 5
    assert np.array_equal(ctx_small.decrypt(ct * big), mulmod(x, big % T))
    assert np.array_equal(ctx_small.decrypt(ct + big), (x + big % T) % T)
    assert np.array_equal(ctx_small.decrypt(ct * -(T + 2)), mulmod(x, (-(T + 2)) % T))


def test_products_past_the_noise_budget_raise(ctx_small, rng):
    """Plaintext products with full-size values until the budget runs out: every step
    decrypts exactly or raises DecryptionError, and the budget does run out."""
    x = rng.integers(0, T, ctx_small.slots)
    ct, expected = ctx_small.encrypt(x), x
    for _ in range(6):
        r = rng.integers(0, T, ctx_small.slots)
        ct, expected = ct * r, mulmod(expected, r)
        try:
            out = ctx_small.decrypt(ct)
        except bfv.DecryptionError:
            return
        assert np.array_equal(out, expected)
    pytest.fail("six full-size plaintext products never exhausted the noise budget")


def test_rotation_steps(ctx_small, rng):
    x = rng.integers(0, T, ctx_small.slots)
    ct = ctx_small.encrypt(x)
    row = ctx_small.row_size
    rows = x.reshape(2, row)
    for steps in (1.5, "1", None):
        with pytest.raises(ValueError, match="rotate_rows: steps is not an integer"):
            ct.rotate_rows(steps)
    # steps wrap around a row: rotations are cyclic
    for steps in (row + 1, -1, np.int64(3)):
        assert np.array_equal(ctx_small.decrypt(ct.rotate_rows(steps)), np.roll(rows, -int(steps), axis=1).ravel())


@pytest.mark.parametrize("values", [[2 ** 70, 1.5, 2.9], [1, -2.9], [2 ** 70, np.float64(3.0)]],
                         ids=["floats", "negative_float", "numpy_float"])
def test_object_arrays_with_non_integers_are_refused(ctx_small, values):
    """Object arrays (big ints) went through int(), which truncated 1.5 to 1 silently."""
    arr = np.array(values, dtype=object)
    with pytest.raises(ValueError, match="non-integer entry"):
        ctx_small.encrypt(arr)
    assert ctx_small.decrypt(ctx_small.encrypt(np.array([2 ** 70, 3], dtype=object)))[1] == 3
