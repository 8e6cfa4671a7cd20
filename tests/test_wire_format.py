"""Object format 2.1: polynomial rows bit-packed at their prime's width. Sizes are exactly
what the layout implies, 2.0 bytes (64-bit words) still load, and a packed value at or
above its prime is refused like any other malformed field."""

import numpy as np
import pytest

from pyppml import FormatError, ckks
from pyppml._core import he, pack_fixed_width, packed_size, unpack_fixed_width

HEADER, CT_FIELDS, TRAILER = 32, 13, 8  # ciphertext fields: size, seeded, limbs, form, scale


@pytest.fixture(scope="module")
def ctx():
    c = ckks.Context(poly_degree=4096, depth=2, security=None)
    c.keygen()
    return c


def rows_bytes(ctx, primes):
    return sum(packed_size(ctx.poly_degree, int(q).bit_length()) for q in primes)


def test_ciphertext_size_is_the_packed_layout(ctx):
    pk = ctx.encrypt(np.ones(8), symmetric=False).to_bytes()
    assert len(pk) == HEADER + CT_FIELDS + 2 * rows_bytes(ctx, ctx.coeff_moduli) + TRAILER
    sym = ctx.encrypt(np.ones(8)).to_bytes()  # c1 stored as its 32-byte seed
    assert len(sym) == HEADER + CT_FIELDS + 32 + rows_bytes(ctx, ctx.coeff_moduli) + TRAILER
    assert len(pk) < HEADER + CT_FIELDS + 2 * 8 * ctx.poly_degree * len(ctx.coeff_moduli)  # below 64-bit words


def test_relin_key_size_is_the_packed_layout(ctx):
    key = he.save(ctx._native, ctx.relin_key)
    digits = ctx._native.digits
    primes = list(ctx.coeff_moduli) + list(ctx.special_moduli)
    assert len(key) == HEADER + 2 + 32 + digits * rows_bytes(ctx, primes) + TRAILER


def _as_format_2_0(blob, ctx, components):
    """The same ciphertext in format 2.0: rows as little-endian 64-bit words."""
    n = ctx.poly_degree
    out, pos = bytearray(blob[:HEADER + CT_FIELDS]), HEADER + CT_FIELDS
    for _ in range(components):
        for q in ctx.coeff_moduli:
            bits = int(q).bit_length()
            size = packed_size(n, bits)
            out += unpack_fixed_width(blob[pos:pos + size], bits, n).astype("<u8").tobytes()
            pos += size
    out[5] = 0  # minor version
    out[24:32] = (len(out) - HEADER).to_bytes(8, "little")
    return bytes(out) + he.checksum(bytes(out)).to_bytes(8, "little")


def test_format_2_0_bytes_still_load(ctx):
    values = np.linspace(-1, 1, 16)
    ct = ctx.encrypt(values, symmetric=False)
    old = _as_format_2_0(ct.to_bytes(), ctx, 2)
    back = ckks.Ciphertext.from_bytes(old, ctx)
    assert np.array_equal(np.asarray(back._native.poly(0).coeffs), np.asarray(ct._native.poly(0).coeffs))
    assert np.abs(ctx.decrypt(back)[:16] - values).max() < 1e-6


def test_packed_value_above_its_prime_is_refused(ctx):
    blob = bytearray(ctx.encrypt(np.ones(8), symmetric=False).to_bytes())
    q = int(ctx.coeff_moduli[0])
    bits = q.bit_length()
    row = np.full(ctx.poly_degree, (1 << bits) - 1, dtype=np.uint64)  # every value >= q
    start = HEADER + CT_FIELDS
    blob[start:start + packed_size(ctx.poly_degree, bits)] = pack_fixed_width(row, bits)
    body = bytes(blob[:-8])
    with pytest.raises(FormatError, match="coefficient out of range"):
        ckks.Ciphertext.from_bytes(body + he.checksum(body).to_bytes(8, "little"), ctx)


@pytest.mark.parametrize("scheme", ["ckks", "bfv"])
def test_coefficient_form_ciphertext_is_refused(ctx, scheme):
    # No operation of either scheme outputs a coefficient-form ciphertext, and decryption
    # reads the rows as evaluation form: bytes flagged form 0 (checksum recomputed, as a
    # hostile sender would) used to load and decrypt to garbage without a word.
    from pyppml import bfv

    if scheme == "bfv":
        ctx = bfv.Context(poly_degree=4096, coeff_mod_bits=[35, 35], special_mod_bits=[35])
        ctx.keygen()
    ct = ctx.encrypt(np.ones(8, dtype=np.int64), symmetric=False)  # c1 stored in full, not as a seed
    blob = bytearray(ct.to_bytes())
    form_at = HEADER + 4  # after size, seeded and the limb count
    assert blob[form_at] == 1
    blob[form_at] = 0
    body = bytes(blob[:-TRAILER])
    forged = body + he.checksum(body).to_bytes(8, "little")
    with pytest.raises(FormatError, match=r"Ciphertext.from_bytes: data has an invalid form; expected 1 \(evaluation "
                                          r"form: no ciphertext is stored in coefficient form\), got 0"):
        type(ct).from_bytes(forged, ctx)
    assert np.array_equal(np.round(ctx.decrypt(type(ct).from_bytes(bytes(ct.to_bytes()), ctx))[:8]), np.ones(8))


def _resealed(blob: bytes) -> bytes:
    body = bytes(blob[:-TRAILER])
    return body + he.checksum(body).to_bytes(8, "little")


def test_scheme_byte_is_checked(ctx):
    # The fingerprint binds the scheme too, but a header that names another one is not
    # ours: refused, as every other header field is.
    for blob, load in ((ctx.encrypt(np.ones(8)).to_bytes(), lambda b: ckks.Ciphertext.from_bytes(b, ctx)),
                       (ctx.key_to_bytes(ctx.public_key), lambda b: ctx.key_from_bytes(b))):
        forged = bytearray(blob)
        assert forged[7] == 1  # CKKS
        forged[7] = 2
        with pytest.raises(FormatError, match="names another scheme; expected 1, got 2"):
            load(_resealed(forged))
        load(blob)


def test_secret_key_that_is_not_ternary_is_refused(ctx):
    # The checksum is no MAC: a secret key altered and resealed used to import as another
    # key. Every key of the library is ternary, the same modulo every prime, so one changed
    # evaluation value (a whole limb's coefficients change) is refused.
    data = ctx.export_secret_key()
    owner = ckks.Context.from_bytes(ctx.to_bytes(), min_security=None, allow_insecure=True)
    owner.import_secret_key(data)
    assert np.abs(owner.decrypt(ctx.encrypt(np.ones(8)))[:8] - 1).max() < 1e-6
    for pos, bit in ((HEADER, 0), (HEADER + 700, 3), (len(data) - TRAILER - 1, 0)):
        forged = bytearray(data)
        forged[pos] ^= 1 << bit
        with pytest.raises(FormatError, match="is not a secret key of this library; expected ternary coefficients"):
            owner.import_secret_key(_resealed(forged))


def test_forged_ternary_secret_key_is_refused_against_the_public_key(ctx):
    # The ternary check stops corruption, not a deliberate edit: 0 or -s are ternary and
    # keep the key id (a header field), and decrypted garbage. With the public key at hand
    # the key must satisfy b + a s = the public key's small error.
    from pyppml import MismatchError

    data = ctx.export_secret_key()
    n, rows = ctx.poly_degree, data[HEADER:-TRAILER]
    moduli = list(ctx.coeff_moduli) + list(ctx.special_moduli)
    zero = bytes(len(rows))
    negated, pos = b"", 0
    for q in moduli:  # -s limb by limb (evaluation form: negate every residue)
        bits = int(q).bit_length()
        size = packed_size(n, bits)
        row = unpack_fixed_width(rows[pos:pos + size], bits, n)
        negated += pack_fixed_width(np.where(row == 0, row, np.uint64(q) - row).astype(np.uint64), bits)
        pos += size
    owner = ckks.Context.from_bytes(ctx.to_bytes(), min_security=None, allow_insecure=True)
    for forged in (zero, negated):
        with pytest.raises(MismatchError, match="is not the secret key of this context's public key"):
            owner.import_secret_key(_resealed(data[:HEADER] + forged + data[-TRAILER:]))
    owner.import_secret_key(data)
    assert np.abs(owner.decrypt(ctx.encrypt(np.ones(4)))[:4] - 1).max() < 1e-6
