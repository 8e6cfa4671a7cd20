"""Regression tests for memory-safety defects in the core (issue 12, items 10, 11, 13, 14).

Each crash bug is reproduced in a child interpreter, so a regression fails the test
instead of killing pytest; the child prints the exception type it saw and exits 0.
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
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PKG_ROOT, env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=600)


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
    expect_child(_CATCH + f"""
from pyppml import ckks, bfv
msg = catch(lambda: {make}.keygen())
print(msg.split(":")[0])
print("special_mod_bits" in msg)
""", "True")
    expect_child(_CATCH + f"""
from pyppml import ckks, bfv
print(catch(lambda: {make}.keygen()).split(":")[0])
""", "ParameterError")


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
