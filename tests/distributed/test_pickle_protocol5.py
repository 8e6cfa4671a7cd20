"""Contexts, keys and ciphertexts pickle with protocol 5 and out-of-band buffers (no dask
needed); protocols <= 4 keep working; the secret key never pickles."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from pyppml import bfv, ckks


@pytest.fixture(scope="module")
def ckks_ctx():
    ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    ctx.keygen(rotations=[1])
    return ctx


def _oob(obj):
    bufs = []
    data = pickle.dumps(obj, protocol=5, buffer_callback=bufs.append)
    return data, bufs


def test_ciphertext_buffers_go_out_of_band(ckks_ctx):
    x = np.linspace(-1, 1, ckks_ctx.slots)
    ct = ckks_ctx.encrypt(x)
    data, bufs = _oob(ct)
    raw = sum(len(b.raw()) for b in bufs)
    assert bufs and raw > 50 * len(data)  # the stream holds framing only
    assert ct.to_bytes() in [bytes(b.raw()) for b in bufs]
    back = pickle.loads(data, buffers=bufs)
    assert back.to_bytes() == ct.to_bytes()
    assert np.max(np.abs(ckks_ctx.decrypt(back) - x)) < 1e-3
    # The buffers may come back as memoryviews (as Dask hands received frames).
    back2 = pickle.loads(data, buffers=[memoryview(b.raw()) for b in bufs])
    assert back2.to_bytes() == ct.to_bytes()


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_in_band_round_trip(ckks_ctx, protocol):
    ct = ckks_ctx.encrypt([1.0, 2.0])
    back = pickle.loads(pickle.dumps(ct, protocol=protocol))
    assert back.to_bytes() == ct.to_bytes()


def test_context_keys_out_of_band_and_no_secret(ckks_ctx):
    data, bufs = _oob(ckks_ctx)
    assert bufs and sum(len(b.raw()) for b in bufs) > 10 * len(data)
    back = pickle.loads(data, buffers=bufs)
    assert back.secret_key is None and not back.is_private
    assert back.fingerprint == ckks_ctx.fingerprint
    assert back.public_key.key_id == ckks_ctx.public_key.key_id
    assert back.galois_keys.elements == ckks_ctx.galois_keys.elements
    secret = ckks_ctx.export_secret_key()
    for b in bufs:
        assert secret not in bytes(b.raw())
    assert secret not in data
    # The shared public context evaluates; the key holder decrypts.
    ct = back.encrypt(np.full(back.slots, 0.5))
    assert np.max(np.abs(ckks_ctx.decrypt(ct.rotate(1) * ct) - 0.25)) < 1e-3


def test_bfv_context_and_ciphertext_protocol5():
    ctx = bfv.Context(poly_degree=4096, plain_modulus=65537, depth=1)
    ctx.keygen(rotations=[])
    ct = ctx.encrypt([1, 2, 3])
    data, bufs = _oob((ctx, ct))
    assert len(bufs) >= 2
    pctx, pct = pickle.loads(data, buffers=bufs)
    assert pct.to_bytes() == ct.to_bytes() and pctx.secret_key is None
    assert ctx.decrypt(pct * pct)[:3].tolist() == [1, 4, 9]
