"""CKKS decryption for release through the C ABI (2.2): the same plan as Python's
decrypt_for_release (the core's), flooding of the planned width in the released values
(chi-square bands at a false-failure rate of 1e-6, with the power to see a width off by
1.2x), a count per key that refuses releases beyond max_releases, and bad input refused
before anything is counted."""

import math

import numpy as np
import pytest
from scipy.stats import chi2

from pyppml import ckks
from pyppml.capi import check, ffi, handles, last_error, lib
from pyppml.ckks import release

NULL = ffi.NULL
FALSE_FAILURE = 1e-6


@pytest.fixture
def pair():
    """A Python context (scale 2^55, about 14 releasable bits at s = 40) with a fresh key,
    and the C context and secret key imported from it."""
    py = ckks.Context(poly_degree=8192, coeff_mod_bits=[60, 55], special_mod_bits=[60], scale_bits=55)
    py.keygen(conjugate=False)
    data = py.to_bytes()
    ctx, pk, rk, gk = (ffi.new(f"ppml_{k}**") for k in ("context", "public_key", "relin_key", "galois_keys"))
    check(lib.ppml_context_import(data, len(data), 128, 0, 0, ctx, pk, rk, gk))
    c = {"ctx": ffi.gc(ctx[0], lib.ppml_context_free), "pk": ffi.gc(pk[0], lib.ppml_public_key_free)}
    skb = py.export_secret_key()
    c["sk"] = handles.new("ppml_secret_key", lib.ppml_secret_key_import, c["ctx"], skb, len(skb))
    return py, c


def _ciphertext(py, c, x):
    data = py.encrypt(x, symmetric=False).to_bytes()
    return handles.new("ppml_ciphertext", lib.ppml_ciphertext_load, c["ctx"], data, len(data))


def _release(c, ct, bits, bound, s=0, tau=0):
    out = np.empty(c["slots"] if "slots" in c else 4096)
    needed = ffi.new("size_t*")
    rc = lib.ppml_ckks_decrypt_for_release(c["ctx"], c["sk"], ct, bits, bound, s, tau,
                                           ffi.cast("double*", ffi.from_buffer(out)), out.size, needed)
    return rc, out


def _made(c) -> int:
    made = ffi.new("uint64_t*")
    check(lib.ppml_ckks_releases_made(c["ctx"], c["sk"], made))
    return made[0]


def _default_bound(c) -> float:
    out = ffi.new("double*")
    check(lib.ppml_ckks_default_noise_bound(c["ctx"], out))
    return out[0]


def test_default_bound_is_pythons(pair):
    py, c = pair
    assert _default_bound(c) == release.default_noise_bound(py)


@pytest.mark.parametrize("bits", [12, 8.5])
def test_released_noise_has_the_planned_width(pair, bits):
    """sum(err^2) / planned variance over 4096 slots against chi2(4096): a release
    without flooding (err = the rounding only) or at another width falls outside."""
    py, c = pair
    x = np.random.default_rng(5).uniform(-1, 1, py.slots)
    ct = _ciphertext(py, c, x)
    rc, out = _release(c, ct, bits, _default_bound(c))
    assert rc == lib.PPML_OK, last_error()
    step = 2.0 ** -math.ceil(bits)
    planned = 2.0 ** (-2 * bits) + step * step / 12  # flooding, then the grid (Sheppard)
    dof = out.size
    lo, hi = chi2.ppf(FALSE_FAILURE / 2, dof) / dof, chi2.isf(FALSE_FAILURE / 2, dof) / dof
    assert lo > 1.2 ** -2 and hi < 1.2 ** 2  # the power to see a width off by 1.2x
    ratio = float(np.sum((out - x) ** 2) / dof / planned)
    assert lo < ratio < hi, f"released variance / planned = {ratio:.4f}, band ({lo:.4f}, {hi:.4f})"
    assert np.array_equal(out / step, np.round(out / step))  # on the grid


def test_count_per_key_and_refusals_before_counting(pair):
    py, c = pair
    ct = _ciphertext(py, c, np.full(py.slots, 0.25))
    bound = _default_bound(c)
    needed = ffi.new("size_t*")
    # The size query and a short buffer count nothing.
    check(lib.ppml_ckks_decrypt_for_release(c["ctx"], c["sk"], ct, 8, bound, 0, 2, NULL, 0, needed))
    assert needed[0] == py.slots
    short = np.empty(10)
    assert lib.ppml_ckks_decrypt_for_release(c["ctx"], c["sk"], ct, 8, bound, 0, 2, ffi.cast("double*", ffi.from_buffer(short)),
                                             10, needed) == lib.PPML_ERR_BUFFER_TOO_SMALL
    # Too much precision for the scale: refused with the most it allows, not counted.
    plan = release.plan_release(py, py.encrypt(np.zeros(4)), 1, max_releases=2)
    rc, _ = _release(c, ct, math.floor(plan.max_bits) + 1, bound, 0, 2)
    assert rc == lib.PPML_ERR_INVALID_ARGUMENT
    assert f"expected <= {plan.max_bits:.2f}" in last_error() and "ppml_ckks_decrypt_for_release" in last_error()
    for bad_bound in (0.0, math.nan, math.inf):
        assert _release(c, ct, 8, bad_bound, 0, 2)[0] == lib.PPML_ERR_INVALID_ARGUMENT
        assert "noise_bound is invalid" in last_error()
    for bad_s in (39, 129, -1):
        assert _release(c, ct, 8, bound, bad_s, 2)[0] == lib.PPML_ERR_INVALID_ARGUMENT
        assert "security_bits" in last_error()
    assert _made(c) == 0
    # Two releases under tau = 2, then refused; another tau is refused too.
    for k in (1, 2):
        rc, out = _release(c, ct, 8, bound, 0, 2)
        assert rc == lib.PPML_OK and _made(c) == k
        assert np.max(np.abs(out - 0.25)) < 2.0 ** -3
    assert _release(c, ct, 8, bound, 0, 2)[0] == lib.PPML_ERR_INVALID_ARGUMENT
    assert "has used its releases; expected at most max_releases = 2" in last_error()
    assert _release(c, ct, 8, bound, 0, 3)[0] == lib.PPML_ERR_INVALID_ARGUMENT
    assert "max_releases differs from the first release under this key; expected 2, got 3" in last_error()
    assert _made(c) == 2


def test_a_reimported_key_keeps_its_count(pair):
    """The count belongs to the key, not the handle: a second import of the same
    secret key cannot release again."""
    py, c = pair
    ct = _ciphertext(py, c, np.zeros(py.slots))
    assert _release(c, ct, 8, _default_bound(c), 0, 1)[0] == lib.PPML_OK
    skb = py.export_secret_key()
    again = dict(c, sk=handles.new("ppml_secret_key", lib.ppml_secret_key_import, c["ctx"], skb, len(skb)))
    assert _made(again) == 1
    assert _release(again, ct, 8, _default_bound(c), 0, 1)[0] == lib.PPML_ERR_INVALID_ARGUMENT


def test_wrong_operands_are_refused(pair):
    py, c = pair
    ct = _ciphertext(py, c, np.zeros(py.slots))
    other = handles.new("ppml_secret_key", lib.ppml_secret_key_generate, c["ctx"])
    assert _release(dict(c, sk=other), ct, 8, _default_bound(c))[0] == lib.PPML_ERR_MISMATCH
    bfv_ctx = handles.new("ppml_context", lib.ppml_bfv_context_create, 4096, 65537, handles.ints([35, 35]), 2,
                          handles.ints([35]), 1, 128)
    out = ffi.new("double*")
    assert lib.ppml_ckks_default_noise_bound(bfv_ctx, out) == lib.PPML_ERR_INVALID_ARGUMENT


def test_a_scale_too_large_for_the_flooding_is_refused_before_counting(pair):
    """A ciphertext whose scale asks for a flooding wider than 2^57 (here 2^55 * 2^40 at
    one bit) is refused by the plan, not by the sampler after the count."""
    py, c = pair
    ones = np.ones(8)
    pt = handles.new("ppml_plaintext", lib.ppml_ckks_encode, c["ctx"], ffi.from_buffer("double[]", ones), ones.size,
                     2.0 ** 40, -1)
    ct = handles.new("ppml_ciphertext", lib.ppml_multiply_plain, c["ctx"], _ciphertext(py, c, np.zeros(py.slots)), pt)
    scale = ffi.new("double*")
    check(lib.ppml_ciphertext_info(ct, NULL, scale, NULL))
    assert scale[0] == 2.0 ** 95  # not rescaled
    assert _release(c, ct, 1, 2.0 ** 20, 0, 1)[0] == lib.PPML_ERR_INVALID_ARGUMENT
    assert "bits_of_precision is too low for this ciphertext's scale" in last_error()
    assert _made(c) == 0
