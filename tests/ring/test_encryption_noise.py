"""The error of a fresh encryption (CKKS and BFV share rlwe::encrypt_secret/encrypt_public):
an encryption of 0, decrypted with the key, must show the RLWE error the design names.

- Symmetric: c0 + c1*s = e0 exactly, i.i.d. CBD(21) (variance 10.5): without it c0 = -a*s
  and one known plaintext gives s = -c0/a.
- Public key: c0 + c1*s = e0 + e1*s + u*e (u ternary, e the public key's error), whose
  variance given the keys is 10.5 + 10.5 ||s||^2 + (2/3) ||e||^2 per coefficient.

False-failure rate at most 1e-6 per test (the alpha of each check is stated where it is
made). Ring degree 4096; only the first prime is needed, as the error is far below it.
"""

import math

import numpy as np
import pytest
from scipy import stats

from pyppml import _core, bfv, ckks, ring
from pyppml._core import he as _he

N = 4096
ENCRYPTIONS = 16  # 16 * 4096 = 65536 error coefficients


def _context(scheme):
    if scheme == "ckks":
        ctx = ckks.Context(poly_degree=N, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    else:
        ctx = bfv.Context(poly_degree=N, coeff_mod_bits=[35, 35], special_mod_bits=[35])
    ctx.keygen(relin=False)
    return ctx


def _zeros(ctx):
    return np.zeros(ctx.slots) if isinstance(ctx, ckks.Context) else np.zeros(ctx.slots, dtype=np.int64)


def _row(data: bytes, off: int, q: int) -> np.ndarray:
    """One packed row (limb) of q from a serialized key, as Python ints."""
    bits = q.bit_length()
    return np.array([int(v) for v in _core.unpack_fixed_width(data[off:off + _core.packed_size(N, bits)], bits, N)],
                    dtype=object)


def _centered(ntt_row, q) -> np.ndarray:
    """The coefficients (centered mod q) of a limb in NTT form."""
    v = ring.NttTables(N, q).inverse(np.array([int(x) % q for x in ntt_row], dtype=np.uint64)).astype(np.int64)
    return np.where(v > q // 2, v - q, v)


def _phase(ctx, ct, s, q) -> np.ndarray:
    """c0 + c1*s on the first prime, in coefficient form (centered)."""
    c0, c1 = (np.asarray(ct._native.poly(k).coeffs)[0].astype(object) for k in (0, 1))
    return _centered(c0 + c1 * s, q)


def _secret_row(ctx, q):
    return _row(ctx.export_secret_key(), 32, q)  # the key's body starts with NTT(s) mod q0


@pytest.mark.parametrize("scheme", ["ckks", "bfv"])
def test_symmetric_encryption_error_is_cbd21(scheme):
    ctx = _context(scheme)
    q = ctx.coeff_moduli[0]
    s = _secret_row(ctx, q)
    e = np.concatenate([_phase(ctx, ctx.encrypt(_zeros(ctx), symmetric=True), s, q) for _ in range(ENCRYPTIONS)])
    n = e.size
    assert np.abs(e).max() <= 21  # CBD(21) support
    # Three checks at 1e-6 / 3 each. Mean 0 (sd sqrt(10.5 / n)); E[e^2] = 10.5 with
    # Var[e^2] = mu4 - sigma^4 = 325.5 - 110.25 (as in test_lattice_samplers.py), so the
    # mean of squares has sd sqrt(215.25 / n) = 0.057 (0.55% of 10.5): the band is +-2.8%.
    # No error (e = 0) gives a mean square of 0, far outside.
    z = stats.norm.isf(1e-6 / 3 / 2)  # two-sided: 5.10
    assert abs(e.mean()) < z * math.sqrt(10.5 / n)
    assert abs((e * e).mean() - 10.5) < z * math.sqrt(215.25 / n), (e * e).mean()
    # The exact pmf C(42, k + 21) / 2^42 on -10..10, the tails |k| > 10 pooled (expected
    # counts >= 21 in every cell): chi-square at 1e-6 / 3.
    support = np.arange(-10, 11)
    pmf = np.array([math.comb(42, int(k) + 21) for k in support], dtype=float) / 2.0 ** 42
    counts = np.array([np.count_nonzero(e == k) for k in support] + [np.count_nonzero(np.abs(e) > 10)], dtype=float)
    probs = np.append(pmf, 1 - pmf.sum())
    assert stats.chisquare(counts, n * probs).pvalue > 1e-6 / 3


@pytest.mark.parametrize("scheme", ["ckks", "bfv"])
def test_public_key_encryption_error_has_the_rlwe_variance(scheme):
    ctx = _context(scheme)
    q = ctx.coeff_moduli[0]
    s = _secret_row(ctx, q)
    saved = _he.save(ctx._native, ctx.public_key)  # header (32 bytes), seed of a, b = -a*s + e
    a = np.array([int(v) for v in _core.Prng(saved[32:64], 0).uniform_mod(q, N)], dtype=object)
    e_pk = _centered(_row(saved, 64, q) + a * s, q).astype(np.float64)
    s_coeffs = _centered(s, q).astype(np.float64)
    assert np.abs(e_pk).max() <= 21 and set(np.unique(s_coeffs)) <= {-1.0, 0.0, 1.0}  # the needles are right
    # phase = e0 + S e1 + E u, independent zero-mean entries (variances 10.5, 10.5, 2/3),
    # S and E the negacyclic matrices of s and e. Its covariance C = 10.5 I + 10.5 S S^T +
    # (2/3) E E^T is negacyclic, with eigenvalues lam_i = 10.5 + 10.5 |s^_i|^2 + (2/3) |e^_i|^2
    # (s^, e^: the twisted DFT at the odd powers of exp(i pi / N)).
    twist = np.exp(-1j * np.pi * np.arange(N) / N)
    lam = 10.5 + 10.5 * np.abs(np.fft.fft(s_coeffs * twist)) ** 2 + (2 / 3) * np.abs(np.fft.fft(e_pk * twist)) ** 2
    phases = [_phase(ctx, ctx.encrypt(_zeros(ctx), symmetric=False), s, q).astype(np.float64)
              for _ in range(ENCRYPTIONS)]
    total = sum(float(p @ p) for p in phases)
    # E[total] = K tr(C) = K sum(lam). For a quadratic form of independent entries, Var =
    # sum (mu4 - 3 sigma^4) A_ii^2 + 2 tr(C^2); mu4 - 3 sigma^4 < 0 for CBD(21) and the
    # ternary u, so Var <= 2 K sum(lam^2) (sd about 0.8% of the mean here). Skewness is about
    # 6 / sqrt(K N) = 0.02, so the normal tail holds: 6 sd, P < 2e-9, well under 1e-6.
    # Dropping e1*s (or u*e) removes about half the variance, some 60 sd.
    expected, sd = ENCRYPTIONS * lam.sum(), math.sqrt(2 * ENCRYPTIONS * float((lam ** 2).sum()))
    assert abs(total - expected) < 6 * sd, (total / expected, sd / expected)
    # The mean: sum of all coefficients has variance K * 1^T C 1 <= K N max(lam).
    assert abs(sum(p.sum() for p in phases)) < 6 * math.sqrt(ENCRYPTIONS * N * lam.max())
