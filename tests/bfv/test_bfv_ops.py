"""Every BFV operation against NumPy integer arithmetic mod t, exactly."""

import numpy as np
import pytest

from pyppml import MismatchError, ParameterError, bfv

from bfv_reference import T, mulmod


def test_encode_decode_round_trip(ctx, rng):
    x = rng.integers(-10**9, 10**9, ctx.slots)
    assert np.array_equal(ctx.decode(ctx.encode(x)), x % T)
    signed = ctx.decode(ctx.encode(x), signed=True)
    assert signed.min() >= -(T // 2) and signed.max() <= T // 2 and np.array_equal(signed % T, x % T)
    c = rng.integers(0, T, ctx.poly_degree)
    assert np.array_equal(ctx.encode_coefficients(c).coefficients(), c)


@pytest.mark.parametrize("symmetric", [True, False], ids=["secret_key", "public_key"])
def test_encrypt_decrypt(ctx, rng, symmetric):
    x = rng.integers(0, T, ctx.slots)
    ct = ctx.encrypt(x, symmetric=symmetric)
    assert np.array_equal(ctx.decrypt(ct), x)
    short = ctx.decrypt(ctx.encrypt([5, -1, 7]))
    assert short[:3].tolist() == [5, T - 1, 7] and not short[3:].any()


def test_add_sub_negate(ctx, rng):
    x, y = rng.integers(0, T, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    assert np.array_equal(ctx.decrypt(a + b), (x + y) % T)
    assert np.array_equal(ctx.decrypt(a - b), (x - y) % T)
    assert np.array_equal(ctx.decrypt(-a), (-x) % T)
    assert np.array_equal(ctx.decrypt(a + y), (x + y) % T)
    assert np.array_equal(ctx.decrypt(a - y), (x - y) % T)
    assert np.array_equal(ctx.decrypt(y - a), (y - x) % T)
    assert np.array_equal(ctx.decrypt(a + 12345), (x + 12345) % T)
    assert np.array_equal(ctx.decrypt(a - 7), (x - 7) % T)


def test_multiply_relinearize_square(ctx, rng):
    x, y = rng.integers(0, T, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y, symmetric=False)
    three = a.multiply(b)
    assert three.size == 3
    assert np.array_equal(ctx.decrypt(three), mulmod(x, y))  # decrypts with s^2 too
    prod = three.relinearize()
    assert prod.size == 2 and np.array_equal(ctx.decrypt(prod), mulmod(x, y))
    assert np.array_equal(ctx.decrypt(a * b), mulmod(x, y))
    assert np.array_equal(ctx.decrypt(a.square()), mulmod(x, x))
    assert np.array_equal(ctx.decrypt(a * a), mulmod(x, x))


@pytest.mark.parametrize("chain", [([39] * 4, [60], 0), ([54] * 3, [60], 0), ([40] * 4, [40, 40], 2)],
                         ids=["ifma-primes", "54-bit-primes", "two-prime-digits"])
def test_fused_multiply_relinearize_same_bits_as_two_steps(chain, rng):
    """a * b and a.square() keep the product in coefficient form: the third component goes
    to the key switch as it is (one-prime digits), the first two are added inside ModDown
    before its transforms. The ciphertexts must be the very same as the two steps'."""
    q, p, dnum = chain
    c = bfv.Context(poly_degree=4096, plain_modulus=T, coeff_mod_bits=q, special_mod_bits=p, dnum=dnum,
                    security=None)  # small ring, long chain: CI speed, not security
    assert c._native.digits == (dnum or len(q))
    c.keygen()
    x, y = rng.integers(0, T, (2, c.slots))
    a, b = c.encrypt(x), c.encrypt(y, symmetric=False)
    fused, two_steps = a * b, a.multiply(b).relinearize()
    assert fused.to_bytes() == two_steps.to_bytes()
    assert np.array_equal(c.decrypt(fused), mulmod(x, y))
    low = a.mod_switch_to_next()  # one level down: the product's and key's limbs shift
    square_two_steps = low._wrap(low._bfv.square(low._native)).relinearize()
    assert low.square().to_bytes() == (low * low).to_bytes() == square_two_steps.to_bytes()
    assert np.array_equal(c.decrypt(low.square()), mulmod(x, x))


def test_multiply_plain_and_scalar(ctx, rng):
    x, y = rng.integers(0, T, (2, ctx.slots))
    a = ctx.encrypt(x)
    assert np.array_equal(ctx.decrypt(a * y), mulmod(x, y))
    assert np.array_equal(ctx.decrypt(a.multiply_plain(ctx.encode(y))), mulmod(x, y))
    for c in (0, 1, 3, T - 1, -5, 10**12):
        assert np.array_equal(ctx.decrypt(a * c), mulmod(x, c % T)), c
        assert np.array_equal(ctx.decrypt(c * a), mulmod(x, c % T)), c


def test_rotations_and_sum(ctx, rng):
    x = rng.integers(0, T, ctx.slots)
    h = ctx.row_size
    a = ctx.encrypt(x)
    rows = x.reshape(2, h)
    for k in (1, 2, 5, -1, -3, 1000, h - 1):  # 5, 1000: composed from power-of-two keys
        got = ctx.decrypt(a.rotate_rows(k)).reshape(2, h)
        assert np.array_equal(got, np.roll(rows, -k, axis=1)), k
    assert np.array_equal(ctx.decrypt(a.rotate_columns()).reshape(2, h), rows[::-1])
    total = int(x.sum() % T)
    assert np.array_equal(ctx.decrypt(a.sum_slots()), np.full(ctx.slots, total))


def test_chain_to_supported_depth(ctx, rng):
    """depth 3 on the 4 x 39-bit chain: x^8 * y exactly; then the budget runs out."""
    x, y = rng.integers(0, T, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    expect, ct = x % T, a
    for _ in range(3):
        ct = ct * ct
        expect = mulmod(expect, expect)
        assert np.array_equal(ctx.decrypt(ct), expect)
    # mixed chain: ((a*b + a) * 3 - b) * a * b
    e = mulmod(mulmod((mulmod(x, y) + x) * 3 - y, x), y)
    assert np.array_equal(ctx.decrypt(((a * b + a) * 3 - b) * a * b), e)


def test_mod_switch_keeps_message_and_shrinks(ctx, rng):
    x, y = rng.integers(0, T, (2, ctx.slots))
    a = ctx.encrypt(x) * ctx.encrypt(y)
    low = a.mod_switch_to(0)
    assert low.level == 0 and len(low.to_bytes()) < 0.3 * len(a.to_bytes())
    assert np.array_equal(ctx.decrypt(low), mulmod(x, y))
    # mixed levels: the higher operand is switched down
    b = ctx.encrypt(y)
    assert np.array_equal(ctx.decrypt(a.mod_switch_to_next() + b), (mulmod(x, y) + y) % T)
    with pytest.raises(ParameterError, match="level"):
        low.mod_switch_to_next()


def test_coefficient_encoder_any_t():
    ctx = bfv.Context(poly_degree=4096, plain_modulus=1 << 16, coeff_mod_bits=[35, 35], special_mod_bits=[35])
    assert not ctx.batching
    ctx.keygen(rotations=[], columns=False)
    rng = np.random.default_rng(7)
    n, t = ctx.poly_degree, 1 << 16
    a, b = rng.integers(0, t, (2, n))
    ca, cb = ctx.encrypt(ctx.encode_coefficients(a)), ctx.encrypt(ctx.encode_coefficients(b))
    # negacyclic product of the coefficient polynomials mod t (a sparse factor keeps
    # the reference fast)
    a_sparse = np.zeros(n, dtype=np.int64)
    a_sparse[[0, 3, 100, n - 1]] = [5, 7, t - 1, 2]
    ref = np.zeros(n, dtype=np.int64)
    for i in np.nonzero(a_sparse)[0]:
        rolled = np.roll(b, i)
        rolled[:i] *= -1
        ref = (ref + a_sparse[i] * rolled) % t
    prod = ctx.encrypt(ctx.encode_coefficients(a_sparse)) * cb
    assert np.array_equal(ctx.decrypt(prod), ref)
    assert np.array_equal(ctx.decrypt(ca + cb), (a + b) % t)
    with pytest.raises(ParameterError, match="batching"):
        ctx.encode([1, 2])
    # Without slots, values are never encoded as coefficients behind the caller's back (a
    # product would be a polynomial product, not a slot-wise one), and nothing rotates.
    with pytest.raises(ParameterError, match=r"encrypt: values need batching.*got t = 65536"):
        ctx.encrypt([1, 2, 3])
    with pytest.raises(ParameterError, match=r"multiply_plain: values need batching"):
        ca.multiply_plain(a)
    with pytest.raises(ParameterError, match=r"generate_rotation_keys: .*no slots.*got t = 65536"):
        ctx.generate_rotation_keys([1])
    with pytest.raises(ParameterError, match=r"rotate: .*no slots"):
        ca.rotate_rows(1)
    assert ctx.galois_keys is None  # keygen() made none by default
    # An integer is added to the polynomial's constant term (review: "every slot" was
    # claimed for a context without slots, which now has 0 of them).
    assert ctx.slots == 0
    shifted = ctx.decrypt(ca + 5)
    assert shifted[0] == (a[0] + 5) % t and np.array_equal(shifted[1:], a[1:] % t)


def test_ring_chosen_for_a_depth_keeps_batching():
    # t = 5 * 2^13 + 1 batches up to n = 4096. A depth that needs n = 8192 is refused
    # rather than silently switching to the coefficient encoding.
    t = 40961
    shallow = bfv.Context(plain_modulus=t, depth=1)
    assert (shallow.poly_degree, shallow.batching) == (4096, True)
    with pytest.raises(ParameterError, match=r"plain_modulus batches only up to n = 4096.*got 40961"):
        bfv.Context(plain_modulus=t, depth=2)
    # an explicit ring is the caller's choice (coefficient encoding), as is a t that never batches
    assert not bfv.Context(poly_degree=8192, plain_modulus=t, depth=2).batching
    assert not bfv.Context(plain_modulus=1 << 16, depth=2).batching


def test_errors(ctx, ctx_small, rng):
    a = ctx.encrypt([1, 2])
    with pytest.raises(MismatchError):
        a + ctx_small.encrypt([1])
    with pytest.raises(ParameterError, match="at most"):
        ctx.encrypt(np.zeros(ctx.slots + 1, dtype=np.int64))
    with pytest.raises(ParameterError, match="dtype"):
        ctx.encrypt([0.5])
    with pytest.raises(ParameterError, match="out of range"):
        bfv.Context(poly_degree=4096, plain_modulus=1 << 40, coeff_mod_bits=[35, 35], special_mod_bits=[35])
    with pytest.raises(ParameterError, match="security bound"):
        bfv.Context(poly_degree=4096, plain_modulus=T, coeff_mod_bits=[60, 60], special_mod_bits=[60])
    pub = ctx.make_public()
    with pytest.raises(ParameterError, match="secret key"):
        pub.decrypt(a)
    with pytest.raises(ParameterError, match="secret key"):
        pub.noise_budget(a)
    assert np.array_equal(ctx.decrypt(pub.encrypt([3, 4]))[:2], [3, 4])


def test_plain_modulus_bits_picks_a_batching_prime():
    ctx = bfv.Context(poly_degree=4096, plain_modulus_bits=20, depth=1)
    t = ctx.plain_modulus
    assert ctx.batching and t.bit_length() == 20 and t % 8192 == 1
    with pytest.raises(ParameterError, match="twice"):
        bfv.Context(poly_degree=4096, plain_modulus=T, plain_modulus_bits=20)


def test_multiply_plain_reuses_a_plaintext_across_levels_and_ciphertexts(ctx, rng):
    """A plaintext keeps its evaluation form after the first product: reusing it with other
    ciphertexts, at another level and back, and from several Python threads at once must
    give the same products as a fresh plaintext each time."""
    from concurrent.futures import ThreadPoolExecutor

    x, z, y = rng.integers(0, T, (3, ctx.slots))
    pt = ctx.encode(y)
    a, c = ctx.encrypt(x), ctx.encrypt(z)
    assert np.array_equal(ctx.decrypt(a.multiply_plain(pt)), mulmod(x, y))
    assert np.array_equal(ctx.decrypt(c.multiply_plain(pt)), mulmod(z, y))
    low = a.mod_switch_to(1)  # level 0 (39 bits) has no room for a product by a full plaintext
    assert np.array_equal(ctx.decrypt(low.multiply_plain(pt)), mulmod(x, y))
    assert np.array_equal(ctx.decrypt(c.multiply_plain(pt)), mulmod(z, y))
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda ct: ctx.decrypt(ct.multiply_plain(pt)), [a, low, c, low, a, c]))
    for got, want in zip(outs, [x, x, z, x, x, z]):
        assert np.array_equal(got, mulmod(want, y))
