"""BFV decryption with wide (60-61-bit) data primes reads fresh ciphertexts right.

Review 2026-12-08: decryption summed x_i floor(2^64 r_i / q_i), whose truncation costs up
to q_i / 2^64 per limb (1/8 at 61 bits). With 12 such limbs a fresh ciphertext whose
noise budget was 704 bits read as invariant noise 0.5: ``decrypt`` raised
DecryptionError and, unchecked, all 8192 slots came back wrong; the C ABI refused fresh
ciphertexts at n = 2^15 over 13 x 60-bit primes. The fractions now carry 128 bits."""

import warnings

import numpy as np
import pytest

from pyppml import bfv


@pytest.mark.parametrize("n,limbs,bits", [(8192, 12, 61), (8192, 6, 60), (16384, 13, 60)])
def test_fresh_ciphertexts_over_wide_primes_decrypt_exactly(n, limbs, bits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # security=None: the explicit opt-in for a test chain
        ctx = bfv.Context(poly_degree=n, plain_modulus=65537, coeff_mod_bits=[bits] * limbs,
                          special_mod_bits=[61], security=None)
    ctx.keygen(relin=False)
    rng = np.random.default_rng(limbs)
    for symmetric in (False, True):
        x = rng.integers(0, ctx.plain_modulus, ctx.slots, dtype=np.uint64)
        c = ctx.encrypt(x, symmetric=symmetric)
        _, noise = ctx._bfv.decrypt(ctx.secret_key, c._native)
        # The invariant noise of a fresh ciphertext is ~2^-(budget); 2^-40 leaves room.
        assert ctx.noise_budget(c) > 300 and noise < 2.0**-40
        np.testing.assert_array_equal(ctx.decrypt(c), x.astype(np.int64))
