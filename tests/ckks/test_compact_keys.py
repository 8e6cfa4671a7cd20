"""Compact key-switching keys: only the b-halves are held and the uniform a-halves are
regenerated from the key seed (AES-128-CTR blocks) inside key switching. Every result must
be bit-identical to the same key held expanded, on every backend and digit layout."""

import warnings

import numpy as np
import pytest

from pyppml import ckks, ring
from pyppml._core import FormatError
from pyppml._core import he as _he

BACKENDS = [b for b in ("scalar", "avx2", "avx512") if b in ring.available_backends()]


def _context(dnum: int, special: list[int]):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = ckks.Context(poly_degree=2048, coeff_mod_bits=[50, 40, 40, 40], special_mod_bits=special, dnum=dnum,
                           scale_bits=40, security=None)
    ctx.keygen(rotations=[1, 3], compact_keys=False)
    return ctx


@pytest.fixture(scope="module", params=[(0, [50]), (2, [50, 50])], ids=["one-prime-digits", "two-prime-digits"])
def ctx(request):
    return _context(*request.param)


def _compact_copies(ctx):
    nat = ctx._native
    rk = _he.load_relin_key(nat, ctx.key_to_bytes(ctx.relin_key), compact=True)
    gk = _he.load_galois_keys(nat, ctx.key_to_bytes(ctx.galois_keys), compact=True)
    return rk, gk


def test_compact_key_holds_half_the_bytes(ctx):
    rk, gk = _compact_copies(ctx)
    assert rk.compact and gk.nbytes * 2 == ctx.galois_keys.nbytes
    assert not ctx.relin_key.compact and rk.nbytes * 2 == ctx.relin_key.nbytes
    # The bytes on the wire are the same: seed and b-halves.
    assert _he.save(ctx._native, rk) == ctx.key_to_bytes(ctx.relin_key)
    assert _he.save(ctx._native, gk) == ctx.key_to_bytes(ctx.galois_keys)


@pytest.mark.parametrize("backend", BACKENDS)
def test_compact_key_switching_is_bit_identical(ctx, backend):
    nat = ctx._native
    rk, gk = _compact_copies(ctx)
    x = np.random.default_rng(5).uniform(-1, 1, ctx.slots)
    ct = ctx.encrypt(x)._native
    elts = [ctx.galois_element(1), ctx.galois_element(3)]
    prod = nat.multiply(ct, ct)
    with ring.use_backend(backend):
        pairs = [
            (nat.apply_galois(ct, elts[0], ctx.galois_keys), nat.apply_galois(ct, elts[0], gk)),
            (nat.relinearize(prod, ctx.relin_key), nat.relinearize(prod, rk)),
            (nat.relinearize_rescale(prod, ctx.relin_key), nat.relinearize_rescale(prod, rk)),
        ]
        pairs += list(zip(nat.apply_galois_hoisted(ct, elts, ctx.galois_keys), nat.apply_galois_hoisted(ct, elts, gk)))
    for full, compact in pairs:
        assert _he.save(nat, full) == _he.save(nat, compact)
    got = ctx.decrypt(ckks.Ciphertext(ctx, pairs[0][1]))
    assert np.abs(got - np.roll(x, -1)).max() < 1e-5


def test_compact_keys_from_keygen_compute_correctly():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = ckks.Context(poly_degree=4096, depth=2, security=None)
    ctx.keygen(rotations=[2], compact_keys=True)
    assert ctx.compact_keys and ctx.relin_key.compact
    x = np.random.default_rng(6).uniform(-1, 1, ctx.slots)
    ct = ctx.encrypt(x)
    got = ctx.decrypt((ct * ct).rotate(2))
    assert np.abs(got - np.roll(x * x, -2)).max() < 1e-4
    # A public copy and a received context keep them compact.
    assert ctx.make_public().compact_keys
    back = ctx.key_from_bytes(ctx.key_to_bytes(ctx.galois_keys))
    assert back.nbytes == ctx.galois_keys.nbytes


def test_unflagged_key_in_new_format_is_refused(ctx):
    """2.2 and later bytes always flag the AES-CTR expansion; a key without the flag would
    expand its a-halves with the old ChaCha20 streams and switch to garbage."""
    blob = bytearray(ctx.key_to_bytes(ctx.relin_key))
    assert blob[5] == 3  # format minor (2.3)
    count = int.from_bytes(blob[32:34], "little")
    assert count & 0x8000
    blob[32:34] = (count & 0x7FFF).to_bytes(2, "little")
    body = bytes(blob[:-8])
    sealed = body + _he.checksum(body).to_bytes(8, "little")
    with pytest.raises(FormatError, match="expansion flag"):
        _he.load_relin_key(ctx._native, sealed)
