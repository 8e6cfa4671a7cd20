"""Several Python threads sharing one context and its keys: a ThreadPoolExecutor over
independent ciphertexts gives exactly the serial results (the GIL is released in the
heavy calls, the pool is used by one caller at a time, scratch memory is per thread)."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import pyppml
from pyppml import bfv, ckks


@pytest.fixture(scope="module")
def ckks_ctx():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[50, 40, 40, 40], special_mod_bits=[50], scale_bits=40,
                           security=None)
    ctx.keygen(rotations=[1, 3])
    return ctx


def _work(ct):
    sq = ct * ct
    return (sq.to_bytes(), sq.rotate(1).to_bytes(), b"".join(c.to_bytes() for c in ct.rotate_many([1, 3])))


@pytest.mark.parametrize("pool_threads", [1, 2])
def test_thread_pool_executor_matches_serial(ckks_ctx, pool_threads):
    rng = np.random.default_rng(11)
    cts = [ckks_ctx.encrypt(rng.uniform(-1, 1, ckks_ctx.slots)) for _ in range(8)]
    before = pyppml.get_num_threads()
    try:
        pyppml.set_num_threads(pool_threads)
        serial = [_work(c) for c in cts]
        with ThreadPoolExecutor(max_workers=4) as ex:
            parallel = list(ex.map(_work, cts))
    finally:
        pyppml.set_num_threads(before)
    assert parallel == serial


def test_concurrent_encryption_and_keygen_are_sound(ckks_ctx):
    # Encryption and Galois key generation from several threads at once: each thread has its
    # own generator; every result decrypts correctly.
    values = [np.full(ckks_ctx.slots, float(i) / 10) for i in range(8)]
    with ThreadPoolExecutor(max_workers=4) as ex:
        cts = list(ex.map(ckks_ctx.encrypt, values))
        keys = list(ex.map(lambda e: ckks_ctx._native.keygen_galois(ckks_ctx.secret_key, [e]),
                           [ckks_ctx.galois_element(s) for s in (5, 7, 9, 11)]))
    for v, ct in zip(values, cts):
        assert np.max(np.abs(ckks_ctx.decrypt(ct) - v)) < 1e-5
    assert [k.elements for k in keys] == [[ckks_ctx.galois_element(s)] for s in (5, 7, 9, 11)]


def test_bfv_threads_share_a_context():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = bfv.Context(poly_degree=4096, plain_modulus=65537, coeff_mod_bits=[40, 40, 40], special_mod_bits=[50],
                          security=None)
    ctx.keygen(rotations=[])
    rng = np.random.default_rng(12)
    xs = [rng.integers(0, 65537, ctx.slots) for _ in range(6)]
    cts = [ctx.encrypt(x) for x in xs]
    serial = [(c * c).to_bytes() for c in cts]
    with ThreadPoolExecutor(max_workers=3) as ex:
        parallel = list(ex.map(lambda c: (c * c).to_bytes(), cts))
    assert parallel == serial
    assert np.array_equal(ctx.decrypt(cts[0] * cts[0]), (xs[0] * xs[0]) % 65537)
