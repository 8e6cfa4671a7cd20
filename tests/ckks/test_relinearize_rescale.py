"""relinearize_rescale: the key switching's ModDown and the rescale that follows merged
(one transform per kept limb instead of three), rounding exactly as the two steps do:
the same ciphertext, bit for bit, with one special prime or several, one-prime digits or
several."""

import numpy as np
import pytest

from pyppml import ckks
from pyppml._core import he

pytestmark = pytest.mark.filterwarnings("ignore:.*security=None")  # small test rings


@pytest.mark.parametrize("special,dnum", [([60], 0), ([40, 40], 0), ([45, 45], 2), ([30, 30, 30], 2)],
                         ids=["p1", "p2", "p2-dnum2", "p3-dnum2"])
@pytest.mark.parametrize("level", [3, 2, 1])
def test_bit_identical_to_the_two_steps(level, special, dnum):
    ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[50, 30, 30, 30], special_mod_bits=special, dnum=dnum,
                       scale_bits=30, security=None)
    nat = ctx._native
    sk = nat.keygen_secret()
    pk, rk = nat.keygen_public(sk), nat.keygen_relin(sk)
    rng = np.random.default_rng(level)
    x, y = rng.uniform(-1, 1, (2, ctx.slots))
    a = nat.encrypt_public(pk, nat.encode_real(x, 2.0**30, level))
    b = nat.encrypt_public(pk, nat.encode_real(y, 2.0**30, level))
    c3 = nat.multiply(a, b)
    fused, steps = nat.relinearize_rescale(c3, rk), nat.rescale(nat.relinearize(c3, rk))
    assert he.save(nat, fused) == he.save(nat, steps)
    assert fused.level == level - 1 and fused.scale == steps.scale
    got = nat.decode(nat.decrypt(sk, fused)).real
    assert np.max(np.abs(got - x * y)) < 1e-4
    # A relinearized (2-component) input is only rescaled.
    two = nat.relinearize(c3, rk)
    assert he.save(nat, nat.relinearize_rescale(two, rk)) == he.save(nat, nat.rescale(two))


def test_operators_use_it_and_refuse_bad_input():
    ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[50, 30, 30], special_mod_bits=[60], scale_bits=30,
                       security=None)
    ctx.keygen()
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1, 1, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    prod = a * b
    assert prod.level == a.level - 1
    assert np.max(np.abs(ctx.decrypt(prod).real - x * y)) < 1e-4
    assert np.max(np.abs(ctx.decrypt(a.multiply(b).relinearize_rescale()).real - x * y)) < 1e-4
    low = prod * prod
    assert low.level == 0
    nat = ctx._native
    with pytest.raises(ValueError, match="level 0"):
        nat.relinearize_rescale(nat.multiply(low._native, low._native), ctx.relin_key)
