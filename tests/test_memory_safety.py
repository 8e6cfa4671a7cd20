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
