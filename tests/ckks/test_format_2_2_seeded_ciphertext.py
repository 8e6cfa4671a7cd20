"""Seeded ciphertexts of object format 2.2 (c1 from one ChaCha20 stream, before the
AES-CTR blocks of 2.3) still load, decrypt and re-save as they came. The fixture was
written by commit 4d6a393 (format 2.2): a context with its public key, its secret key and
a symmetric (seeded) encryption of linspace(-1, 1)."""

from pathlib import Path

import numpy as np
import pytest

from pyppml import FormatError, ckks
from pyppml._core import he

FIXTURE = Path(__file__).parent.parent / "data" / "format_2_2_seeded_ciphertext.npz"
MINOR, SEED_FLAG = 5, 33  # offsets in a ciphertext's bytes: header minor, then size and seed flag
TRAILER = 8


@pytest.fixture(scope="module")
def old():
    data = np.load(FIXTURE)
    ctx = ckks.Context.from_bytes(data["context"].tobytes(), min_security=None, allow_insecure=True)
    ctx.import_secret_key(data["secret"].tobytes())
    return ctx, data["ciphertext"].tobytes(), data["values"]


def _resealed(blob: bytes) -> bytes:
    body = bytes(blob[:-TRAILER])
    return body + he.checksum(body).to_bytes(TRAILER, "little")


def test_old_seeded_ciphertext_decrypts_and_resaves_as_it_came(old):
    ctx, blob, x = old
    assert blob[MINOR] == 2 and blob[SEED_FLAG] == 1  # the fixture is what it says
    ct = ckks.Ciphertext.from_bytes(blob, ctx)
    assert ct._native.seeded
    # c1 expanded the new way (AES blocks) would leave errors of order 1.
    assert np.abs(ctx.decrypt(ct) - x).max() < 2.0 ** -12
    again = ct.to_bytes()
    assert again[SEED_FLAG] == 1 and again[MINOR + 1:] == blob[MINOR + 1:-TRAILER] + again[-TRAILER:]


def test_new_seeded_ciphertexts_are_format_2_3_and_round_trip(old):
    ctx, _, x = old
    ct = ctx.encrypt(x)
    blob = ct.to_bytes()
    assert blob[MINOR] == 3 and blob[SEED_FLAG] == 2
    back = ckks.Ciphertext.from_bytes(blob, ctx)
    assert back.to_bytes() == blob
    assert np.abs(ctx.decrypt(back) - x).max() < 2.0 ** -12
    # Read with the other expansion (flag 1), c1 is another polynomial: garbage, not x.
    wrong = bytearray(blob)
    wrong[SEED_FLAG] = 1
    assert np.abs(ctx.decrypt(ckks.Ciphertext.from_bytes(_resealed(wrong), ctx)) - x).max() > 1.0


def test_seed_flag_2_in_older_format_bytes_is_refused(old):
    """Flag 2 did not exist before 2.3: 2.2 bytes carrying it are malformed, not loaded."""
    ctx, blob, _ = old
    bad = bytearray(blob)
    bad[SEED_FLAG] = 2
    with pytest.raises(FormatError, match="invalid seed flag"):
        ckks.Ciphertext.from_bytes(_resealed(bad), ctx)
    bad[MINOR], bad[SEED_FLAG] = 3, 3
    with pytest.raises(FormatError, match="invalid seed flag"):
        ckks.Ciphertext.from_bytes(_resealed(bad), ctx)
