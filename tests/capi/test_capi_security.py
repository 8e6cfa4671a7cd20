"""Security defaults of the C ABI match the Python API's: 0 is the default security level
(128) for ``security`` and ``min_security``, as 0 is the default of every other limit, and
only ``PPML_SECURITY_NONE`` turns the table check off; imported parameters must meet the
2024 table whatever table the bytes name unless the caller passes ``PPML_STANDARD_2018``;
BFV decryption past the noise budget returns ``PPML_ERR_DECRYPTION`` and no plaintext,
where the Python API raises ``DecryptionError``."""

import os
import subprocess
import sys
import tempfile
import textwrap
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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mmap guard pages via libc")
def test_base_converter_count_is_checked_before_the_moduli_are_read():
    """Review: ppml_base_converter_create read `count` moduli before checking count <= 256:
    257 on a one-element array that ends at a guard page killed the process (SIGSEGV).
    Run in a child so that a crash is a failure, not the end of the test run."""
    code = textwrap.dedent("""
        import ctypes
        import numpy as np
        from pyppml.capi import ffi, lib
        libc = ctypes.CDLL(None)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
        libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        base = libc.mmap(None, 8192, 3, 0x22, -1, 0)
        assert libc.mprotect(base + 4096, 4096, 0) == 0  # the second page: no access
        last = ffi.cast("uint64_t*", base + 4096 - 8)  # one modulus, right before the guard page
        last[0] = 17
        to = np.array([97], dtype=np.uint64)
        out = ffi.new("ppml_base_converter**")
        status = lib.ppml_base_converter_create(last, 257, ffi.cast("uint64_t*", to.ctypes.data), 1, out)
        print(status == lib.PPML_ERR_INVALID_ARGUMENT)
    """)
    # The pyppml this process uses, from a neutral directory (a CI checkout has no compiled core).
    import pyppml

    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(pyppml.__file__))}
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                           cwd=tempfile.gettempdir())
    assert child.returncode == 0 and child.stdout.strip() == "True", (child.returncode, child.stderr[-500:])


def test_shamir_party_count_is_capped():
    """Review: reconstruction is quadratic in the shares and k up to 10^6 was accepted (an
    8 MB input asking for hours of CPU). Sharings are capped at 4096 parties."""
    from pyppml import mpc

    points = np.arange(1, 4098, dtype=np.uint64)
    shares = np.zeros(4097, dtype=np.uint64)
    secrets = np.zeros(1, dtype=np.uint64)
    u = lambda a: ffi.cast("uint64_t*", a.ctypes.data)  # noqa: E731
    assert lib.ppml_shamir_reconstruct(u(points), 4097, u(shares), 4097, 1, u(secrets)) == lib.PPML_ERR_INVALID_ARGUMENT
    assert "1 <= k <= 4096" in last_error()
    with pytest.raises(ValueError, match="4096"):
        mpc.shamir_share(np.zeros(1, dtype=np.uint64), 4097, 2)
    assert lib.ppml_shamir_reconstruct(u(points), 4096, u(shares), 4096, 1, u(secrets)) == lib.PPML_OK


def test_ckks_scales_are_checked_as_in_python():
    """Review: the C ABI skipped the Python layer's scale limits, so wrong answers came back
    with PPML_OK: 3.7 encoded at scale 1 decrypted to 56.7, a NaN scale became the default,
    and a product past Q_1 (scale 2^84 against Q ~ 2^66) decrypted to garbage."""
    ctx = handles.new("ppml_context", lib.ppml_ckks_context_create, 4096, handles.ints([38, 28]), 2,
                      handles.ints([38]), 1, 2.0 ** 28, 128)
    sk = handles.new("ppml_secret_key", lib.ppml_secret_key_generate, ctx)
    p = ffi.new("ppml_plaintext**")
    for scale, what in ((1e-300, "scale is too small"), (1.0, "scale is too small"),
                        (float("nan"), "scale is not a number"), (2.0 ** 70, "scale exceeds the modulus")):
        assert lib.ppml_ckks_encode(ctx, ffi.new("double[]", [3.7]), 1, scale, -1, p) == lib.PPML_ERR_INVALID_ARGUMENT
        assert what in last_error()
    pt = handles.new("ppml_plaintext", lib.ppml_ckks_encode, ctx, ffi.new("double[]", [1.5]), 1, 2.0 ** 28, -1)
    a = handles.new("ppml_ciphertext", lib.ppml_encrypt_symmetric, ctx, sk, pt)
    square = handles.new("ppml_ciphertext", lib.ppml_multiply, ctx, a, a)  # scale 2^56 <= Q_1 / 2: fine
    out = ffi.new("ppml_ciphertext**")
    assert lib.ppml_multiply(ctx, square, a, out) == lib.PPML_ERR_INVALID_ARGUMENT and out[0] == NULL
    assert "product scale exceeds the modulus" in last_error()
    assert lib.ppml_multiply_plain(ctx, square, pt, out) == lib.PPML_ERR_INVALID_ARGUMENT
    low = handles.new("ppml_ciphertext", lib.ppml_encrypt_symmetric, ctx, sk,
                      handles.new("ppml_plaintext", lib.ppml_ckks_encode, ctx, ffi.new("double[]", [0.5]), 1,
                                  2.0 ** 17, -1))
    assert lib.ppml_rescale(ctx, low, out) == lib.PPML_ERR_INVALID_ARGUMENT  # 2^17 / q_1 < 2^10 sqrt(n)
    assert "result scale is too small" in last_error()


def test_shifted_overlaps_are_refused():
    """Review: element-wise kernels read ahead of what they write, so an `out` shifted
    against an input gave wrong values with PPML_OK, and so did ppml_base_convert writing
    over its input. The same buffer is fine for the element-wise kernels; a shifted one,
    or any overlap in a conversion, is refused."""
    q = 97
    buf = np.arange(1, 41, dtype=np.uint64) % q
    u = lambda a, off=0: ffi.cast("uint64_t*", a.ctypes.data) + off  # noqa: E731
    assert lib.ppml_eltwise_add_mod(u(buf), u(buf), u(buf), 32, q) == lib.PPML_OK  # in place
    for call in (lambda: lib.ppml_eltwise_add_mod(u(buf), u(buf), u(buf, 1), 32, q),
                 lambda: lib.ppml_eltwise_mul_mod(u(buf, 2), u(buf), u(buf), 32, q),
                 lambda: lib.ppml_eltwise_mul_scalar_mod(u(buf), 3, u(buf, 1), 32, q)):
        assert call() == lib.PPML_ERR_INVALID_ARGUMENT and "overlaps" in last_error()
    conv = ffi.new("ppml_base_converter**")
    src, dst = np.array([97], dtype=np.uint64), np.array([193, 257], dtype=np.uint64)
    check(lib.ppml_base_converter_create(u(src), 1, u(dst), 2, conv))
    rows = np.zeros(16, dtype=np.uint64)
    status = lib.ppml_base_convert(conv[0], u(rows), 8, u(rows), 16, 8, lib.PPML_CONVERT_EXACT)
    message = last_error()
    lib.ppml_base_converter_free(conv[0])
    assert status == lib.PPML_ERR_INVALID_ARGUMENT and "overlaps in" in message
