"""Key switching through an auxiliary basis (csrc/he/rlwe/key_switch_aux.hpp) against the
direct product: the same key, the same input, the same bytes out, at every level, for
relinearization and rotations, BFV and CKKS, one and two special primes, any thread count,
and for keys that were serialized and loaded again. Small rings: the method is forced
('aux'), since the cost model only takes it for long chains (BFV at 2^15 and 2^16)."""

import numpy as np
import pytest

import pyppml
from pyppml import _core, bfv, ckks

T = 786433


@pytest.fixture
def aux_keys():
    """Keys generated under 'aux' carry their auxiliary rows; restored to 'auto' after."""
    _core.he.set_key_switch_method("aux")
    yield
    _core.he.set_key_switch_method("auto")


def switched_both_ways(fn):
    """fn() under the direct product and through the auxiliary bases, with proof that the
    second took that path."""
    _core.he.set_key_switch_method("direct")
    direct = fn()
    before = _core.he.aux_switch_count()
    _core.he.set_key_switch_method("aux")
    aux = fn()
    assert _core.he.aux_switch_count() > before, "the auxiliary path was not taken"
    return direct, aux


def bfv_context(special=(60,), bits=(50, 54, 54, 50, 54)):
    ctx = bfv.Context(poly_degree=4096, plain_modulus=T, coeff_mod_bits=list(bits), special_mod_bits=list(special),
                      security=None)
    ctx.keygen(rotations=[1, -3], columns=True)
    return ctx


@pytest.mark.parametrize("special", [(60,), (40, 40)], ids=["one_special", "two_special"])
def test_bfv_relinearize_and_rotate_identical(aux_keys, rng, special):
    ctx = bfv_context(special)
    assert ctx.relin_key.aux_nbytes > 0
    x, y = rng.integers(0, T, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    for level in range(ctx.max_level, -1, -1):
        al, bl = a.mod_switch_to(level), b.mod_switch_to(level)
        d, s = switched_both_ways(lambda: (al * bl).to_bytes())
        assert d == s, f"multiply + relinearize differs at level {level}"
        d, s = switched_both_ways(lambda: al.rotate_rows(-3).to_bytes())
        assert d == s, f"rotation differs at level {level}"
        d, s = switched_both_ways(lambda: al.rotate_columns().to_bytes())
        assert d == s, f"column swap differs at level {level}"
    _core.he.set_key_switch_method("aux")
    prod = a * b
    assert np.array_equal(ctx.decrypt(prod), x * y % T)
    assert np.array_equal(ctx.decrypt(a.rotate_rows(1)).reshape(2, -1), np.roll(x.reshape(2, -1), -1, axis=1))


def test_bfv_identical_for_every_thread_count(aux_keys, rng):
    ctx = bfv_context()
    a, b = (ctx.encrypt(v) for v in rng.integers(0, T, (2, ctx.slots)))
    previous = pyppml.get_num_threads()
    try:
        outs = []
        for threads in (1, 2, 3):
            pyppml.set_num_threads(threads)
            outs.append(switched_both_ways(lambda: ((a * b).to_bytes(), a.rotate_rows(1).to_bytes())))
    finally:
        pyppml.set_num_threads(previous)
    assert all(o == outs[0] for o in outs) and outs[0][0] == outs[0][1]


def test_loaded_keys_get_their_rows(aux_keys, rng):
    from pyppml.bfv.serialization import load_ciphertext

    ctx = bfv_context()
    again = bfv.Context.from_bytes(ctx.to_bytes(), min_security=None, allow_insecure=True)
    assert again.relin_key.aux_nbytes == ctx.relin_key.aux_nbytes > 0
    x, y = rng.integers(0, T, (2, ctx.slots))
    a, b = (load_ciphertext(ctx.encrypt(v).to_bytes(), again) for v in (x, y))
    d, s = switched_both_ways(lambda: ((a * b).to_bytes(), a.rotate_rows(1).to_bytes()))
    assert d == s
    assert np.array_equal(ctx.decrypt(load_ciphertext(d[0], ctx)), x * y % T)


@pytest.mark.parametrize("special", [(60,), (40, 40)], ids=["one_special", "two_special"])
def test_ckks_relinearize_rescale_and_rotate_identical(aux_keys, rng, special):
    ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[55, 40, 40, 40, 40], special_mod_bits=list(special),
                       security=None)
    ctx.keygen(rotations=[1, 5])
    assert ctx.relin_key.aux_nbytes > 0
    x, y = rng.uniform(-1, 1, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    for _ in range(3):
        d, s = switched_both_ways(lambda: (a.multiply(b).relinearize().to_bytes(),
                                           a.multiply(b).relinearize_rescale().to_bytes(), a.rotate(5).to_bytes()))
        assert d == s, f"differs at level {a.level}"
        a, b = a.multiply(b).relinearize_rescale(), b.multiply(b).relinearize_rescale()
        x, y = x * y, y * y
    _core.he.set_key_switch_method("aux")
    assert np.allclose(ctx.decrypt(a)[:64], x[:64], atol=1e-4)
    assert np.allclose(ctx.decrypt(a.rotate(1))[:64], np.roll(x, -1)[:64], atol=1e-4)


def test_auto_takes_the_basis_only_where_it_pays():
    _core.he.set_key_switch_method("auto")
    small = bfv.Context(poly_degree=4096, plain_modulus=T, coeff_mod_bits=[50, 54, 54], special_mod_bits=[60],
                        security=None)
    info = _core.he.aux_basis_info(small._native)
    assert info["available"] and not info["beneficial"]
    small.keygen(rotations=[1])
    assert small.relin_key.aux_nbytes == 0
    # SEAL's 2^15 chain (15 x 54-bit primes): chunks of a few primes, 50-bit auxiliary primes
    # enough for terms * n * q * C_k with room to spare.
    long = bfv.Context(poly_degree=1 << 15, plain_modulus=T, coeff_mod_bits=[54] * 15, special_mod_bits=[60],
                       security_standard="2018")
    info = _core.he.aux_basis_info(long._native)
    assert info["beneficial"] and sum(info["chunk_primes"]) == 16
    moduli = [int(m) for m in info["aux_moduli"]]
    assert all(m.bit_length() == 50 and m % (2 << 15) == 1 for m in moduli)
    q_max = max(long.coeff_moduli)
    start = 0
    qp = long.coeff_moduli + long.special_moduli
    for size, count in zip(info["chunk_primes"], info["aux_primes"]):
        chunk = int(np.prod([int(q) for q in qp[start:start + size]], dtype=object))
        r = int(np.prod(moduli[:count], dtype=object))
        assert r > 2 * 15 * (1 << 15) * (q_max // 2) * (chunk // 2), "R_k too small for exact sums"
        start += size


def test_method_names_are_checked():
    with pytest.raises(ValueError, match="set_key_switch_method: name is not a key-switching method"):
        _core.he.set_key_switch_method("fast")
    assert _core.he.get_key_switch_method() == "auto"


def test_keys_with_rows_drop_their_a_halves(rng):
    """The Q P a-halves come from the seed: a key with auxiliary rows keeps only its
    b-halves beside them (the direct product regenerates a, bit for bit), and it does not
    call itself compact."""
    _core.he.set_key_switch_method("direct")
    plain = bfv_context()
    _core.he.set_key_switch_method("aux")
    try:
        ctx = bfv_context()
        key = ctx.relin_key
        assert not key.compact and key.aux_nbytes > 0
        assert key.nbytes - key.aux_nbytes == plain.relin_key.nbytes // 2
        a, b = (ctx.encrypt(v) for v in rng.integers(0, T, (2, ctx.slots)))
        d, s = switched_both_ways(lambda: ((a * b).to_bytes(), a.rotate_rows(1).to_bytes()))
        assert d == s
    finally:
        _core.he.set_key_switch_method("auto")
