"""Security defaults of the C ABI match the Python API's: 0 is the default security level
(128) for ``security`` and ``min_security``, as 0 is the default of every other limit, and
only ``PPML_SECURITY_NONE`` turns the table check off; imported parameters must meet the
2024 table whatever table the bytes name unless the caller passes ``PPML_STANDARD_2018``;
BFV decryption past the noise budget returns ``PPML_ERR_DECRYPTION`` and no plaintext,
where the Python API raises ``DecryptionError``."""

import warnings

import numpy as np
import pytest

from pyppml import bfv, ckks
from pyppml.capi import check, ffi, handles, last_error, lib

NULL = ffi.NULL
T = 65537


def _import(data, min_security, standard=0):
    out = ffi.new("ppml_context**")
    status = lib.ppml_context_import_standard(data, len(data), min_security, standard, 0, 0, out, NULL, NULL, NULL)
    if status == lib.PPML_OK:
        lib.ppml_context_free(out[0])
    else:
        assert out[0] == NULL
    return status, last_error()


def test_min_security_zero_is_the_default_level_not_unchecked():
    # n = 4096 with log2(QP) ~ 180: the 128-bit bound is 106. Made unchecked on purpose.
    insecure = handles.new("ppml_context", lib.ppml_ckks_context_create, 4096, handles.ints([60, 60]), 2,
                           handles.ints([60]), 1, 2.0 ** 40, lib.PPML_SECURITY_NONE)
    data = handles.read_bytes(lib.ppml_context_export, insecure, NULL, NULL, NULL)
    for min_security in (0, lib.PPML_SECURITY_DEFAULT, 128):
        status, message = _import(data, min_security)
        assert status == lib.PPML_ERR_FORMAT
        assert "security level below the minimum; expected at least min_security = 128 bits, got 0 (none)" in message
    assert _import(data, lib.PPML_SECURITY_NONE) == (lib.PPML_OK, "")
    status, message = _import(data, -2)
    assert status == lib.PPML_ERR_INVALID_ARGUMENT and "min_security is not a supported level" in message


def test_import_checks_the_2024_table_whatever_table_the_bytes_name():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sender = ckks.Context(poly_degree=8192, coeff_mod_bits=[60, 38, 60], special_mod_bits=[58], scale_bits=38,
                              security_standard="2018")  # log2(QP) ~ 216: over 2024's 214, within 2018's 218
    data = sender.to_bytes()
    status, message = _import(data, 128)
    assert status == lib.PPML_ERR_FORMAT
    assert "security_standard is '2024' and the data meets only the 2018 table; expected log2(Q*P) <= 214" in message
    assert _import(data, 128, lib.PPML_STANDARD_2018) == (lib.PPML_OK, "")
    assert _import(data, 0, lib.PPML_STANDARD_2024)[0] == lib.PPML_ERR_FORMAT
    out = ffi.new("ppml_context**")  # the 1.x entry point: always the 2024 table
    assert lib.ppml_context_import(data, len(data), 128, 0, 0, out, NULL, NULL, NULL) == lib.PPML_ERR_FORMAT
    assert out[0] == NULL


def test_bfv_decrypt_past_the_noise_budget_returns_an_error_and_no_plaintext():
    ctx = handles.new("ppml_context", lib.ppml_bfv_context_create, 4096, T, handles.ints([30, 30]), 2,
                      handles.ints([31]), 1, 128)
    sk = handles.new("ppml_secret_key", lib.ppml_secret_key_generate, ctx)
    pk = handles.new("ppml_public_key", lib.ppml_public_key_generate, ctx, sk)
    rk = handles.new("ppml_relin_key", lib.ppml_relin_key_generate, ctx, sk)
    values = np.full(4096, 3, dtype=np.uint64)
    pt = handles.new("ppml_plaintext", lib.ppml_bfv_encode, ctx, ffi.cast("uint64_t*", ffi.from_buffer(values)), 4096)
    ct = handles.new("ppml_ciphertext", lib.ppml_encrypt, ctx, pk, pt)
    expected = 3
    for _ in range(5):  # a 60-bit chain holds one or two squarings of a fresh ciphertext
        ct = handles.new("ppml_ciphertext", lib.ppml_relinearize, ctx,
                         handles.new("ppml_ciphertext", lib.ppml_multiply, ctx, ct, ct), rk)
        expected = expected * expected % T
        out = ffi.new("ppml_plaintext**")
        status = lib.ppml_decrypt(ctx, sk, ct, out)
        if status != lib.PPML_OK:
            break
        # Within the budget the result is right; a wrong one with PPML_OK is the bug.
        dec = ffi.gc(out[0], lib.ppml_plaintext_free)
        assert np.all(handles.read_values(lib.ppml_bfv_decode, np.uint64, ctx, dec) == expected)
    else:
        pytest.fail("five squarings stayed within the noise budget of a 60-bit chain")
    assert status == lib.PPML_ERR_DECRYPTION and out[0] == NULL
    assert last_error().startswith("ppml_decrypt: ciphertext has no noise budget left; expected invariant noise < 1/4")
    with pytest.raises(bfv.DecryptionError, match="no noise budget left"):
        check(status)
