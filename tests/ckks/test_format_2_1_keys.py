"""Keys of object format 2.1 (uniform halves from ChaCha20 streams, before the AES-CTR
blocks of 2.2) still load and switch keys correctly. The fixture was written by commit
85b8c97 (format 2.1): a context with its public, relinearization and Galois (rotation
by 1) keys, its secret key and a public-key ciphertext of linspace(-1, 1)."""

from pathlib import Path

import numpy as np
import pytest

from pyppml import ckks
from pyppml._core import he

FIXTURE = Path(__file__).parent.parent / "data" / "format_2_1_ckks_keys.npz"
MINOR = 5  # offset of the minor version in an object header


@pytest.fixture(scope="module")
def old():
    data = np.load(FIXTURE)
    ctx = ckks.Context.from_bytes(data["context"].tobytes(), min_security=None, allow_insecure=True)
    ctx.import_secret_key(data["secret"].tobytes())
    ct = ckks.Ciphertext.from_bytes(data["ciphertext"].tobytes(), ctx)
    return ctx, ct, data["values"]


def test_fixture_keys_are_format_2_1(old):
    data = np.load(FIXTURE)
    assert data["context"].tobytes()[:4] == data["ciphertext"].tobytes()[:4]  # same magic
    ctx, _, _ = old
    for key in (ctx.relin_key, ctx.galois_keys):
        assert ctx.key_to_bytes(key)[MINOR] == 1  # re-saved as they came: ChaCha20 expansion


def test_old_keys_relinearize_and_rotate(old):
    ctx, ct, x = old
    assert np.abs(ctx.decrypt(ct) - x).max() < 2.0 ** -12  # scale 2^30 at n = 1024
    # Keys expanded the wrong way (AES blocks instead of ChaCha20) leave errors of order 1.
    got = ctx.decrypt((ct * ct).rotate(1))
    assert np.abs(got - np.roll(x * x, -1)).max() < 2.0 ** -10


def test_old_keys_never_load_compact(old):
    ctx, _, _ = old
    for load, key in ((he.load_relin_key, ctx.relin_key), (he.load_galois_keys, ctx.galois_keys)):
        # A ChaCha20 stream cannot be entered mid-way: the a-halves stay in memory.
        again = load(ctx._native, ctx.key_to_bytes(key), compact=True)
        assert again.nbytes == key.nbytes
        assert ctx.key_to_bytes(again) == ctx.key_to_bytes(key)
    assert not ctx.relin_key.compact


def test_new_keys_are_format_2_2(old):
    ctx, _, _ = old
    fresh = ckks.Context.from_bytes(ctx.to_bytes(include_public_keys=False), min_security=None, allow_insecure=True)
    fresh.keygen(rotations=[1], conjugate=False)
    assert fresh.key_to_bytes(fresh.relin_key)[MINOR] == 3  # 2.2 and later: AES-CTR blocks (2.3 now)
