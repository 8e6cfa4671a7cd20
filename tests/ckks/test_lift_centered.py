"""The centered CRT lift behind every CKKS decode (Encoder::lift_centered) against Python's
exact big-integer CRT, on plaintexts whose coefficients sit below, across and above 2^127
(where the O(k) lift of the low two words hands over to the full O(k^2) one) and on
uniformly random residues (values near Q/2). Exact below 2^53; above, the double of the
top words (relative error below 2^-51)."""

import math

import numpy as np
import pytest

from pyppml import ckks, ring
from pyppml._core import he, pack_fixed_width, unpack_fixed_width

pytestmark = pytest.mark.filterwarnings("ignore:.*security=None")  # a small test ring
TRAILER = 8


@pytest.fixture(scope="module")
def ctx():
    return ckks.Context(poly_degree=4096, coeff_mod_bits=[50, 40, 40, 40], special_mod_bits=[50], scale_bits=40,
                        security=None)


def _rows(ctx, blob):
    """The residue rows (evaluation form) at the end of a saved plaintext."""
    n, out = ctx.poly_degree, []
    sizes = [int(q).bit_length() * n // 8 for q in ctx.coeff_moduli]
    pos = len(blob) - TRAILER - sum(sizes)
    for q, size in zip(ctx.coeff_moduli, sizes):
        out.append(unpack_fixed_width(blob[pos:pos + size], int(q).bit_length(), n))
        pos += size
    return out, len(blob) - TRAILER - sum(sizes)


def _exact(ctx, blob):
    """Centered CRT of the coefficient-form residues, as Python integers."""
    rows, _ = _rows(ctx, blob)
    qs = [int(q) for q in ctx.coeff_moduli]
    coeffs = [ring.NttTables(ctx.poly_degree, q).inverse(r.astype(np.uint64)) for q, r in zip(qs, rows)]
    Q = math.prod(qs)
    out = []
    for j in range(ctx.poly_degree):
        x = sum(int(c[j]) * (Q // q) * pow(Q // q, -1, q) for c, q in zip(coeffs, qs)) % Q
        out.append(x - Q if x > Q // 2 else x)
    return out


def _check(got, exact):
    for g, x in zip(got, exact):
        if abs(x) < 2 ** 53:
            assert g == x
        else:
            assert abs(g - x) <= abs(x) * 2.0 ** -51, (g, x)


@pytest.mark.parametrize("scale_bits,magnitude", [(40, 1.0), (110, 2.0 ** 14), (120, 2.0 ** 13), (125, 2.0 ** 8),
                                                  (140, 1.0)])
def test_lift_matches_exact_crt(ctx, scale_bits, magnitude):
    rng = np.random.default_rng(scale_bits)
    pt = ctx._native.encode_real(rng.uniform(-magnitude, magnitude, ctx.slots), 2.0 ** scale_bits, 3)
    blob = he.save(ctx._native, pt)
    exact = _exact(ctx, blob)
    sizes = np.log2(np.abs(np.array(exact, dtype=float)) + 1)
    if scale_bits in (120, 125):  # the cases that straddle the hand-over
        assert sizes.min() < 127 < sizes.max()
    _check(ctx._native.decode_coefficients(pt), exact)


def test_lift_of_random_residues(ctx):
    """Uniform residues: values spread over (-Q/2, Q/2), all through the full lift."""
    rng = np.random.default_rng(9)
    blob = bytearray(he.save(ctx._native, ctx._native.encode_real(np.zeros(ctx.slots), 2.0 ** 40, 3)))
    _, start = _rows(ctx, bytes(blob))
    rows = b"".join(bytes(pack_fixed_width(rng.integers(0, int(q), ctx.poly_degree, dtype=np.uint64),
                                           int(q).bit_length())) for q in ctx.coeff_moduli)
    body = bytes(blob[:start]) + rows
    blob = body + he.checksum(body).to_bytes(TRAILER, "little")
    pt = he.load_plaintext(ctx._native, blob)
    _check(ctx._native.decode_coefficients(pt), _exact(ctx, blob))


@pytest.mark.parametrize("scale_bits", [58, 62, 64, 65, 66, 100])
def test_encode_decode_round_trip_across_the_hand_overs(ctx, scale_bits):
    """Encode rounds a plaintext's coefficients once into integers when all are below 2^62
    and reduces those; otherwise it reduces each double modulo each prime. Scales 2^58 and
    2^62 take the first path, 2^64..2^66 (coefficients straddling 2^62) and 2^100 the
    second: a wrong residue for either sign on either path shows as an error far above
    the rounding (2^-scale_bits relative to the coefficients). Dropping the sign on the
    first path fails the first two cases."""
    rng = np.random.default_rng(scale_bits)
    x = rng.uniform(-8, 8, ctx.slots)
    pt = ctx._native.encode_real(x, 2.0 ** scale_bits, 3)
    sizes = np.log2(np.abs(ctx._native.decode_coefficients(pt)) + 1)
    if scale_bits in (64, 65, 66):
        assert sizes.min() < 62 < sizes.max()
    assert np.abs(ctx._native.decode(pt).real - x).max() < 2.0 ** -20
