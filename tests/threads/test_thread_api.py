"""pyppml.set_num_threads / get_num_threads / PYPPML_NUM_THREADS and their bad inputs."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

import pyppml
from pyppml import ParameterError

PACKAGE_PARENT = os.path.dirname(os.path.dirname(pyppml.__file__))


def _python(code: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYPPML_NUM_THREADS"}
    # The pyppml these tests import (the installed one in CI, whose checkout has no
    # compiled core), from a neutral directory so that the checkout is not on sys.path.
    env["PYTHONPATH"] = PACKAGE_PARENT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          cwd=tempfile.gettempdir())


def test_set_and_get_round_trip():
    before = pyppml.get_num_threads()
    try:
        for n in (1, 2, 7, 4096):
            pyppml.set_num_threads(n)
            assert pyppml.get_num_threads() == n
    finally:
        pyppml.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, -4096, 4097, 10**30])
def test_out_of_range_is_refused(bad):
    before = pyppml.get_num_threads()
    with pytest.raises(ParameterError, match=r"set_num_threads: n is out of range; expected 1 <= n <= 4096, got"):
        pyppml.set_num_threads(bad)
    assert pyppml.get_num_threads() == before


@pytest.mark.parametrize("bad", [1.5, 2.0, "2", None, True, [2]])
def test_non_integers_are_refused(bad):
    with pytest.raises(ParameterError, match=r"set_num_threads: n is not an integer; expected an int in \[1, 4096\]"):
        pyppml.set_num_threads(bad)
    assert issubclass(ParameterError, ValueError)


def test_numpy_integers_are_accepted():
    np = pytest.importorskip("numpy")
    before = pyppml.get_num_threads()
    try:
        pyppml.set_num_threads(np.int64(3))
        assert pyppml.get_num_threads() == 3
    finally:
        pyppml.set_num_threads(before)


def test_default_is_the_affinity_mask():
    r = _python("import os, pyppml; print(pyppml.get_num_threads(), len(os.sched_getaffinity(0)))")
    assert r.returncode == 0, r.stderr
    got, cpus = map(int, r.stdout.split())
    assert got == cpus


def test_default_follows_a_narrowed_affinity_mask():
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one CPU: nothing to narrow")
    r = _python("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
                "import pyppml; print(pyppml.get_num_threads())")
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == 1


def test_environment_variable_sets_the_default():
    r = _python("import pyppml; print(pyppml.get_num_threads())", {"PYPPML_NUM_THREADS": "3"})
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == 3


@pytest.mark.parametrize("value", ["0", "-2", "x", "1.5", "5000"])
def test_bad_environment_variable_fails_import_clearly(value):
    r = _python("import pyppml", {"PYPPML_NUM_THREADS": value})
    assert r.returncode != 0
    assert "PYPPML_NUM_THREADS" in r.stderr and "ParameterError" in r.stderr
    assert repr(value) in r.stderr or value in r.stderr


@pytest.mark.parametrize("value", ["-1", "x", "2.5", "1000001"])
def test_bad_spin_environment_variable_fails_import_clearly(value):
    r = _python("import pyppml", {"PYPPML_SPIN_US": value})
    assert r.returncode != 0
    assert "PYPPML_SPIN_US" in r.stderr and "ParameterError" in r.stderr
    assert repr(value) in r.stderr


@pytest.mark.parametrize("spin", ["0", "50", "1000000"])
def test_spin_setting_keeps_results(spin):
    # Sleeping at once, spinning briefly or for a second before sleeping: the same sums
    # on two threads, and the pool still answers after its workers went to sleep.
    code = ("import time, pyppml; pyppml.set_num_threads(2); "
            "a = pyppml._core._parallel_sum_for_tests(1000, 1); time.sleep(0.01); "
            "b = pyppml._core._parallel_sum_for_tests(1000, 7); print(a, b)")
    r = _python(code, {"PYPPML_SPIN_US": spin})
    assert r.returncode == 0, r.stderr
    expected = 36 * 1000 * 1001 // 2
    assert r.stdout.split() == [str(expected), str(expected)]


def test_nested_parallel_for_runs_and_sums_right(at_threads):
    # Each index i sums (i+1)*(k+1) over k < 8 in a nested parallel_for: 36 (i+1).
    count = 1000
    expected = 36 * count * (count + 1) // 2
    for grain in (1, 7, 5000):
        res = at_threads(lambda: pyppml._core._parallel_sum_for_tests(count, grain))
        assert set(res.values()) == {expected}
