"""The README's Python blocks and every module's doctests run and pass (they are the first
code a new user copies, so they are tested like code)."""

import doctest
import importlib
import os
import pathlib
import pkgutil
import re
import subprocess
import sys

import pytest

import pyppml

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def _readme_blocks():
    text = README.read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_python_blocks():
    assert len(_readme_blocks()) >= 3


@pytest.mark.parametrize("index", range(len(_readme_blocks())), ids=lambda i: f"block{i}")
def test_readme_block_runs(index, tmp_path):
    # A fresh interpreter per block: a block must not lean on names another block defined.
    # It runs outside the checkout, as a user's script would, with the pyppml this test
    # imported (installed, or a developer build in place) first on its path: a clean
    # checkout's pyppml/ has no compiled module.
    code = _readme_blocks()[index]
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(pyppml.__file__).resolve().parents[1]))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=tmp_path,
                         env=env)
    assert run.returncode == 0, f"README block {index} failed:\n{code}\n--- stderr ---\n{run.stderr[-3000:]}"


def _modules():
    names = ["pyppml"]
    for info in pkgutil.walk_packages(pyppml.__path__, prefix="pyppml."):
        if ".benchmarks" in info.name:  # benchmark drivers time peers; not documentation
            continue
        if info.name.rsplit(".", 1)[-1].startswith("lib"):  # the C ABI's shared library, not a Python module
            continue
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_doctests(name):
    if "flower" in name:
        pytest.importorskip("flwr")
    if name.startswith("pyppml.numba"):
        pytest.importorskip("numba")
    if name.startswith("pyppml.capi"):
        pytest.importorskip("cffi")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} doctest examples failed"
