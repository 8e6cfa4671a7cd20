"""Serialization and pickle of BFV objects, and a fuzz test of the loaders: bad bytes
raise FormatError, never crash."""

import pickle

import numpy as np
import pytest

from pyppml import FormatError, bfv

from bfv_reference import T


def test_round_trips(ctx_small, rng):
    ctx = ctx_small
    x = rng.integers(0, T, ctx.slots)
    sym, pub = ctx.encrypt(x, symmetric=True), ctx.encrypt(x, symmetric=False)
    assert len(sym.to_bytes()) < 0.55 * len(pub.to_bytes())
    for c in (sym, pub, sym * pub, (sym * pub).mod_switch_to(0)):
        back = bfv.Ciphertext.from_bytes(c.to_bytes(), ctx)
        assert back.level == c.level and np.array_equal(ctx.decrypt(back), ctx.decrypt(c))
    pt = ctx.encode(x)
    assert np.array_equal(bfv.Plaintext.from_bytes(pt.to_bytes(), ctx).decode(), x)


def test_pickle_everything_but_the_secret_key(ctx_small, rng):
    ctx = ctx_small
    x = rng.integers(0, T, 16)
    ct = pickle.loads(pickle.dumps(ctx.encrypt(x)))
    assert np.array_equal(ctx.decrypt(ct)[:16], x)
    assert np.array_equal(pickle.loads(pickle.dumps(ctx.encode(x))).decode()[:16], x)
    pub = pickle.loads(pickle.dumps(ctx))
    assert pub.secret_key is None and pub.plain_modulus == T and pub.relin_key is not None
    with pytest.raises(TypeError):
        pickle.dumps(ctx.secret_key)
    c = pub.encrypt(x) * pub.encrypt(x)
    got = ctx.decrypt(bfv.Ciphertext.from_bytes(c.to_bytes(), ctx))[:16]
    assert np.array_equal(got, x * x % T)
    back = bfv.Context.from_bytes(ctx.to_bytes())
    back.import_secret_key(ctx.export_secret_key())
    assert np.array_equal(back.decrypt(bfv.Ciphertext.from_bytes(c.to_bytes(), back))[:16], x * x % T)


def test_ckks_bytes_are_not_a_bfv_context():
    from pyppml import ckks

    ck = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    with pytest.raises(FormatError, match="scheme"):
        bfv.Context.from_bytes(ck.to_bytes())


def test_plaintext_out_of_range_is_rejected(ctx_small):
    from pyppml._core import he

    data = bytearray(ctx_small.encode([1, 2, 3]).to_bytes()[:-8])
    # set the first coefficient to t (< q_0, so only the BFV check catches it), with a
    # valid checksum: a hostile sender computes it too
    body_start = len(data) - 8 * ctx_small.poly_degree
    data[body_start:body_start + 8] = (T).to_bytes(8, "little")
    data += he.checksum(bytes(data)).to_bytes(8, "little")
    with pytest.raises(FormatError, match="BFV plaintext"):
        bfv.Plaintext.from_bytes(bytes(data), ctx_small)


def test_fuzz_loaders_never_crash(ctx_small, rng):
    ctx = ctx_small
    blobs = [ctx.encrypt([1, 2, 3]).to_bytes(), ctx.encode([4, 5]).to_bytes(), ctx.to_bytes()]
    loaders = [lambda b: bfv.Ciphertext.from_bytes(b, ctx), lambda b: bfv.Plaintext.from_bytes(b, ctx),
               bfv.Context.from_bytes]
    for blob, load in zip(blobs, loaders):
        cases = [blob[:k] for k in (0, 1, 8, 31, 32, 40, len(blob) // 2, len(blob) - 1)]
        cases.append(blob + b"\x00")
        for _ in range(40):
            b = bytearray(blob)
            pos = int(rng.integers(0, min(len(b), 200)))
            b[pos] ^= 1 << int(rng.integers(0, 8))
            cases.append(bytes(b))
        for case in cases:
            # every corrupted blob is refused (checksum trailer: a miss has probability 2^-64)
            with pytest.raises(FormatError):
                load(case)
