"""Double-hoisted baby steps (he.baby_step_sums): per group, sum_t rot(ct, b_t) * diag_t
with the baby rotations' inner products kept over Q*P and one ModDown per group."""

import warnings

import numpy as np
import pytest

from pyppml import ckks, ring
from pyppml._core import ParameterError
from pyppml._core import he as _he

BACKENDS = [b for b in ("scalar", "avx2", "avx512") if b in ring.available_backends()]
BABIES = [1, 2, 3]


@pytest.fixture(scope="module")
def ctx():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = ckks.Context(poly_degree=2048, coeff_mod_bits=[55, 45, 45, 45], special_mod_bits=[55, 55], dnum=2,
                         scale_bits=45, security=None)
    c.keygen(rotations=BABIES, compact_keys=False)
    return c


def _setup(ctx, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, ctx.slots) + 1j * rng.uniform(-1, 1, ctx.slots)
    diags = rng.uniform(-1, 1, (4, ctx.slots)) + 1j * rng.uniform(-1, 1, (4, ctx.slots))
    ct = ctx.encrypt(x)._native
    q = float(ctx.coeff_moduli[ct.level])
    enc = [_he.encode_hoisted_diagonal(ctx._native, d, q, ct.level) for d in diags]
    return x, diags, ct, q, enc


def _sums(ctx, ct, enc, gk=None):
    elts = [ctx.galois_element(b) for b in BABIES]
    # group 0: identity + babies 1 and 3; group 1: babies 2 and 3
    groups = [[(-1, enc[0]), (0, enc[1]), (2, enc[2])], [(1, enc[3]), (2, enc[0])]]
    return _he.baby_step_sums(ctx._native, ct, elts, gk or ctx.galois_keys, groups)


def test_sums_match_numpy(ctx):
    x, d, ct, q, enc = _setup(ctx)
    out = _sums(ctx, ct, enc)
    want = [d[0] * x + d[1] * np.roll(x, -1) + d[2] * np.roll(x, -3), d[3] * np.roll(x, -2) + d[0] * np.roll(x, -3)]
    for o, w in zip(out, want):
        got = ctx.decrypt(ckks.Ciphertext(ctx, ctx._native.rescale(o)), complex=True)
        assert np.abs(got - w).max() < 2.0 ** -20, np.abs(got - w).max()


def test_identity_group_equals_linear_sum_bit_for_bit(ctx):
    """P * c divided by P again is exact: without rotations the sum is the plain product."""
    x, d, ct, q, enc = _setup(ctx)
    out = _he.baby_step_sums(ctx._native, ct, [], ctx.galois_keys, [[(-1, enc[0])]])[0]
    ref = _he.linear_sum(ctx._native, [ct], [ctx._native.encode(d[0], q, ct.level)])
    assert _he.save(ctx._native, out) == _he.save(ctx._native, ref)


def test_linear_sum_reads_higher_ciphertexts_as_dropped(ctx):
    """A ciphertext above the plaintexts' level is read on their limbs: the same bytes as
    dropping it first; one below them is refused."""
    x, d, ct, q, enc = _setup(ctx)
    nat = ctx._native
    low = ct.level - 1
    pts = [nat.encode(d[0], q, low), nat.encode(d[1], q, low)]
    dropped = nat.drop_to_level(ct, low)
    ref = _he.linear_sum(nat, [dropped, dropped], pts)
    got = _he.linear_sum(nat, [ct, dropped], pts)
    assert got.level == low
    assert _he.save(nat, got) == _he.save(nat, ref)
    with pytest.raises(ParameterError, match="level >= "):
        _he.linear_sum(nat, [dropped], [nat.encode(d[0], q, ct.level)])


@pytest.mark.parametrize("backend", BACKENDS)
def test_constant_sum_equals_linear_sum_of_encoded_constants_bit_for_bit(ctx, backend):
    """EvalMod's leaves: constants weigh the limbs directly, the same bytes as the sum with
    encode_constant plaintexts (negative, large and tiny constants, higher ciphertexts read
    on the level's limbs) on every backend; a wrong constant gives other bytes."""
    x, d, ct, q, enc = _setup(ctx)
    nat = ctx._native
    low = ct.level - 1
    cts = [ct, nat.drop_to_level(ct, low), nat.multiply_integer(nat.drop_to_level(ct, low), 3)]
    values, scales = [0.37, -1.5e3, 2.0 ** -30], [q, q / 7.0, q * 2.0 ** 20]
    ref = _he.linear_sum(nat, cts, [nat.encode_constant(v, s, low) for v, s in zip(values, scales)])
    with ring.use_backend(backend):
        got = _he.linear_sum_constants(nat, cts, values, scales, low)
    assert got.level == low and got.scale == ref.scale
    assert _he.save(nat, got) == _he.save(nat, ref)
    other = _he.linear_sum_constants(nat, cts, [0.37, -1.5e3, 2.0 ** -29], scales, low)
    assert _he.save(nat, other) != _he.save(nat, ref)
    got = ctx.decrypt(ckks.Ciphertext(ctx, nat.rescale(_he.linear_sum_constants(nat, cts[:1], [0.37], [q], low))),
                      complex=True)
    assert np.abs(got - 0.37 * x).max() < 2.0 ** -20


def test_constant_sum_refuses_bad_input(ctx):
    x, d, ct, q, enc = _setup(ctx)
    nat = ctx._native
    with pytest.raises(ParameterError, match="values"):
        _he.linear_sum_constants(nat, [ct, ct], [1.0], [q, q], ct.level)
    with pytest.raises(ParameterError, match="level >= "):
        _he.linear_sum_constants(nat, [nat.drop_to_level(ct, ct.level - 1)], [1.0], [q], ct.level)
    with pytest.raises(ParameterError, match="too large"):
        _he.linear_sum_constants(nat, [ct], [1e300], [q], ct.level)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_and_compact_keys_give_the_same_sums(ctx, backend):
    x, d, ct, q, enc = _setup(ctx)
    ref = [_he.save(ctx._native, c) for c in _sums(ctx, ct, enc)]
    compact = _he.load_galois_keys(ctx._native, ctx.key_to_bytes(ctx.galois_keys), compact=True)
    with ring.use_backend(backend):
        got = [_he.save(ctx._native, c) for c in _sums(ctx, ct, enc, compact)]
    assert got == ref


def test_bad_terms_are_refused(ctx):
    x, d, ct, q, enc = _setup(ctx)
    elts = [ctx.galois_element(1)]
    with pytest.raises(ParameterError, match="baby"):
        _he.baby_step_sums(ctx._native, ct, elts, ctx.galois_keys, [[(1, enc[0])]])
    low = _he.encode_hoisted_diagonal(ctx._native, d[0], q, ct.level - 1)
    with pytest.raises(ParameterError, match="level"):
        _he.baby_step_sums(ctx._native, ct, elts, ctx.galois_keys, [[(0, low)]])
    with pytest.raises(ParameterError, match="lack the key"):
        _he.baby_step_sums(ctx._native, ct, [ctx.galois_element(5)], ctx.galois_keys, [[(0, enc[0])]])
    with pytest.raises(ParameterError, match="empty group"):
        _he.baby_step_sums(ctx._native, ct, elts, ctx.galois_keys, [[]])


def test_groups_do_not_depend_on_each_other_across_chunks():
    """Babies are formed a chunk of coefficients at a time and multiplied by every group's
    diagonals at once: at 2^13 (several chunks and ranges per limb) each group's sum is the
    same bytes alone as beside the others, and matches NumPy."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        big = ckks.Context(poly_degree=8192, coeff_mod_bits=[55, 45, 45], special_mod_bits=[55, 55], dnum=2,
                           scale_bits=45, security=None)
    big.keygen(rotations=BABIES)
    x, d, ct, q, enc = _setup(big)
    together = [_he.save(big._native, c) for c in _sums(big, ct, enc)]
    elts = [big.galois_element(b) for b in BABIES]
    alone = [_he.save(big._native, _he.baby_step_sums(big._native, ct, elts, big.galois_keys, [g])[0])
             for g in ([(-1, enc[0]), (0, enc[1]), (2, enc[2])], [(1, enc[3]), (2, enc[0])])]
    assert together == alone
    got = big.decrypt(ckks.Ciphertext(big, big._native.rescale(_sums(big, ct, enc)[1])), complex=True)
    assert np.abs(got - (d[3] * np.roll(x, -2) + d[0] * np.roll(x, -3))).max() < 2.0 ** -20


@pytest.mark.parametrize("backend", BACKENDS)
def test_tensor_sum_equals_separate_operations_bit_for_bit(ctx, backend):
    """EvalMod's products: factor * sum a_k (x) b_k - g * t in one pass is the bytes of the
    products, multiply_integer, add and sub on dropped copies, on every backend; operands
    above the level are read on its limbs; another factor gives other bytes."""
    x, d, ct, q, enc = _setup(ctx)
    nat = ctx._native
    low = ct.level - 1
    other = nat.multiply_integer(ct, 5)
    drop = lambda c: nat.drop_to_level(c, low)
    ref = nat.add(nat.multiply(drop(ct), drop(other)), nat.multiply(drop(other), drop(other)))
    ref = nat.sub(nat.multiply_integer(ref, 2), nat.multiply_integer(drop(ct), 12345))
    with ring.use_backend(backend):
        got = _he.tensor_sum(nat, [ct, other], [other, other], low, 2, ct, 12345)
    assert got.size == 3 and got.level == low and got.scale == ct.scale * other.scale
    assert _he.save(nat, got) == _he.save(nat, ref)
    added = _he.tensor_sum(nat, [drop(ct)], [drop(ct)], low, 1, drop(other), -1)
    assert _he.save(nat, added) == _he.save(nat, nat.add(nat.multiply(drop(ct), drop(ct)), drop(other)))
    tripled = _he.tensor_sum(nat, [ct, other], [other, other], low, 3, ct, 12345)
    assert _he.save(nat, tripled) != _he.save(nat, ref)
    ref3 = nat.add(nat.multiply(drop(ct), drop(other)), nat.multiply(drop(other), drop(other)))
    ref3 = nat.sub(nat.multiply_integer(ref3, 3), nat.multiply_integer(drop(ct), 12345))
    assert _he.save(nat, tripled) == _he.save(nat, ref3)


def test_tensor_sum_refuses_bad_input(ctx):
    x, d, ct, q, enc = _setup(ctx)
    nat = ctx._native
    with pytest.raises(ParameterError, match="rights"):
        _he.tensor_sum(nat, [ct, ct], [ct], ct.level)
    with pytest.raises(ParameterError, match="level >= "):
        _he.tensor_sum(nat, [nat.drop_to_level(ct, ct.level - 1)], [ct], ct.level)
    with pytest.raises(ParameterError, match="size"):
        _he.tensor_sum(nat, [nat.multiply(ct, ct)], [ct], ct.level)


@pytest.mark.parametrize("constant", [123456789, -987654321])
def test_constants_ride_on_the_sums_bit_for_bit(ctx, constant):
    """EvalMod's c_0 terms and the -1 of T_2k: an integer constant added by tensor_sum and
    linear_sum_constants is the bytes of add_plain with that constant encoded (at scale 1);
    another constant gives other bytes."""
    x, d, ct, q, enc = _setup(ctx)
    nat = ctx._native
    low = ct.level - 1
    plain = nat.encode_constant(float(constant), 1.0, low)
    ref = nat.add_plain(_he.tensor_sum(nat, [ct], [ct], low, 2), plain)
    got = _he.tensor_sum(nat, [ct], [ct], low, 2, constant=constant)
    assert _he.save(nat, got) == _he.save(nat, ref)
    assert _he.save(nat, _he.tensor_sum(nat, [ct], [ct], low, 2, constant=constant + 1)) != _he.save(nat, ref)
    ref = nat.add_plain(_he.linear_sum_constants(nat, [ct], [0.37], [q], low), plain)
    got = _he.linear_sum_constants(nat, [ct], [0.37], [q], low, constant)
    assert _he.save(nat, got) == _he.save(nat, ref)
