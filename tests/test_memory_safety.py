"""Regression tests for memory-safety defects in the core (issue 12, items 10, 11, 13, 14).

Each crash bug is reproduced in a child interpreter, so a regression fails the test
instead of killing pytest; the child prints what it saw and exits 0. CI also runs this file
under the AddressSanitizer/UBSan build (.ci/run), which turns silent memory errors (the
Prng race, an out-of-bounds read, a null pointer to explicit_bzero) into failures.
"""

import os
import subprocess
import sys
import textwrap

import pytest

import pyppml

# The child imports the same pyppml as this process (source tree, installed copy or the
# sanitizer build's package directory), with the same environment (LD_PRELOAD, ASAN_OPTIONS).
_PKG_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(pyppml.__file__)))


def run_child(code: str) -> subprocess.CompletedProcess:
    # `python -c` puts the working directory first on sys.path; the package root goes before it.
    code = f"import sys; sys.path.insert(0, {_PKG_ROOT!r})\n" + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)


def expect_child(code: str, expected: str) -> None:
    """The child must exit cleanly and print `expected` as its last line."""
    res = run_child(code)
    assert res.returncode == 0, f"child died with {res.returncode}; stderr:\n{res.stderr[-3000:]}"
    lines = res.stdout.strip().splitlines()
    assert lines and lines[-1] == expected, f"child printed {res.stdout[-2000:]!r}; stderr:\n{res.stderr[-3000:]}"


# The child prints the name of the exception raised by the statement under test.
_CATCH = """
def catch(f):
    try:
        f()
    except BaseException as e:
        return type(e).__name__ + ": " + str(e)
    return "no exception"
"""


# --- issue 12 item 11: key generation without a special prime --------------------------

@pytest.mark.parametrize("make", [
    "ckks.Context(2048, coeff_mod_bits=[30], special_mod_bits=[])",
    "bfv.Context(2048, coeff_mod_bits=[30], special_mod_bits=[])",
], ids=["ckks", "bfv"])
def test_keygen_without_special_prime_is_refused(make):
    # Used to read past p_mod_q in generate_switch_key and crash the process.
    expect_child(_CATCH + f"""
from pyppml import ckks, bfv
msg = catch(lambda: {make}.keygen())
print(msg.split(":")[0], "special_mod_bits is empty" in msg)
""", "ParameterError True")


# --- issue 12 item 13: one Prng shared by Python threads -------------------------------

_PRNG_HAMMER = """
import threading
from pyppml import ring
seed = bytes(range(32))
p = ring.Prng(seed)
THREADS, CALLS = 8, 4000
SIZES = (8, 64, 136, 8, 520)  # uint64 words; multiples of 8 = whole 64-byte ChaCha blocks
outs = [[] for _ in range(THREADS)]
def work(k):
    for i in range(CALLS):
        outs[k].append(p.uint64(SIZES[(i + k) % len(SIZES)]).tobytes())
ts = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
for t in ts: t.start()
for t in ts: t.join()
blocks = lambda b: [b[i:i + 64] for i in range(0, len(b), 64)]
got = sorted(x for o in outs for b in o for x in blocks(b))
ref = sorted(blocks(ring.Prng(seed).uint64(8 * len(got)).tobytes()))
# Serialised draws partition the keystream: every block exactly once, none invented.
print(got == ref)
"""


def test_prng_shared_by_threads_hands_out_each_block_once():
    # Unsynchronised, this aborts (heap corruption) or repeats blocks in nearly every run.
    expect_child(_PRNG_HAMMER, "True")


def test_prng_shared_by_threads_across_entry_points():
    # Every binding that draws from a Python Prng (GIL held or released) takes its lock.
    expect_child("""
import threading
import numpy as np
from pyppml import ring, _core
p = ring.Prng()
secrets = np.arange(64, dtype=np.uint64)
calls = [lambda: p.uint64(300), lambda: p.random_bytes(1000), lambda: p.ternary(700),
         lambda: p.cbd(700), lambda: p.uniform_mod(97, 500),
         lambda: _core.dp_discrete_gaussian(9, 1, 200, p),
         lambda: _core.mpc.additive_share(p, secrets, 3),
         lambda: _core.mpc.shamir_share(p, secrets, 5, 3)]
def work(k):
    for i in range(3000):
        calls[(i + k) % len(calls)]()
ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print("done")
""", "done")


# --- issue 12 item 13: dp_table_info with a zero numerator or denominator (SIGFPE) --------

@pytest.mark.parametrize("kind,num,den,arg", [
    ("gaussian", 0, 1, "numerator"), ("gaussian", 1, 0, "denominator"),
    ("laplace", 0, 1, "numerator"), ("laplace", 1, 0, "denominator"),
], ids=["gaussian_num0", "gaussian_den0", "laplace_num0", "laplace_den0"])
def test_dp_table_info_zero_argument_raises(kind, num, den, arg):
    expect_child(_CATCH + f"""
from pyppml import _core
msg = catch(lambda: _core.dp_table_info({kind!r}, {num}, {den}))
print(msg.split(":")[0], {arg!r} in msg, issubclass(_core.ParameterError, ValueError))
""", "ParameterError True True")


def test_dp_table_info_unknown_kind_raises():
    from pyppml import _core

    with pytest.raises(_core.ParameterError, match="kind is unknown"):
        _core.dp_table_info("cauchy", 1, 1)


# --- issue 12 items 13 and 14: what require_u64 accepts ---------------------------------

def _ntt():
    from pyppml import ring

    q = ring.find_ntt_primes(30, 1024, 1)[0]
    return ring.NttTables(1024, q), q


def test_unpickled_uint64_array_is_accepted():
    import pickle

    import numpy as np
    from pyppml import _core

    t, q = _ntt()
    a = np.arange(1024, dtype=np.uint64) % q
    b = pickle.loads(pickle.dumps(a))
    assert b.dtype is not np.dtype(np.uint64)  # the case that identity comparison refused
    np.testing.assert_array_equal(t.forward(b), t.forward(a))
    shares = _core.mpc.additive_share(_core.Prng(), b, 2)
    np.testing.assert_array_equal(shares[0] + shares[1], b)


def test_unaligned_uint64_view_is_refused():
    import numpy as np
    from pyppml import _core

    t, q = _ntt()
    raw = np.zeros(1024 * 8 + 1, dtype=np.uint8)
    view = raw[1:].view(np.uint64)  # C-contiguous, writable, at an odd address
    assert not view.flags.aligned
    for call in (lambda: t.forward(view), lambda: t.forward_inplace(view),
                 lambda: _core.mpc.additive_share(_core.Prng(), view, 2)):
        with pytest.raises(_core.ParameterError, match=r"is not aligned; expected a uint64 array aligned to 8 bytes"):
            call()
    # An aligned copy of the same values goes through.
    t.forward(view.copy())


def test_byte_swapped_uint64_is_refused():
    import numpy as np
    from pyppml import _core

    t, _ = _ntt()
    swapped = np.zeros(1024, dtype=np.dtype(np.uint64).newbyteorder())
    with pytest.raises(_core.ParameterError, match="wrong dtype"):
        t.forward(swapped)


# --- issue 12 item 13: a bad level is a ParameterError, not an IndexError ---------------

@pytest.mark.parametrize("level", [-1, 2, 1000])
def test_bad_level_raises_parameter_error(level):
    import numpy as np
    from pyppml import _core, bfv, ckks

    c = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    with pytest.raises(_core.ParameterError, match=rf"encode: level is out of range; expected 0 <= level <= 1, got {level}"):
        c._native.encode_constant(1.0, 2.0 ** 28, level)
    with pytest.raises(_core.ParameterError, match=rf"encode: level is out of range"):
        c._native.encode_real(np.ones(4), 2.0 ** 28, level)
    b = bfv.Context(poly_degree=4096, coeff_mod_bits=[35, 35], special_mod_bits=[35])
    for to_aux in (True, False):
        with pytest.raises(_core.ParameterError, match=rf"_lift: level is out of range; expected 0 <= level <= 1, got {level}"):
            b._bfv._lift(level, to_aux, np.zeros(2 * 4096, dtype=np.uint64))


# --- issue 12 item 13: Shamir with t = 1 wipes an empty coefficient buffer --------------

def test_shamir_threshold_one_is_clean():
    # t = 1 has no random coefficients: the wipe used to pass explicit_bzero a null pointer,
    # which the sanitizer build (UBSan nonnull-attribute, halt_on_error) reports.
    expect_child("""
import numpy as np
from pyppml import _core
s = np.arange(5, dtype=np.uint64)
shares = _core.mpc.shamir_share(_core.Prng(), s, 3, 1)
print(all((row == s).all() for row in shares))
""", "True")


# --- issue 12 item 10: Context.from_bytes does not trust the bytes ------------------------

# Hand-built bytes, so that tests can say what a hostile sender would. Kept as source so
# that child interpreters run the same code (exec'd here as well).
_HELPERS_SRC = """
import struct


def _fnv_params(scheme, n, q, p, dnum, t):
    # Params::fingerprint (csrc/he/rlwe/params.cpp): FNV-1a over little-endian words.
    h = 1469598103934665603
    digits = len(q) if dnum <= 0 else min(dnum, len(q))
    for v in [scheme, n, len(q), *q, len(p), *p, digits, t]:
        for byte in int(v).to_bytes(8, "little"):
            h = ((h ^ byte) * 1099511628211) % (1 << 64)
    return h


def params_bytes(scheme, n, q, p, security, dnum=0, standard=0, t=0, count_q=None, count_p=None):
    # save_params's format (csrc/he/rlwe/serialization.cpp); count_* override the claimed counts.
    le = lambda v, k: int(v).to_bytes(k, "little")
    body = le(n, 8) + le(len(q) if count_q is None else count_q, 2) + le(len(p) if count_p is None else count_p, 2)
    body += b"".join(le(v, 8) for v in q + p) + le(dnum, 2) + le(security, 2) + le(standard, 1) + le(t, 8)
    head = b"PPML" + bytes([2, 3, 1, scheme]) + le(_fnv_params(scheme, n, q, p, dnum, t), 8) + le(0, 8)  # format 2.3
    return seal(head + le(len(body), 8) + body)


def seal(data):
    # The format's checksum trailer (not a MAC: a hostile sender computes it too).
    from pyppml._core import he
    return data + he.checksum(data).to_bytes(8, "little")


def context_bytes(params, extra=b""):
    # pyppml._rlwe's container: magic, then parameters, three empty key parts and extra.
    out = b"PPMLCTX2"
    for part in (params, b"", b"", b"", extra):
        out += len(part).to_bytes(8, "little") + part
    return seal(out)


def primes(bits, n, count):
    from pyppml import ring
    return ring.find_ntt_primes(bits, n, count)


CKKS_EXTRA = struct.pack("<d", 2.0 ** 28)  # the CKKS container's default scale
"""
exec(_HELPERS_SRC)


def _small_ckks():
    from pyppml import ckks

    return ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)


def test_params_bytes_helper_matches_the_core():
    # The hand-built bytes below are only meaningful if they are the core's format.
    from pyppml._core import he

    c = _small_ckks()
    real = he.save_params(c._native)
    n = int.from_bytes(real[32:40], "little")
    nq, np_ = int.from_bytes(real[40:42], "little"), int.from_bytes(real[42:44], "little")
    primes = [int.from_bytes(real[44 + 8 * i:52 + 8 * i], "little") for i in range(nq + np_)]
    assert params_bytes(1, n, primes[:nq], primes[nq:], 128) == real


def _insecure_ckks_bytes():
    c = _small_ckks()
    from pyppml._core import he

    real = he.save_params(c._native)
    nq, np_ = int.from_bytes(real[40:42], "little"), int.from_bytes(real[42:44], "little")
    primes = [int.from_bytes(real[44 + 8 * i:52 + 8 * i], "little") for i in range(nq + np_)]
    # Same primes, but the sender claims "no security check" (level 0).
    return context_bytes(params_bytes(1, 4096, primes[:nq], primes[nq:], 0), CKKS_EXTRA), primes, nq


@pytest.mark.parametrize("scheme", ["ckks", "bfv"])
def test_from_bytes_refuses_security_level_zero_by_default(scheme):
    import pyppml
    from pyppml import FormatError, ParameterError, bfv, ckks

    data, primes, nq = _insecure_ckks_bytes()
    if scheme == "bfv":
        data = context_bytes(params_bytes(2, 4096, primes[:nq], primes[nq:], 0, t=65537))
    Context = {"ckks": ckks.Context, "bfv": bfv.Context}[scheme]
    with pytest.raises(FormatError, match=r"security level below the minimum; expected at least min_security = 128 bits, got 0"):
        Context.from_bytes(data)
    with pytest.raises(ParameterError, match=r"min_security removes the security check; expected .*allow_insecure=True, got None"):
        Context.from_bytes(data, min_security=None)
    # The explicit opt-in loads it.
    assert Context.from_bytes(data, min_security=None, allow_insecure=True).security is None


def test_from_bytes_min_security_is_a_floor():
    from pyppml import FormatError, ckks

    data = _small_ckks().to_bytes()
    assert ckks.Context.from_bytes(data, min_security=128).poly_degree == 4096
    with pytest.raises(FormatError, match=r"expected at least min_security = 192 bits, got 128"):
        ckks.Context.from_bytes(data, min_security=192)


def _context_2018(scheme, q_bits):
    # n = 8192: the 2018 table allows log2(Q*P) <= 218 at 128 bits, the 2024 table 214.
    import warnings

    from pyppml import bfv, ckks

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if scheme == "ckks":
            return ckks.Context(poly_degree=8192, coeff_mod_bits=q_bits, special_mod_bits=[58], scale_bits=38,
                                security_standard="2018")
        return bfv.Context(poly_degree=8192, plain_modulus=65537, coeff_mod_bits=q_bits, special_mod_bits=[58],
                           security_standard="2018")


@pytest.mark.parametrize("scheme", ["ckks", "bfv"])
def test_from_bytes_checks_the_2024_table_whatever_table_the_bytes_name(scheme):
    # The table byte is the sender's claim like its level: a context made under the 2018
    # table with a modulus over the 2024 bound is refused unless the receiver opts in.
    import pickle

    from pyppml import FormatError, ParameterError, bfv, ckks

    Context = {"ckks": ckks.Context, "bfv": bfv.Context}[scheme]
    sender = _context_2018(scheme, [60, 38, 60])
    assert 214 < sender.log_qp <= 218
    data = sender.to_bytes()
    with pytest.raises(FormatError, match=r"Context.from_bytes: security_standard is '2024' and the data meets only the "
                                          r"2018 table; expected log2\(Q\*P\) <= 214 for 128-bit security at n = 8192, "
                                          r"or security_standard='2018' to accept the 2018 table, got 21[5-8]\.\d+ bits"):
        Context.from_bytes(data)
    loaded = Context.from_bytes(data, security_standard="2018")
    assert (loaded.fingerprint, loaded.security) == (sender.fingerprint, 128)
    with pytest.raises(ParameterError, match=r"security_standard is not a known table; expected '2024' or '2018', "
                                             r"got '2020'"):
        Context.from_bytes(data, security_standard="2020")
    # Within the 2024 bound, 2018 bytes load by default; pickles are trusted and always load.
    small = _context_2018(scheme, [60, 38, 50])
    assert small.log_qp <= 214 and Context.from_bytes(small.to_bytes()).fingerprint == small.fingerprint
    assert pickle.loads(pickle.dumps(sender)).fingerprint == sender.fingerprint


@pytest.mark.parametrize("bad", [64, 100, "128", 1 << 70])
def test_from_bytes_rejects_unsupported_min_security(bad):
    from pyppml import ParameterError, ckks

    with pytest.raises(ParameterError, match="min_security is not a supported level"):
        ckks.Context.from_bytes(_small_ckks().to_bytes(), min_security=bad)


def test_from_bytes_caps_the_work_of_a_hostile_blob():
    # A blob of about 1.7 KB asking for n = 2^15 and 200 primes, security "none": loading it
    # unchecked builds the NTT tables of every prime (hundreds of MiB). Refused before any
    # allocation, even with the insecure opt-in, by the prime-count and degree limits.
    expect_child(_HELPERS_SRC + """
import resource
from pyppml import FormatError, ckks
q = primes(30, 1 << 15, 200)
blob = context_bytes(params_bytes(1, 1 << 15, q[:199], q[199:], 0), CKKS_EXTRA)
assert len(blob) < 2000
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = []
for kw in ({}, {"min_security": None, "allow_insecure": True}):
    try:
        ckks.Context.from_bytes(blob, **kw)
        out.append("loaded")
    except FormatError as e:
        out.append(str(e).split("; ")[0])
grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(all(o.endswith("more primes than the limit") for o in out), len(out) == 2, grown_mib < 32)
""", "True True True")


def test_from_bytes_max_poly_degree():
    from pyppml import FormatError, ckks

    q = primes(30, 1 << 16, 3)
    blob = context_bytes(params_bytes(1, 1 << 16, q[:2], q[2:], 0), CKKS_EXTRA)
    with pytest.raises(FormatError, match=r"ring degree over the limit; expected n <= max_poly_degree = 32768, got 65536"):
        ckks.Context.from_bytes(blob, min_security=None, allow_insecure=True)
    # Raising the cap is the caller's explicit choice; the table then decides.
    ctx = ckks.Context.from_bytes(blob, min_security=None, allow_insecure=True, max_poly_degree=1 << 16)
    assert ctx.poly_degree == 1 << 16


def test_from_bytes_prime_counts_checked_against_length():
    # The header claims 200 primes but carries 3: refused before reading or allocating.
    from pyppml import FormatError, ckks

    q = primes(30, 4096, 3)
    blob = context_bytes(params_bytes(1, 4096, q[:2], q[2:], 128, count_q=199, count_p=1), CKKS_EXTRA)
    with pytest.raises(FormatError, match="wrong body length"):
        ckks.Context.from_bytes(blob, max_primes=256)


@pytest.mark.parametrize("scheme", [1, 2], ids=["ckks", "bfv"])
def test_from_bytes_refuses_context_without_special_prime(scheme):
    # Item 11 through the loader: one data prime and no special prime passed validate.
    expect_child(_HELPERS_SRC + f"""
from pyppml import FormatError, ckks, bfv
q = primes(30, 2048, 1)
blob = context_bytes(params_bytes({scheme}, 2048, q, [], 128, t=65537 if {scheme} == 2 else 0),
                     CKKS_EXTRA if {scheme} == 1 else b"")
Context = ckks.Context if {scheme} == 1 else bfv.Context
try:
    Context.from_bytes(blob).keygen()
    print("loaded")
except FormatError as e:
    print("special_mod_bits is empty" in str(e))
""", "True")


def test_core_mpc_errors_never_quote_private_values():
    # The Python layer checks first, but direct _core callers must not see secrets either.
    import numpy as np

    from pyppml import ParameterError, _core

    secret = 2**61 + 123456789  # >= p: refused, and its digits must not appear
    with pytest.raises(ParameterError) as info:
        _core.mpc.shamir_share(_core.Prng(), np.array([5, secret], dtype=np.uint64), 3, 2)
    assert str(secret) not in str(info.value) and "flat index 1" in str(info.value)
    with pytest.raises(ParameterError) as info:
        _core.mpc.fixed_encode(np.array([0.5, -3.1415926535e20]), 16)
    assert "314159" not in str(info.value) and "flat index 1" in str(info.value)
