"""Parameters refused when insecure, keys of one context rejected by another, public
contexts, bad input messages."""

import warnings

import numpy as np
import pytest

from pyppml import ckks


def test_insecure_parameters_refused():
    with pytest.raises(ValueError, match=r"exceed the security bound; expected log2\(Q\*P\) <= 214"):
        ckks.Context(poly_degree=8192, coeff_mod_bits=[60] * 4, special_mod_bits=[60])
    # the 2018 standard allows a little more
    ckks.Context(poly_degree=16384, coeff_mod_bits=[55] + [40] * 8, special_mod_bits=[60], security_standard="2018")
    with pytest.raises(ValueError, match="exceed the security bound"):
        ckks.Context(poly_degree=16384, coeff_mod_bits=[55] + [40] * 8, special_mod_bits=[60])


def test_security_none_warns():
    with pytest.warns(UserWarning, match="security=None"):
        ckks.Context(poly_degree=1024, coeff_mod_bits=[40, 30], special_mod_bits=[40], security=None)


@pytest.mark.parametrize("kwargs,msg", [
    (dict(poly_degree=1000), "poly_degree is not a supported ring degree"),
    (dict(poly_degree=4096, coeff_mod_bits=[40, 30], special_mod_bits=[40], security=64), "security is not a supported level"),
    (dict(poly_degree=4096, coeff_mod_bits=[40, 30], special_mod_bits=[40], security=100), "security is not a supported level"),
    (dict(poly_degree=4096, coeff_mod_bits=[40, 30], special_mod_bits=[40], dnum=5), "dnum is out of range"),
    (dict(poly_degree=4096, scale_bits=70), "scale_bits is out of range"),
])
def test_bad_parameters(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        ckks.Context(**kwargs)


def test_keys_of_another_context_rejected(ctx_small):
    other = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    other.keygen()
    x = np.ones(4)
    a, b = ctx_small.encrypt(x), other.encrypt(x)
    with pytest.raises(ValueError, match="another key set"):
        a + b
    with pytest.raises(ValueError, match="another key set"):
        ctx_small.decrypt(b)
    different = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 27], special_mod_bits=[38], scale_bits=28)
    different.keygen()
    with pytest.raises(ValueError, match="other parameters"):
        ctx_small.decrypt(different.encrypt(x))


def test_public_context_cannot_decrypt(ctx_small):
    pub = ctx_small.make_public()
    assert not pub.is_private and pub.secret_key is None
    ct = pub.encrypt([1.0, 2.0])
    assert np.allclose(ctx_small.decrypt(ct)[:2], [1, 2], atol=1e-3)
    with pytest.raises(ValueError, match="no secret key"):
        pub.decrypt(ct)


def test_bad_values(ctx_small):
    with pytest.raises(ValueError, match="values are too many"):
        ctx_small.encode(np.zeros(ctx_small.slots + 1))
    with pytest.raises(ValueError, match="non-finite"):
        ctx_small.encode([1.0, np.nan])
    with pytest.raises(ValueError, match="wrong shape"):
        ctx_small.encode(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="too large for the scale"):
        ctx_small.encode([1e30])


def test_missing_rotation_key(ctx_small):
    c = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    c.keygen(rotations=[1], conjugate=False)
    ct = c.encrypt([1.0, 2.0, 3.0])
    assert np.allclose(c.decrypt(ct.rotate(1))[:2], [2.0, 3.0], atol=1e-2)
    with pytest.raises(ValueError, match="lack a key needed for this rotation"):
        ct.rotate(3)
    with pytest.raises(ValueError, match="conjugation key"):
        ct.conjugate()


@pytest.mark.parametrize("coeff, special", [([60, 40, 40], [30]), ([50, 40, 40, 40], [40])],
                         ids=["P30_below_q60", "P40_below_q50"])
def test_special_modulus_below_a_digit_is_refused_at_keygen(coeff, special):
    """Hybrid key switching divides a digit by P: with P a prime well below the largest data
    prime, rotations came out wrong by 7e2 (P = 2^30 against q_0 = 2^60) or 3e-4, silently."""
    from pyppml import ParameterError, ckks

    ctx = ckks.Context(poly_degree=8192, coeff_mod_bits=coeff, special_mod_bits=special, scale_bits=40)
    with pytest.raises(ParameterError, match="special_mod_bits is too small for key switching"):
        ctx.keygen(rotations=[1])


def test_special_modulus_of_the_largest_digit_rotates_exactly(rng):
    from pyppml import ckks
    from pyppml.ckks import precision_stats

    ctx = ckks.Context(poly_degree=8192, coeff_mod_bits=[60, 40, 40], special_mod_bits=[60], scale_bits=40)
    ctx.keygen(rotations=[1])
    x = rng.uniform(0, 1, ctx.slots)
    assert precision_stats(ctx.decrypt(ctx.encrypt(x).rotate(1)), np.roll(x, -1)).min_bits > 22


def test_rotation_error_has_no_fixed_spike():
    """Key-switching digits and the ModDown remainder are taken centred, and the remainder
    is converted exactly. With representatives in [0, q) and the approximate conversion,
    their biases turned the key's error into a low-frequency polynomial: the same few slots
    (those whose roots lie near +-1) erred by ~2e-7, 100x the median, on EVERY ciphertext
    of a key set, so two independent rotated encryptions of zero had errors correlated at
    0.5. Centred, the correlation is noise (|r| < 0.05 seen; 0.25 is > 7 sd), for one and
    for two special primes."""
    from pyppml import ckks

    for special in ([60], [60, 60]):
        ctx = ckks.Context(poly_degree=8192, coeff_mod_bits=[60, 40, 40], special_mod_bits=special, scale_bits=40,
                           security=None)
        ctx.keygen(rotations=[1])
        zero = np.zeros(ctx.slots)
        a, b = (ctx.decrypt(ctx.encrypt(zero).rotate(1)) for _ in range(2))
        assert abs(np.corrcoef(a, b)[0, 1]) < 0.25, special
