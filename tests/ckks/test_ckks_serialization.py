"""Serialization: round trips, pickle, the secret key only by explicit export, and a
fuzz test of the loaders (truncations, byte flips, extensions) that never crashes."""

import pickle

import numpy as np
import pytest

from pyppml import FormatError, MismatchError, ckks
from pyppml._core import he


def test_ciphertext_round_trip_and_seed_compression(ctx_small, rng):
    x = rng.uniform(-1, 1, ctx_small.slots)
    sym = ctx_small.encrypt(x, symmetric=True)
    pub = ctx_small.encrypt(x, symmetric=False)
    bs, bp = sym.to_bytes(), pub.to_bytes()
    assert len(bs) < 0.55 * len(bp)  # the uniform half travels as a 32-byte seed
    for b in (bs, bp):
        back = ckks.Ciphertext.from_bytes(b, ctx_small)
        assert np.allclose(ctx_small.decrypt(back), x, atol=1e-3)
    prod = sym * sym
    back = ckks.Ciphertext.from_bytes(prod.to_bytes(), ctx_small)
    assert back.level == prod.level and back.scale == prod.scale


def test_pickle_everything_but_the_secret_key(ctx_small, rng):
    x = rng.uniform(-1, 1, 8)
    ct = ctx_small.encrypt(x)
    ct2 = pickle.loads(pickle.dumps(ct))
    assert np.allclose(ctx_small.decrypt(ct2)[:8], x, atol=1e-3)
    pt = pickle.loads(pickle.dumps(ctx_small.encode(x)))
    assert np.allclose(pt.decode()[:8], x, atol=1e-6)
    pub = pickle.loads(pickle.dumps(ctx_small))
    assert pub.secret_key is None and pub.public_key is not None
    with pytest.raises(TypeError):
        pickle.dumps(ctx_small.secret_key)
    # computing with the unpickled public context works, the owner decrypts
    c = pub.encrypt(x)
    assert np.allclose(ctx_small.decrypt(ckks.Ciphertext.from_bytes(c.to_bytes(), ctx_small))[:8], x, atol=1e-3)


def test_secret_key_export_import(ctx_small, rng):
    data = ctx_small.export_secret_key()
    other = pickle.loads(pickle.dumps(ctx_small))
    other.import_secret_key(data)
    x = rng.uniform(-1, 1, 4)
    assert np.allclose(other.decrypt(ctx_small.encrypt(x))[:4], x, atol=1e-3)


def test_context_bytes_round_trip(ctx_small):
    data = ctx_small.to_bytes()
    back = ckks.Context.from_bytes(data)
    assert back.fingerprint == ctx_small.fingerprint and back.secret_key is None


def test_foreign_and_wrong_kind_rejected(ctx_small, ctx):
    ct = ctx.encrypt([1.0])
    with pytest.raises(ValueError, match="other parameters"):
        ckks.Ciphertext.from_bytes(ct.to_bytes(), ctx_small)
    with pytest.raises(ValueError, match="another kind of object"):
        ckks.Ciphertext.from_bytes(ctx_small.encode([1.0]).to_bytes(), ctx_small)
    with pytest.raises(ValueError, match="not a pyppml object"):
        ckks.Ciphertext.from_bytes(b"hello world" * 10, ctx_small)


def _mutations(data, rng, count):
    yield b""
    yield data[:10]
    yield data + b"\x00"
    yield data[:-1]
    for _ in range(count):
        kind = rng.integers(0, 3)
        if kind == 0:
            yield data[: rng.integers(0, len(data))]
        elif kind == 1:
            b = bytearray(data)
            for _ in range(rng.integers(1, 4)):
                pos = rng.integers(0, min(len(b), 64)) if rng.random() < 0.7 else rng.integers(0, len(b))
                b[pos] ^= 1 << rng.integers(0, 8)
            yield bytes(b)
        else:
            yield data + bytes(rng.integers(0, 256, rng.integers(1, 64), dtype=np.uint8))


def test_fuzz_loaders_never_crash(ctx_small):
    rng = np.random.default_rng(7)
    ctx_small.generate_rotation_keys([1])
    objects = {
        "ciphertext": (ctx_small.encrypt([1.0, 2.0], symmetric=False).to_bytes(), lambda b: ckks.Ciphertext.from_bytes(b, ctx_small)),
        "seeded": (ctx_small.encrypt([1.0, 2.0]).to_bytes(), lambda b: ckks.Ciphertext.from_bytes(b, ctx_small)),
        "plaintext": (ctx_small.encode([1.0]).to_bytes(), lambda b: ckks.Plaintext.from_bytes(b, ctx_small)),
        "context": (ctx_small.to_bytes(), ckks.Context.from_bytes),
    }
    for name, (data, load) in objects.items():
        # Every corrupted blob is refused: truncation, extension and header damage by the
        # structure checks, flips anywhere (polynomial data included) by the checksum
        # trailer, which misses a corruption with probability 2^-64; so the bound is zero.
        accepted = []
        for mutated in _mutations(data, rng, 150):
            if mutated == data:
                continue
            try:
                load(mutated)
                accepted.append(mutated)
            except FormatError:
                pass
        assert not accepted, f"{name}: {len(accepted)} corrupted blobs loaded"
    for mutated in [objects["ciphertext"][0][:-8], objects["ciphertext"][0] + b"\x01"]:
        with pytest.raises(FormatError):
            objects["ciphertext"][1](mutated)


def test_every_single_bit_flip_is_refused(ctx_small):
    # A flip in any byte of a ciphertext (header, polynomial data or trailer) never loads.
    data = ctx_small.encrypt([1.0, 2.0], symmetric=False).to_bytes()
    step = max(1, len(data) // 2000)
    for pos in range(0, len(data), step):
        b = bytearray(data)
        b[pos] ^= 1 << (pos % 8)
        with pytest.raises(FormatError):
            ckks.Ciphertext.from_bytes(bytes(b), ctx_small)


def test_individual_keys_round_trip(ctx_small, rng):
    for key in (ctx_small.public_key, ctx_small.relin_key, ctx_small.galois_keys):
        back = ctx_small.key_from_bytes(ctx_small.key_to_bytes(key))
        assert type(back) is type(key) and back.key_id == key.key_id
    pub = ckks.Context.from_bytes(ctx_small.to_bytes(include_public_keys=False))
    pub.public_key = pub.key_from_bytes(ctx_small.key_to_bytes(ctx_small.public_key))
    x = rng.uniform(-1, 1, 4)
    assert np.allclose(ctx_small.decrypt(ckks.Ciphertext.from_bytes(pub.encrypt(x).to_bytes(), ctx_small))[:4], x,
                       atol=1e-3)
    with pytest.raises(ValueError, match="secret key"):
        ctx_small.key_to_bytes(ctx_small.secret_key)
    with pytest.raises(ValueError):
        ctx_small.key_from_bytes(ctx_small.key_to_bytes(ctx_small.public_key)[:-3])
    # A key of another key set with the same parameters is refused on load, not at its
    # first use (fix review).
    other = pickle.loads(pickle.dumps(ctx_small))
    other.keygen()
    for key in (other.public_key, other.relin_key, other.galois_keys):
        with pytest.raises(MismatchError, match="key_from_bytes: data is a key of another key set"):
            ctx_small.key_from_bytes(other.key_to_bytes(key))


def test_ciphertext_of_another_key_set_rejected_on_load(ctx_small):
    other = pickle.loads(pickle.dumps(ctx_small))  # same parameters ...
    other.keygen()                                  # ... another key set
    data = other.encrypt([1.0]).to_bytes()
    with pytest.raises(FormatError, match="another key set"):
        ckks.Ciphertext.from_bytes(data, ctx_small)


def test_pickle_keeps_contexts_that_from_bytes_refuses_by_default():
    # Pickles are trusted input: a context built with security=None (an explicit opt-out)
    # unpickles, while the same bytes through from_bytes need the explicit opt-in.
    import warnings

    from pyppml import FormatError, bfv, ckks

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ctx in (ckks.Context(poly_degree=2048, coeff_mod_bits=[40, 30], special_mod_bits=[40], scale_bits=30,
                                 security=None),
                    bfv.Context(poly_degree=2048, plain_modulus=12289, coeff_mod_bits=[50], special_mod_bits=[50],
                                security=None)):
            back = pickle.loads(pickle.dumps(ctx))
            assert back.poly_degree == 2048
            with pytest.raises(FormatError, match="security"):
                type(ctx).from_bytes(ctx.to_bytes())
            assert type(ctx).from_bytes(ctx.to_bytes(), min_security=None, allow_insecure=True).poly_degree == 2048
