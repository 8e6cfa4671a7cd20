"""Encrypted inference re-randomizes "label" and "score_flooded" outputs under the
client's public key, which hides the model only if the key is well formed (review
2026-12-08). The first test shows what a crafted key b + q_0/3 does to one
"score_flooded" query: the key holder reads the server's ternary u off the decryption,
the first step of the reviewer's extraction of every weight to 2^-35. The others show the
server's defence: ``trusted_public_keys`` serves only registered keys."""

import numpy as np
import pytest

from pyppml import _core, ckks
from pyppml._core import ParameterError
from pyppml._core import he as _he
from pyppml.ml import EncryptedRecords, encrypt_records, inference_context, public_key_digest, score_encrypted
from pyppml.ml.records import EncryptedScores

MODEL = (np.array([0.5, -1.25, 1.1]), 0.3125)


@pytest.fixture(scope="module")
def client():
    return inference_context(8192, encrypted_model=False, output="score_flooded")


def _crafted_public_context(ctx, shift):
    """The client's public context with b + shift on every limb (a constant polynomial is
    its own NTT), re-checksummed: the checksum is no MAC, so it loads."""
    n, q = ctx.poly_degree, [int(v) for v in ctx.coeff_moduli]
    raw = ctx.key_to_bytes(ctx.public_key)
    head, seed, body = raw[:32], raw[32:64], raw[64:-8]
    rows, pos = [], 0
    for qi in q:
        size = _core.packed_size(n, qi.bit_length())
        b = _core.unpack_fixed_width(body[pos:pos + size], qi.bit_length(), n)
        pos += size
        b = _core.eltwise("add", qi, b, np.full(n, shift % qi, dtype=np.uint64))
        rows.append(_core.pack_fixed_width(np.ascontiguousarray(b), qi.bit_length()))
    crafted = head + seed + b"".join(rows)
    crafted += _he.checksum(crafted).to_bytes(8, "little")
    pub = ctx.make_public()
    pub.public_key = ctx.key_from_bytes(crafted)
    return ckks.Context.from_bytes(pub.to_bytes())


def _served(ctx, server_ctx, **kw):
    recs = encrypt_records(np.zeros((ctx.slots, 3)), ctx, bound=1.0)
    on_server = EncryptedRecords.from_bytes(recs.to_bytes(), server_ctx)
    reply = score_encrypted(on_server, MODEL, output="score_flooded", bits_of_precision=10, **kw).to_bytes()
    return EncryptedScores.from_bytes(reply, ctx)[0]


def test_a_crafted_public_key_reveals_the_servers_rerandomization(client):
    q0 = int(client.coeff_moduli[0])
    k = q0 // 3
    out = _served(client, _crafted_public_context(client, k))
    assert out.level == 0
    pt = client._native.decrypt(client.secret_key, out._native).poly
    poly = _core.RnsPoly.from_array(client._native.q_base(0), np.asarray(pt.coeffs).copy(), "evaluation")
    poly.intt()
    coeffs = [int(v) - q0 if int(v) > q0 // 2 else int(v) for v in np.asarray(poly.coeffs)[0]]
    u = [round(v / k) for v in coeffs]
    rest = max(abs(v - ui * k) for v, ui in zip(coeffs, u))
    # u is the server's ternary randomness, read exactly: the rest is the score and noise.
    assert set(u) <= {-1, 0, 1} and sum(1 for ui in u if ui) > client.poly_degree // 2
    assert rest < k // 1000


def test_trusted_keys_refuse_a_crafted_key_and_serve_the_registered_one(client):
    trusted = {public_key_digest(client)}
    with pytest.raises(ParameterError, match="the client's public key is not trusted"):
        _served(client, _crafted_public_context(client, int(client.coeff_moduli[0]) // 3),
                trusted_public_keys=trusted)
    honest = ckks.Context.from_bytes(client.make_public().to_bytes())
    out = _served(client, honest, trusted_public_keys=trusted)
    assert abs(client.decrypt(out)[0].real - MODEL[1]) < 0.05  # zero records: the intercept, flooded at 2^-10 * 4


def test_trusted_keys_must_be_a_collection_of_digests(client):
    honest = ckks.Context.from_bytes(client.make_public().to_bytes())
    with pytest.raises(ParameterError, match="trusted_public_keys is not a collection of hex digests"):
        _served(client, honest, trusted_public_keys=public_key_digest(client))
