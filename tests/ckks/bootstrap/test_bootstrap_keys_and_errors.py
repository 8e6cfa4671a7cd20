"""Bootstrapping's keys (the sparse-secret encapsulation, what they reveal, their bytes)
and its refusals."""

import pickle
import warnings

import numpy as np
import pytest
from bootstrap_helpers import make, precision_bits
from scipy import stats

from pyppml import ckks, ring
from pyppml._core import FormatError, MismatchError, ParameterError
from pyppml._core import he as _he
from pyppml.ckks.bootstrap import BootstrapKeyError


def _overflow(ctx, ct, encapsulate: bool) -> int:
    """max |I| of ModRaise's m + q_0 I, with or without the ephemeral sparse secret."""
    native, keys = ctx._native, ctx._bootstrap_keys
    c = _he.switch_secret(native, ct._native, keys[0]) if encapsulate else ct._native
    c = _he.mod_raise(native, c, ctx.max_level)
    if encapsulate:
        c = _he.switch_secret(native, c, keys[1])
    t = native.decode_coefficients(native.decrypt(ctx.secret_key, c))
    m = native.decode_coefficients(native.decrypt(ctx.secret_key, ct._native))
    return int(np.max(np.abs(np.round((t - m) / float(ctx.coeff_moduli[0])))))


def test_encapsulation_keeps_the_overflow_in_evalmod_range(full_ctx, rng):
    """With h = 32 the overflow stays within K = 16; under the dense secret (n/2 nonzero
    coefficients of ~2n/3) it does not: the test can tell the two apart."""
    ctx = full_ctx
    k = ctx.bootstrap_info()["eval_mod"]["k"]
    ct = ctx.encrypt(rng.uniform(-1, 1, ctx.slots)).drop_to_level(0)
    assert _overflow(ctx, ct, True) <= k
    assert _overflow(ctx, ct, False) > k


def test_dense_to_sparse_key_exists_only_modulo_q0_p(full_ctx):
    """The key s -> s' is an RLWE sample under the sparse secret: only its q_0 and P rows
    may be nonzero (a full-chain key is the weakness Lattigo fixed in v6.1.1)."""
    ctx = full_ctx
    to_sparse, to_dense = ctx._bootstrap_keys
    q_count = len(ctx.coeff_moduli)
    allowed = {(0, 0)} | {(0, q_count + k) for k in range(len(ctx.special_moduli))}
    assert set(_he.key_nonzero_rows(ctx._native, to_sparse)) == allowed
    assert len(_he.key_nonzero_rows(ctx._native, to_dense)) > len(allowed)


def test_context_bytes_and_pickle_keep_the_plan_and_keys(full_ctx, rng):
    ctx = full_ctx
    pub = ckks.Context.from_bytes(ctx.to_bytes(), min_security=None, allow_insecure=True)
    assert pub.is_bootstrappable and pub.secret_key is None
    # Rotation and ephemeral keys compact, the relinearization key (34 uses per
    # bootstrap) expanded, as made and as received.
    for c in (ctx, pub):
        assert c.compact_keys and c._bootstrap_keys[0].compact and not c.relin_key.compact
    info = ctx.bootstrap_info()["key_bytes"]
    assert info["relinearization"] == ctx.relin_key.nbytes == 2 * ctx._bootstrap_keys[0].nbytes
    x = rng.uniform(-1, 1, ctx.slots)
    ct = ckks.Ciphertext.from_bytes(ctx.encrypt(x).drop_to_level(0).to_bytes(), pub)
    refreshed = ckks.Ciphertext.from_bytes(ct.bootstrap().to_bytes(), ctx)
    assert precision_bits(ctx.decrypt(refreshed), x)[0] >= 17
    again = pickle.loads(pickle.dumps(pub))
    assert again.is_bootstrappable and again._bootstrap_keys is not None
    bare = ckks.Context.from_bytes(ctx.to_bytes(include_public_keys=False), min_security=None, allow_insecure=True)
    assert bare.is_bootstrappable and bare._bootstrap_keys is None


def test_corrupted_bootstrap_part_is_refused(full_ctx):
    data = bytearray(full_ctx.to_bytes(include_public_keys=False))
    # The configuration sits right after the scale in the last part; a wrong slot count
    # no longer matches the chain. The checksum is recomputed so the parser sees it.
    pos = data.rfind(b"BOT2")
    data[pos + 8:pos + 12] = (3).to_bytes(4, "little")
    from pyppml._core import he
    body = bytes(data[:-8])
    data = body + he.checksum(body).to_bytes(8, "little")
    with pytest.raises(FormatError):
        ckks.Context.from_bytes(data, min_security=None, allow_insecure=True)


@pytest.mark.parametrize("field,value,match", [
    (6, 2**31 - 1, "k is out of range"),            # a range of 2^31: bootstraps wrong by 90, silently
    (6, 24, "too far from the sine"),               # in range, but the degree-55 cosine misses it (2^-17.7)
    (7, 2**31 - 1, "degree is out of range"),       # a 16 GiB allocation
    (8, 65536, "double_angle is out of range"),     # an OverflowError
    (2, 2**31 - 1, "cts_levels is out of range"),   # a MemoryError
    (4, 2**31 - 1, "scale_bits is out of range"),
    (1, 2**20, "slots is out of range"),
])
def test_bootstrap_configuration_fields_are_checked_before_use(full_ctx, field, value, match):
    """Fix review: the configuration's int32 fields came from the bytes unchecked (the
    checksum is no MAC). Each is range-checked before anything is built, and the sine's
    polynomial must approximate it to 2^-30 of q_0."""
    from pyppml._core import he

    data = bytearray(full_ctx.to_bytes(include_public_keys=False))
    pos = data.rfind(b"BOT2") + 4 + 4 * field
    data[pos:pos + 4] = value.to_bytes(4, "little", signed=True)
    body = bytes(data[:-8])
    with pytest.raises(FormatError, match=f"invalid bootstrap configuration.*{match}"):
        ckks.Context.from_bytes(body + he.checksum(body).to_bytes(8, "little"), min_security=None, allow_insecure=True)


def test_bootstrap_keys_of_another_key_set_are_refused_on_load(full_ctx):
    # They loaded and were refused only at the first bootstrap (MismatchError).
    other = ckks.Context.bootstrappable(poly_degree=full_ctx.poly_degree, security=None,
                                        levels_after=full_ctx._bootstrap_plan.config.levels_after,
                                        slots=full_ctx._bootstrap_plan.config.slots)
    other.keygen(bootstrapping=True)
    mixed = ckks.Context.from_bytes(full_ctx.to_bytes(), min_security=None, allow_insecure=True)
    mixed._bootstrap_keys = other._bootstrap_keys
    with pytest.raises(FormatError, match="mixes keys of different key sets"):
        ckks.Context.from_bytes(mixed.to_bytes(), min_security=None, allow_insecure=True)


def test_refusals(full_ctx, rng):
    ctx = full_ctx
    x = rng.uniform(-1, 1, ctx.slots)
    plain = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    plain.keygen(rotations=[1])
    with pytest.raises(ParameterError, match="not bootstrappable"):
        plain.encrypt(np.zeros(plain.slots)).bootstrap()
    with pytest.raises(ParameterError, match="bootstrapping is not available"):
        plain.keygen(bootstrapping=True)
    ct = ctx.encrypt(x)
    with pytest.raises(ParameterError, match="not relinearized"):
        ct.multiply(ct).bootstrap()
    high = ctx.encrypt(x, level=ctx.max_level, scale=2.0 ** 40)
    with pytest.raises(ParameterError, match="outside the user levels"):
        high.bootstrap()
    with pytest.raises(ParameterError, match="scale is too large"):
        ctx.encrypt(x, level=0, scale=float(ctx.coeff_moduli[0]) / 4).bootstrap()
    other = make(2048)  # same parameters, another key set
    with pytest.raises(MismatchError, match="another key set"):
        ckks.Ciphertext(ctx, other.encrypt(x)._native).bootstrap()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nokeys = ckks.Context.bootstrappable(levels_after=2, poly_degree=2048, security=None)
    nokeys.keygen()
    with pytest.raises(BootstrapKeyError, match="no bootstrapping keys"):
        nokeys.encrypt(x).bootstrap()
    pub = ctx.make_public()
    pub.galois_keys = None
    with pytest.raises(BootstrapKeyError, match="lack rotation keys"):
        ckks.Ciphertext(pub, ctx.encrypt(x)._native).bootstrap()
    with pytest.raises(ParameterError, match="levels_after"):
        ckks.Context.bootstrappable(levels_after=0, poly_degree=2048, security=None)
    with pytest.raises(ParameterError, match="slots"):
        ckks.Context.bootstrappable(levels_after=2, slots=3, poly_degree=2048, security=None)


def test_stc_first_plan_sits_at_the_bottom_and_refuses_lower_inputs(full_stc_ctx, rng):
    """SlotsToCoeffs first: its transforms are encoded on levels stc..1 (the cheap end of
    the chain), the output sits stc levels above levels_after, and an input below stc
    (too few levels for SlotsToCoeffs) is refused with the allowed range."""
    ctx = full_stc_ctx
    info, plan = ctx.bootstrap_info(), ctx._bootstrap_plan
    stc = info["level_budget"][1]
    assert plan.stc_levels == list(range(stc, 0, -1))
    assert info["min_input_level"] == stc and info["output_level"] == info["levels_after"] + stc
    assert ctx.encrypt(np.zeros(ctx.slots)).level == info["output_level"]
    low = ctx.encrypt(rng.uniform(-1, 1, ctx.slots)).drop_to_level(stc - 1)
    with pytest.raises(ParameterError, match=f"expected {stc} <= level <= {info['output_level']}.*got {stc - 1}"):
        low.bootstrap()
    with pytest.raises(ParameterError, match="stc_first"):
        ckks.Context.bootstrappable(levels_after=2, poly_degree=2048, security=None, stc_first=1)


def test_stc_first_context_round_trips_and_legacy_bytes_load(full_stc_ctx, full_ctx, rng):
    x = rng.uniform(-1, 1, full_stc_ctx.slots)
    pub = ckks.Context.from_bytes(full_stc_ctx.to_bytes(), min_security=None, allow_insecure=True)
    assert pub.bootstrap_info()["stc_first"]
    ct = ckks.Ciphertext.from_bytes(full_stc_ctx.encrypt(x).drop_to_level(pub.bootstrap_info()["min_input_level"]).to_bytes(), pub)
    out = ckks.Ciphertext.from_bytes(ct.bootstrap().to_bytes(), full_stc_ctx)
    assert precision_bits(full_stc_ctx.decrypt(out), x)[0] >= 17
    # A bootstrap part of the ten-field layout (before stc_first existed) loads as
    # ModRaise first.
    import struct

    from pyppml.ckks.bootstrap import serialization
    cfg = full_ctx._bootstrap_plan.config
    old = ckks.Context.from_bytes(full_ctx.to_bytes(include_public_keys=False), min_security=None, allow_insecure=True)
    serialization.load(old, b"BOOT" + struct.pack("<10i", *cfg.to_tuple()[:10]) + bytes(16))
    assert old._bootstrap_plan.config == cfg and not old.bootstrap_info()["stc_first"]
    with pytest.raises(FormatError, match="bootstrap configuration"):
        serialization.load(old, b"BOT2" + struct.pack("<11i", *cfg.to_tuple()[:10], 2) + bytes(16))


def test_default_parameters_are_128_bit_at_2_16():
    ctx = ckks.Context.bootstrappable()
    info = ctx.bootstrap_info()
    assert ctx.poly_degree == 65536 and ctx.security == 128
    assert info["levels_after"] == 10 and info["slots"] == 32768
    assert ctx.log_qp <= 1747  # the 2024 table's bound at n = 2^16
    assert info["log_q0p"] < 400


def _with_weight(data: bytes, weight: int) -> bytes:
    """Context bytes with the plan's sparse-secret weight replaced (the sixth int32 of the
    configuration after b"BOT2"), the checksum recomputed so that the parser sees it."""
    data = bytearray(data)
    pos = data.rfind(b"BOT2") + 4 + 5 * 4
    data[pos:pos + 4] = weight.to_bytes(4, "little", signed=True)
    body = bytes(data[:-8])
    return body + _he.checksum(body).to_bytes(8, "little")


def test_sparse_secret_outside_its_security_argument_is_refused():
    """Review: ephemeral_weight=1 was accepted at security=128, and the public key s -> s'
    then gave the secret away (2n guesses of s' = +-X^k, each checked by rounding a key
    switch of (0, Delta) to a ternary vector: the main secret). A weight below 32, or a
    key modulus q_0 P beyond the ~360 bits the argument covers (dnum=1: ~1400 bits), is
    refused with a security level, from the constructor and from bytes; security=None
    keeps small weights for tests."""
    with pytest.raises(ParameterError, match="ephemeral_weight is below the secure minimum"):
        ckks.Context.bootstrappable(ephemeral_weight=1)
    with pytest.raises(ParameterError, match="log2\\(q_0 P\\)"):
        ckks.Context.bootstrappable(dnum=1)
    secure = ckks.Context.bootstrappable().to_bytes(include_public_keys=False)  # N = 2^16, no keys: cheap
    assert ckks.Context.from_bytes(secure, max_poly_degree=1 << 16).bootstrap_info()["log_q0p"] <= 380
    for weight in (1, 31, 0, 1 << 30):
        with pytest.raises(FormatError, match="ephemeral_weight"):
            ckks.Context.from_bytes(_with_weight(secure, weight), max_poly_degree=1 << 16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = ckks.Context.bootstrappable(levels_after=2, slots=8, poly_degree=2048, security=None, ephemeral_weight=1)
    assert small.bootstrap_info()["ephemeral_weight"] == 1


def test_sparse_key_beyond_its_argument_is_refused_at_higher_security_and_weight():
    """Review 2026-12-08: bootstrappable(security=256) built h = 32 at log2(q_0 P) = 357
    (a meet-in-the-middle search on the s -> s' key alone costs ~2^229), and weights up
    to 64 were accepted while EvalMod approximates the sine on |I| <= 16 only
    (|I| <= (h + 1) / 2: at h = 64 a 2^16 bootstrap came out wrong with probability
    2^-32). Both are refused, from the constructor and from bytes."""
    for security in (192, 256):
        with pytest.raises(ParameterError, match=f"security is above what the sparse-secret key is argued for.*got {security}"):
            ckks.Context.bootstrappable(levels_after=1, security=security)
    for weight in (33, 64):
        with pytest.raises(ParameterError, match="ephemeral_weight is out of range; expected 1 <= h <= 32"):
            ckks.Context.bootstrappable(ephemeral_weight=weight)
    secure = ckks.Context.bootstrappable().to_bytes(include_public_keys=False)
    with pytest.raises(FormatError, match="ephemeral_weight"):
        ckks.Context.from_bytes(_with_weight(secure, 64), max_poly_degree=1 << 16)


# ------------------------------------------------------------------ the sparse secret itself
def _sparse_ctx():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # security=None: only the ring and QP primes are used
        return ckks.Context(poly_degree=2048, coeff_mod_bits=[40, 30], special_mod_bits=[40], scale_bits=30,
                            security=None)


def _sparse_secret(ctx, weight) -> np.ndarray:
    """Coefficients of one sparse secret, drawn by keygen_ephemeral's sampler (test hook),
    checked to be the same small vector modulo every prime of QP."""
    s = np.asarray(_he._sample_sparse_ternary_for_tests(ctx._native, weight).coeffs)
    rows = []
    for row, q in zip(s, ctx.coeff_moduli + ctx.special_moduli):
        v = ring.NttTables(ctx.poly_degree, q).inverse(row).astype(np.int64)
        rows.append(np.where(v > q // 2, v - q, v))
    assert all(np.array_equal(r, rows[0]) for r in rows)
    return rows[0]


@pytest.mark.parametrize("weight", [1, 32, 33, 2048])
def test_sparse_secret_has_exactly_the_requested_weight(weight):
    # The security argument (SECURE_MIN_WEIGHT, checked on the parameter) is about the
    # weight of the key actually drawn: exactly h coefficients +-1, the rest 0.
    ctx = _sparse_ctx()
    for _ in range(5):
        v = _sparse_secret(ctx, weight)
        assert set(np.unique(v)) <= {-1, 0, 1}
        assert np.count_nonzero(v) == weight


def test_sparse_secret_signs_and_positions_are_uniform():
    """200 secrets of weight 32 at n = 2048 (6400 nonzeros): signs Binomial(6400, 1/2);
    positions counted in 64 blocks of 32 consecutive coordinates and in the 64 classes
    k mod 64 (100 expected per cell). Three tests at 1e-6 / 3 each. Within one secret the
    positions are drawn without replacement, which only lowers the chi-square's variance
    (the test is conservative). A fixed sign, or positions kept to a part of the ring
    (e.g. one half, or even k), gives a p-value below 1e-100."""
    ctx, n, h, keys = _sparse_ctx(), 2048, 32, 200
    alpha = 1e-6 / 3
    draws = [_sparse_secret(ctx, h) for _ in range(keys)]
    assert all(np.count_nonzero(v) == h for v in draws)
    signs = np.concatenate([v[v != 0] for v in draws])
    assert stats.binomtest(int(np.count_nonzero(signs > 0)), signs.size, 0.5).pvalue > alpha
    positions = np.concatenate([np.flatnonzero(v) for v in draws])
    assert stats.chisquare(np.bincount(positions // (n // 64), minlength=64)).pvalue > alpha
    assert stats.chisquare(np.bincount(positions % 64, minlength=64)).pvalue > alpha
