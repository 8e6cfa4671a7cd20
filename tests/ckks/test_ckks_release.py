"""Release decryption guards privacy (issue 12, defect 6): the released values carry
flooding noise of the planned width (2^-bits_of_precision per real component), two
releases differ, the flooding is never below sqrt(12 tau) 2^(s/2) B (OpenFHE's rule) and
too much precision is refused.

Statistical tests: the sum of squared errors of N i.i.d. Gaussian components over the
planned variance is chi2(N); each assertion's acceptance band has a false-failure rate of
1e-6, and each test checks that a width wrong by a factor 1.2 falls outside the band."""

import math

import numpy as np
import pytest
from scipy.stats import chi2

from pyppml import ckks
from pyppml.ckks import release

FALSE_FAILURE = 1e-6


@pytest.fixture(scope="module")
def rctx():
    """Scale 2^55: enough for about 14 bits of released precision at s = 40."""
    return ckks.Context(poly_degree=8192, coeff_mod_bits=[60, 55], special_mod_bits=[60], scale_bits=55)


@pytest.fixture
def keyed(rctx):
    """A fresh key (and release count) for each test."""
    rctx.keygen(rotations=[1], conjugate=False)
    return rctx


def chi2_band(dof: int) -> tuple[float, float]:
    """Acceptance band of chi2(dof) / dof with total false-failure rate 1e-6, and a check
    that it has the power to see a standard deviation off by a factor 1.2."""
    lo = chi2.ppf(FALSE_FAILURE / 2, dof) / dof
    hi = chi2.isf(FALSE_FAILURE / 2, dof) / dof
    assert hi < 1.2 ** 2 and lo > 1.2 ** -2, "too few samples to catch a factor 1.2 in the width"
    return lo, hi


def planned_variance(bits: float) -> float:
    """The documented contract: flooding of standard deviation 2^-bits, then rounding to
    a grid of step 2^-ceil(bits) (variance step^2 / 12, Sheppard)."""
    step = 2.0 ** -math.ceil(bits)
    return 2.0 ** (-2 * bits) + step * step / 12


@pytest.mark.parametrize("bits,complex_", [(12, False), (8, False), (10.5, True)])
def test_release_spread_matches_planned_width(keyed, rng, bits, complex_):
    x = rng.uniform(-1, 1, keyed.slots) + (1j * rng.uniform(-1, 1, keyed.slots) if complex_ else 0)
    ct = keyed.encrypt(x, symmetric=False)
    out = keyed.decrypt_for_release(ct, bits_of_precision=bits, complex=complex_)
    err = np.concatenate([(out - x).real, (out - x).imag]) if complex_ else out - x
    lo, hi = chi2_band(err.size)
    ratio = float(np.sum(err ** 2) / err.size / planned_variance(bits))
    assert lo < ratio < hi, f"released noise variance / planned = {ratio:.4f}, band ({lo:.4f}, {hi:.4f})"
    # released values sit on the grid 2^-ceil(bits)
    grid = out * 2.0 ** math.ceil(bits)
    assert np.array_equal(grid, np.round(grid))


def test_two_releases_of_one_ciphertext_differ(keyed, rng):
    x = rng.uniform(-1, 1, keyed.slots)
    ct = keyed.encrypt(x)
    a = keyed.decrypt_for_release(ct, bits_of_precision=12, max_releases=2)
    b = keyed.decrypt_for_release(ct, bits_of_precision=12, max_releases=2)
    # Two grid values of independent floods (std = one grid step) coincide with
    # probability about 0.28 per slot: 4096 slots with > half equal is a 1e-100 event.
    assert np.count_nonzero(a != b) > keyed.slots // 2
    assert np.max(np.abs(a - x)) < 2.0 ** -6 and np.max(np.abs(b - x)) < 2.0 ** -6


def required_bits(ctx, scale: float, noise_bound: float, s: int = 40, tau: int = 1) -> float:
    """The most precision the rule sigma_coeff >= sqrt(12 tau) 2^(s/2) B allows: coefficient
    noise of std sigma gives each slot's real part std sigma * sqrt(n/2) / scale."""
    sigma = math.sqrt(12 * tau) * 2.0 ** (s / 2) * noise_bound
    return math.log2(scale / (sigma * math.sqrt(ctx.poly_degree / 2)))


@pytest.mark.parametrize("tau,s", [(1, 40), (16, 40), (1, 50)])
def test_precision_above_the_flooding_bound_is_refused(keyed, rng, tau, s):
    x = rng.uniform(-1, 1, keyed.slots)
    ct = keyed.encrypt(x)
    top = required_bits(keyed, ct.scale, release.default_noise_bound(keyed), s, tau)
    with pytest.raises(ValueError, match="bits_of_precision is too high for this ciphertext"):
        keyed.decrypt_for_release(ct, bits_of_precision=top + 0.05, security_bits=s, max_releases=tau)
    plan = release.plan_release(keyed, ct, top - 0.05, security_bits=s, max_releases=tau)
    assert plan.sigma >= plan.sigma_min
    assert abs(plan.max_bits - top) < 1e-9
    out = keyed.decrypt_for_release(ct, bits_of_precision=top - 0.05, security_bits=s, max_releases=tau)
    assert np.max(np.abs(out - x)) < 2.0 ** (-top + 4)


def test_noise_bound_argument_widens_the_flooding(keyed, rng):
    ct = keyed.encrypt(rng.uniform(-1, 1, keyed.slots))
    keyed.decrypt_for_release(ct, bits_of_precision=12, max_releases=2)
    # a 2^20 bound leaves about 7 bits less
    with pytest.raises(ValueError, match=r"expected <= 6\.\d+"):
        keyed.decrypt_for_release(ct, bits_of_precision=12, noise_bound=2.0 ** 20, max_releases=2)


def test_default_noise_bound_covers_measured_errors(keyed):
    """Encryptions of zero (public key), rotated (one key switch) and multiplied by 1.0
    (one rescale): every coefficient of the decrypted polynomial is error, and all of
    them stay below the default bound B (and the fresh ones below the fresh bound)."""
    B_fresh, B = release.fresh_noise_bound(keyed), release.default_noise_bound(keyed)
    fresh, evaluated = [], []
    for _ in range(8):
        ct = keyed.encrypt(np.zeros(keyed.slots), symmetric=False)
        for c, sink in ((ct, fresh), (ct.rotate(1) * 1.0, evaluated)):
            pt = keyed._native.decrypt(keyed.secret_key, c._native)
            sink.append(np.abs(keyed._native.decode_coefficients(pt)).max())
    assert max(fresh) < B_fresh and max(evaluated) < B
    # ... and the bounds are not vacuous: within 8x of the largest error seen. Measured
    # stds are about 340 (fresh) and 350 (evaluated) against B_fresh ~ 4660 and B ~ 6380,
    # so a largest error below B/8 (< 2.3 std) in all 65536 coefficients has probability
    # (1 - 0.02)^65536 < 1e-500. The exact formulas are pinned by the test below.
    assert B_fresh < 8 * max(fresh) and B < 8 * max(evaluated)


def _tail(n: int) -> float:
    """The documented tail factor: a proxy-V sub-Gaussian exceeds t with probability
    2 exp(-t^2 / 2V); over n coefficients at most 2^-64 when t = sqrt(2 (ln 2n + 64 ln 2) V)."""
    return math.sqrt(2.0 * (math.log(2 * n) + 64 * math.log(2)))


def test_noise_bounds_follow_the_documented_formula(keyed):
    """Review (mutation M10: the e1 s term dropped, B and the flooding 0.76x, and no test
    failed): B is recomputed here from the documented terms, not from the library.
    Fresh: e0 (10.5) + e1 s (10.5 h, h <= n) + u e_pk (2/3 * 2 * 10.5 n). Default: plus
    one key switch (digits * 10.5 n (q_digit / P)^2 + (1 + n) / 4) and one rescale
    ((1 + n) / 4). The flooding of a release is sqrt(12 tau) 2^(s/2) B of that B."""
    n = keyed.poly_degree
    fresh_proxy = 10.5 + 10.5 * n + (2 / 3) * 2 * 10.5 * n
    assert release.fresh_noise_bound(keyed) == pytest.approx(_tail(n) * math.sqrt(fresh_proxy), rel=1e-12)
    # This context: two digits of one prime each, P one prime; the larger digit is q_0.
    digits = keyed._native.digits
    assert digits == len(keyed.coeff_moduli) == 2 and len(keyed.special_moduli) == 1
    key_switch = digits * 10.5 * n * (max(keyed.coeff_moduli) / keyed.special_moduli[0]) ** 2 + (1 + n) / 4
    expected = _tail(n) * math.sqrt(fresh_proxy + key_switch + (1 + n) / 4)
    assert release.default_noise_bound(keyed) == pytest.approx(expected, rel=1e-9)
    ct = keyed.encrypt(np.zeros(keyed.slots), symmetric=False)
    plan = release.plan_release(keyed, ct, 2, security_bits=40, max_releases=4)
    assert plan.sigma_min == pytest.approx(math.sqrt(12 * 4) * 2.0 ** 20 * expected, rel=1e-9)


def _dense_secret_key(ctx, rng):
    """A valid ternary secret key with every coefficient +-1 (h = n, the worst case the
    fresh bound claims to cover), imported through the checked loader."""
    from pyppml import _core, ring
    from pyppml._core import he

    n, moduli = ctx.poly_degree, ctx.coeff_moduli + ctx.special_moduli
    s = rng.choice([-1, 1], n)
    rows = b"".join(_core.pack_fixed_width(ring.NttTables(n, q).forward(np.where(s < 0, q - 1, 1).astype(np.uint64)),
                                           q.bit_length()) for q in moduli)
    body = bytes(ctx.export_secret_key()[:32]) + rows  # the header of a real key, NTT(s) on every prime
    return he.import_secret_key(ctx._native, body + he.checksum(body).to_bytes(8, "little"))


def test_fresh_bound_covers_the_variance_of_a_dense_key(keyed, rng):
    """The variance proxy V = (B_fresh / tail)^2 must dominate the real per-coefficient
    variance of a fresh public-key error for any secret, h = n included. For a dense key
    that variance is 10.5 + 10.5 n + (2/3) ||e_pk||^2 ~ 17.5 n; V = 24.5 n + 10.5. (With
    the e1 s term dropped V would be 14 n + 10.5: 20% under it.)

    Statistics: 8 encryptions x 8192 coefficients. Coefficients of one encryption are
    correlated only through lag autocorrelations of s and e_pk (~1/sqrt(n)), which at
    most doubles the variance of the sample variance: relative sd <= sqrt(4 / 65536)
    = 0.8%, plus ||e_pk||^2's own spread (0.6%). The +-6% band around 17.5 n is > 6 sd
    (false failure < 1e-8); V sits 40% above, > 30 sd."""
    n = keyed.poly_degree
    sk = _dense_secret_key(keyed, rng)
    pk = keyed._native.keygen_public(sk)
    zero = keyed.encode(np.zeros(keyed.slots))._native
    err = np.concatenate([keyed._native.decode_coefficients(keyed._native.decrypt(sk, keyed._native.encrypt_public(pk, zero)))
                          for _ in range(8)])
    var = float(np.mean(err ** 2))
    assert abs(var / (17.5 * n) - 1) < 0.06, f"measured variance {var / n:.2f} n, expected 17.5 n"
    proxy = (release.fresh_noise_bound(keyed) / _tail(n)) ** 2
    assert var < proxy, f"B_fresh's variance proxy {proxy / n:.2f} n is below the measured {var / n:.2f} n"
    assert np.abs(err).max() < release.fresh_noise_bound(keyed)


def test_default_bound_only_for_what_it_covers(keyed, rng):
    """The default noise bound covers an encryption of this process followed by at most
    one key switch and one rescale (and level drops). Anything else (a sum, a product, two
    rotations, bytes, a pickle: errors the bound does not cover, or that an adversary
    chose) is refused without an explicit noise_bound, and released with one."""
    import pickle

    x = rng.uniform(-1, 1, keyed.slots)
    ct = keyed.encrypt(x)
    covered = {"fresh": ct, "rotated": ct.rotate(1), "rotated, dropped": ct.rotate(1).drop_to_level(0),
               "rotate_many": ct.rotate_many([1])[0]}
    uncovered = {"sum": ct + ct, "times a scalar": ct * 1.0, "two rotations": ct.rotate(1).rotate(1),
                 "product": (ct * ct), "from bytes": ckks.Ciphertext.from_bytes(ct.to_bytes(), keyed),
                 "unpickled": pickle.loads(pickle.dumps(ct)), "negated": -ct}
    for name, c in covered.items():
        assert keyed.decrypt_for_release(c, bits_of_precision=6, max_releases=64).shape == (keyed.slots,), name
    bound = release.default_noise_bound(keyed)
    for name, c in uncovered.items():
        with pytest.raises(ValueError, match=r"noise_bound is required for this ciphertext; expected a bound on its "
                                             r"error .*, got None"):
            keyed.decrypt_for_release(c, bits_of_precision=6, max_releases=64)
        with pytest.raises(ValueError, match="noise_bound is required"):
            release.plan_release(keyed, c, 6)
        # Refused before counting: only the explicit releases below are counted.
        assert keyed.decrypt_for_release(c, bits_of_precision=2, noise_bound=bound, max_releases=64).shape == (keyed.slots,), name
    assert keyed.releases_made == len(covered) + len(uncovered)


def test_release_count_is_enforced(keyed, rng):
    ct = keyed.encrypt(rng.uniform(-1, 1, keyed.slots))
    keyed.decrypt_for_release(ct, bits_of_precision=8, max_releases=2)
    with pytest.raises(ValueError, match="max_releases differs from the first release under this key; expected 2, got 3"):
        keyed.decrypt_for_release(ct, bits_of_precision=8, max_releases=3)
    keyed.decrypt_for_release(ct, bits_of_precision=8, max_releases=2)
    with pytest.raises(ValueError, match=r"used its releases; expected at most max_releases = 2 \(new keys for more\), got release number 3"):
        keyed.decrypt_for_release(ct, bits_of_precision=8, max_releases=2)
    assert keyed.releases_made == 2
    keyed.keygen(rotations=[], conjugate=False)  # a new key, a new count
    keyed.decrypt_for_release(keyed.encrypt([1.0]), bits_of_precision=8)
    assert keyed.releases_made == 1


def test_reimporting_the_key_does_not_reset_its_count(keyed, rng):
    """Review 2026-12-07: import_secret_key started a new count, so re-importing the
    exported key (or loading it into a second Context) allowed 21 releases of one
    ciphertext flooded for tau = 1. The count now belongs to the key in this process."""
    ct = keyed.encrypt(rng.uniform(-1, 1, keyed.slots))
    keyed.decrypt_for_release(ct, bits_of_precision=8)
    exported = keyed.export_secret_key()
    keyed.import_secret_key(exported)
    assert keyed.releases_made == 1
    with pytest.raises(ValueError, match="used its releases"):
        keyed.decrypt_for_release(ct, bits_of_precision=8)
    other = ckks.Context.from_bytes(keyed.to_bytes())  # another object, the same key
    other.import_secret_key(exported)
    assert other.releases_made == 1
    with pytest.raises(ValueError, match="used its releases"):
        other.decrypt_for_release(ct, bits_of_precision=8)


@pytest.mark.parametrize("kwargs,msg", [
    (dict(bits_of_precision=0.5), "bits_of_precision is out of range; expected 1..50, got 0.5"),
    (dict(security_bits=30), "security_bits is out of range; expected an integer in 40..128, got 30"),
    (dict(max_releases=0), "max_releases is invalid; expected an integer >= 1, got 0"),
    (dict(noise_bound=float("nan")), "noise_bound is invalid; expected a finite number >= 1"),
])
def test_bad_release_arguments(keyed, kwargs, msg):
    ct = keyed.encrypt([1.0])
    with pytest.raises(ValueError, match=msg):
        keyed.decrypt_for_release(ct, **kwargs)
    assert keyed.releases_made == 0


def test_small_scale_cannot_release(ctx, rng):
    """At scale 2^35 the flooding a fresh ciphertext needs (about 2^5 in the slots)
    leaves no precision: refused rather than released under-flooded."""
    ct = ctx.encrypt(rng.uniform(-1, 1, ctx.slots))
    with pytest.raises(ValueError, match=r"bits_of_precision is too high for this ciphertext; expected <= -\d"):
        ctx.decrypt_for_release(ct, bits_of_precision=1)


def test_wide_sampler_width(rng):
    """Above 2^30 the flooding is 2^k A + C: its spread matches the requested sigma."""
    sigma = 2.0 ** 40.3
    x = release.wide_discrete_gaussian(sigma, 20000)
    assert x.dtype == np.int64  # exact integers: float64 would round sums above 2^53
    x = x.astype(np.float64)
    lo, hi = chi2_band(x.size)
    assert lo < float(np.sum(x ** 2) / x.size / sigma ** 2) < hi


def test_views_of_a_context_share_its_release_count(monkeypatch):
    """Review: Context.to(device) copied the release count by value, so each view of one
    key counted on its own: six releases with max_releases=1. The count now belongs to
    the key and every view shares it. (No GPU is needed: the device checks are stubbed,
    the counting is the real code.)"""
    import pyppml.gpu.ciphertext as device

    monkeypatch.setattr(device, "check_device", lambda api, d: d)
    monkeypatch.setattr(device, "evaluator_for", lambda ctx: None)
    ctx = ckks.Context(poly_degree=8192, coeff_mod_bits=[60, 55], special_mod_bits=[60], scale_bits=55)
    ctx.keygen()
    view = ctx.to("cuda")
    views = [view, view.to("cpu")]
    ct = ctx.encrypt(np.full(ctx.slots, 0.25))
    ctx.decrypt_for_release(ct, bits_of_precision=4, max_releases=2)
    views[0].decrypt_for_release(ct, bits_of_precision=4, max_releases=2)
    for v in (ctx, *views):
        assert v.releases_made == 2
        with pytest.raises(ValueError, match="used its releases"):
            v.decrypt_for_release(ct, bits_of_precision=4, max_releases=2)
    ctx.keygen()  # a new key: a new count, for this context (its views keep the old key)
    assert ctx.releases_made == 0 and views[1].releases_made == 2


def _midpoint_ciphertext(ctx):
    """Coefficient 0 at 2^105 + 2^52 (plus the key-dependent error): the midpoint between
    two float64 values, 2^53 apart, so its rounding to float64 is the sign of the error."""
    ct = ctx.encrypt(np.full(ctx.slots, 2.0 ** 50))
    return ct + ctx.encode(np.full(ctx.slots, 2.0 ** -3), scale=ct.scale)


def test_flooding_is_added_before_the_float_conversion(keyed):
    """Review 2026-12-07: the coefficients became float64 before the flooding was added,
    so above 2^53 sigma their rounding was a function of the key-dependent error e alone:
    each release of the midpoint ciphertext showed sign(e_0) (24 of 24). Now the noise
    meets e in Z_Q; the rounding direction is the sign of e_0 + noise, a fair coin
    independent of e_0 (up to e / sigma ~ 2^-27). All 24 agreeing (or none) has
    probability 2^-23 < 1e-6 under that; the old code gave 24 of 24 every time."""
    agree = 0
    for _ in range(24):
        ct = _midpoint_ciphertext(keyed)
        lifted = keyed._native.decode_coefficients(keyed._native.decrypt(keyed.secret_key, ct._native))[0]
        out = keyed.decrypt_for_release(ct, bits_of_precision=6, noise_bound=2.0 ** 13, max_releases=1000)
        agree += (lifted > 2.0 ** 105) == (out[0] - 2.0 ** 50 > 0.125)
    assert 0 < agree < 24, agree


def test_decode_coefficients_adds_exactly_in_z_q(keyed):
    """The addend goes in before the rounding to float64: +2^40 or -2^40 on the midpoint
    2^105 + 2^52 + e_0 (|e_0| < 2^20) rounds up or down; added to the float afterwards it
    would change nothing (2^40 is below half the float64 step, 2^53)."""
    ct = _midpoint_ciphertext(keyed)
    pt = keyed._native.decrypt(keyed.secret_key, ct._native)
    n = keyed.poly_degree
    shift = np.full(n, 2 ** 40, dtype=np.int64)
    up = keyed._native.decode_coefficients(pt, shift)
    down = keyed._native.decode_coefficients(pt, -shift)
    assert up[0] == 2.0 ** 105 + 2.0 ** 53 and down[0] == 2.0 ** 105
    rng = np.random.default_rng(3)
    small = keyed.encode(rng.uniform(-1, 1, keyed.slots), scale=2.0 ** 30)._native
    add = rng.integers(-(2 ** 52), 2 ** 52, n, dtype=np.int64)
    np.testing.assert_array_equal(keyed._native.decode_coefficients(small, add),
                                  keyed._native.decode_coefficients(small) + add)  # exact below 2^53
    with pytest.raises(ValueError, match="add has the wrong length"):
        keyed._native.decode_coefficients(small, add[:-1])
