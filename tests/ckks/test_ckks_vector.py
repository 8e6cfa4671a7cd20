"""ckks.Vector (issue 18): values over 3+ ciphertexts at n = 2^11 checked against NumPy,
TenSEAL-style statistics, matrix-vector products in both orders, and bytes.

Tolerances: scale 2^40 gives each slot an error near 2^-30; a sum over ~2500 values
adds them (and the rotation key switches), so sums are held to 1e-5 and elementwise
results to 1e-7 - far below any wrong-slot, wrong-chunk or dropped-tail error, which is
of the size of the values (>= 1e-2)."""

import hashlib

import numpy as np
import pytest

from pyppml import FormatError, ckks


# Products through many rotations: a wrong fold, mask or key shows as errors of ~1, while
# key-switching noise at this ring reaches ~1e-6 in its worst slots (1.02e-6 seen in CI).
TOL_ROTATED = 1e-5


@pytest.fixture(scope="module")
def vctx():
    c = ckks.Context(poly_degree=2048, coeff_mod_bits=[50, 40, 40, 40], special_mod_bits=[50], scale_bits=40,
                     security=None)
    # direct keys for the 1024 x 1024 blocks of the matrix tests (composed ones work too)
    c.keygen(operations=["sum"], matvec_shapes=[(1100, 2500), (3, 2500)], conjugate=False)
    return c


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(18)
    # 2500 values over 1024 slots: 3 ciphertexts, the last one partly filled.
    return rng.normal(1.0, 1.0, 2500), rng.normal(0.0, 1.0, 2500)


pytestmark = pytest.mark.filterwarnings("ignore:pyppml.ckks.Context")


def test_layout_spans_ciphertexts(vctx, data):
    x, _ = data
    v = vctx.encrypt_vector(x)
    assert len(v) == 2500 and v.ciphertext_count == 3 and v.zero_tail
    assert np.max(np.abs(v.decrypt() - x)) < 1e-7
    assert np.max(np.abs(vctx.decrypt(v) - x)) < 1e-7
    # the slots past the end hold zeros (what sums rely on)
    assert np.max(np.abs(vctx.decrypt(v.ciphertexts[-1])[2500 - 2 * 1024:])) < 1e-7


def test_elementwise_against_numpy(vctx, data):
    x, y = data
    v, w = vctx.encrypt_vector(x), vctx.encrypt_vector(y)
    cases = [(v + w, x + y), (v - w, x - y), (v * w, x * y), (v + y, x + y), (y - v, y - x), (v * y, x * y),
             (2.5 + v, x + 2.5), (v - 0.75, x - 0.75), (-1.5 * v, -1.5 * x), (-v, -x), (v.square(), x * x),
             (v ** 3, x ** 3), (v.polyval([0.5, -1.0, 0.25]), 0.5 - x + 0.25 * x * x)]
    for got, want in cases:
        assert np.max(np.abs(got.decrypt() - want)) < 1e-6 * max(1.0, np.max(np.abs(want)))
        assert got.zero_tail  # scalars and constant terms were added on the value slots only


def test_sum_mean_dot_against_numpy(vctx, data):
    x, y = data
    v, w = vctx.encrypt_vector(x), vctx.encrypt_vector(y)
    assert len(v.sum()) == 1
    assert abs(v.sum().decrypt()[0] - x.sum()) < 1e-5 * len(x)
    assert abs(v.mean().decrypt()[0] - x.mean()) < 1e-6
    assert abs(v.dot(w).decrypt()[0] - x @ y) < 1e-5 * len(x)
    assert abs(v.dot(y).decrypt()[0] - x @ y) < 1e-5 * len(x)
    # operands at two levels (the general path) and a vector with values past its end
    assert abs((v * 0.5).dot(w).decrypt()[0] - 0.5 * x @ y) < 1e-5 * len(x)
    assert abs((v + v.sum() * 0.0).dot(w).decrypt()[0] - x @ y) < 1e-5 * len(x)


def test_tenseal_style_variance(vctx, data):
    """ex2 - mean.square() used to raise MismatchError (scales 2^40.000001 vs 2^40): the
    two sides now land on the same standard scale and subtract exactly."""
    x, _ = data
    v = vctx.encrypt_vector(x)
    mean = v.mean()
    ex2 = v.square().mean()
    var = ex2 - mean.square()
    assert abs(var.decrypt()[0] - x.var()) < 1e-6
    # the case: depth 2, Ciphertext operators, both sides end at level 0 where no
    # rescale is left to align them (before: MismatchError 2^40.000001 vs 2^40.000000)
    c2 = ckks.Context(poly_degree=2048, coeff_mod_bits=[50, 40, 40], special_mod_bits=[50], scale_bits=40,
                      security=None)
    c2.keygen(operations=["sum"], conjugate=False)
    ct = c2.encrypt(x[:1024])
    mean0 = ct.sum_slots() * (1 / 1024)
    ex2_0 = ct.square().sum_slots() * (1 / 1024)
    var0 = ex2_0 - mean0.square()
    assert var0.level == 0 and abs(c2.decrypt(var0)[0] - x[:1024].var()) < 1e-5
    # broadcasting a length-1 result: centred values need a mask before the next sum
    c = v - mean
    assert not c.zero_tail and np.max(np.abs(c.decrypt() - (x - x.mean()))) < 1e-6
    assert abs(c.sum().decrypt()[0]) < 1e-5 * len(x)


@pytest.mark.parametrize("rows", [3, 1100], ids=["rows3", "rows1100_two_outputs"])
def test_matrix_vector_both_orders(vctx, data, rows):
    x, _ = data
    rng = np.random.default_rng(rows)
    v = vctx.encrypt_vector(x)
    M = rng.uniform(-1, 1, (rows, len(x))) / len(x)
    if rows > 3:
        # 1100 rows, two output ciphertexts: a band of 12 random diagonals keeps the
        # 6 blocks cheap (zero diagonals are skipped) while every block is used
        c, r = np.meshgrid(np.arange(len(x)), np.arange(rows))
        M *= np.isin((c - r) % 1024, rng.choice(1024, 12, replace=False))
    got = M @ v
    # 3 x 1024 blocks are wide (hybrid diagonals): other values past the result, masked
    # before a sum; 1100 rows take the square blocks, zeros past the end
    assert len(got) == rows and got.zero_tail == (rows != 3)
    assert np.max(np.abs(got.decrypt() - M @ x)) < TOL_ROTATED
    assert abs(got.sum().decrypt()[0] - np.sum(M @ x)) < TOL_ROTATED
    if rows == 3:
        W = M.T  # (2500, 3): TenSEAL's enc_x.mm(W)
        assert np.max(np.abs((v @ W).decrypt() - x @ W)) < TOL_ROTATED
        assert ckks.Vector.mm is ckks.Vector.__matmul__


def test_small_inference_layer(vctx):
    """One chunk, a 16 x 64 layer then a square activation: the encrypted-inference case."""
    rng = np.random.default_rng(5)
    x, W, b = rng.uniform(-1, 1, 64), rng.uniform(-0.5, 0.5, (16, 64)), rng.uniform(-1, 1, 16)
    out = ((W @ vctx.encrypt_vector(x)) + b).square()
    assert np.max(np.abs(out.decrypt() - (W @ x + b) ** 2)) < 1e-6 * 64


def test_bad_operands_are_refused(vctx, data):
    x, _ = data
    v = vctx.encrypt_vector(x)
    with pytest.raises(ValueError, match=r"add: other has the wrong shape; expected a scalar or 2500 values, got shape \(10,\)"):
        v + np.ones(10)
    with pytest.raises(ValueError, match="multiply: other has the wrong length; expected 2500 values"):
        v * vctx.encrypt_vector(x[:10])
    with pytest.raises(ValueError, match=r"matrix @ vector: matrix has the wrong shape; expected \(m, 2500\), got \(3, 7\)"):
        np.ones((3, 7)) @ v
    with pytest.raises(ValueError, match="operand is not finite"):
        v + float("nan")
    with pytest.raises(ValueError, match="encrypt_vector: values has the wrong shape"):
        vctx.encrypt_vector(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"Vector: chunks has the wrong count; expected ceil\(2500 / 1024\) ciphertexts, got 1"):
        ckks.Vector(vctx, v.ciphertexts[:1], 2500)
    # a wrapped ciphertext may hold anything past its values: its sum masks them
    wrapped = ckks.Vector(vctx, [vctx.encrypt(np.ones(vctx.slots))], 3)
    assert not wrapped.zero_tail and abs(wrapped.sum().decrypt()[0] - 3.0) < 1e-6


def test_bytes_round_trip_and_malformed_bytes(vctx, data):
    x, _ = data
    v = vctx.encrypt_vector(x)
    data_ = v.to_bytes()
    back = ckks.Vector.from_bytes(data_, vctx)
    assert len(back) == 2500 and back.ciphertext_count == 3 and np.max(np.abs(back.decrypt() - x)) < 1e-7
    s = v.sum()
    assert abs(ckks.Vector.from_bytes(s.to_bytes(), vctx).decrypt()[0] - x.sum()) < 1e-5 * len(x)
    import pickle

    # a pickle carries the public context only: the owner decrypts
    assert np.max(np.abs(pickle.loads(pickle.dumps(v)).decrypt(vctx) - x)) < 1e-7
    # a public context (the server) loads it too, and cannot decrypt
    pub = ckks.Context.from_bytes(vctx.to_bytes(), min_security=None, allow_insecure=True)
    on_server = ckks.Vector.from_bytes(data_, pub)
    assert np.max(np.abs(on_server.decrypt(vctx) - x)) < 1e-7
    # The digest catches any altered or cut byte; one flipped bit of the size used to
    # load a vector of another length (10 -> 11 values, another mean).
    for pos, bit in ((8, 0), (8, 2), (9, 4), (24, 0), (100, 3), (len(data_) - 1, 7)):
        flipped = bytearray(data_)
        flipped[pos] ^= 1 << bit
        with pytest.raises(FormatError, match="Vector.from_bytes: data is corrupted or truncated"):
            ckks.Vector.from_bytes(bytes(flipped), vctx)
    body = data_[:-32]

    def digested(blob):  # a well-formed digest: the field checks below the digest still refuse
        return blob + hashlib.sha256(blob).digest()

    bad = {
        "magic": b"XXXXXXXX" + data_[8:],
        "truncated": data_[:-1],
        "extended": data_ + b"\0",
        "header only": digested(body[:32]),
        "count": digested(body[:16] + (2).to_bytes(4, "little") + body[20:]),
        "size": digested(body[:8] + (5000).to_bytes(8, "little") + body[16:]),
        "flags": digested(body[:24] + b"\x04" + body[25:]),
        "copies flag on a long vector": digested(body[:24] + b"\x03" + body[25:]),
        "chunk length": digested(body[:32] + (10).to_bytes(8, "little") + body[40:]),
        "chunk byte": digested(body[:100] + bytes([body[100] ^ 1]) + body[101:]),
        "trailing byte": digested(body + b"\0"),
    }
    for name, blob in bad.items():
        with pytest.raises(FormatError, match="Vector.from_bytes: data"):
            ckks.Vector.from_bytes(blob, vctx)
    # bytes of the first format (no digest) still load
    legacy = ckks.Vector.from_bytes(b"PPMLVEC1" + body[8:], vctx)
    assert np.max(np.abs(legacy.decrypt() - x)) < 1e-7
    other = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    with pytest.raises(FormatError, match="was made for another ring; expected 2048 slots, got 1024"):
        ckks.Vector.from_bytes(data_, other)
    with pytest.raises(ValueError):
        ckks.Vector.from_bytes(b"", vctx)


def test_wide_block_inside_one_ciphertext_then_chained(vctx, data):
    """A 4 x 300 block pads to D = 512 < 1024 slots: the hybrid method replicates the
    input first; its result has other values past 4 slots, masked before the next
    product (one more level) - a wrong fold or mask shows as errors of size ~1."""
    x = data[0][:300]
    rng = np.random.default_rng(7)
    W1, W2 = rng.uniform(-1, 1, (4, 300)) / 30, rng.uniform(-1, 1, (2, 4))
    h = W1 @ vctx.encrypt_vector(x)
    assert not h.zero_tail and np.max(np.abs(h.decrypt() - W1 @ x)) < TOL_ROTATED
    out = W2 @ h
    assert np.max(np.abs(out.decrypt() - W2 @ (W1 @ x))) < TOL_ROTATED
