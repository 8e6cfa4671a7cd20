"""`pyppml info` / pyppml.info(): version, build, CPU features and kernels, per backend."""

import os
import subprocess
import sys

import pyppml
from pyppml import info, ring


def test_info_dict_names_every_kernel():
    data = info()
    for key in ("version", "build_flags", "cpu_features", "backends", "kernels"):
        assert key in data
    assert "scalar" in data["backends"]
    assert set(data["kernels"]) >= {"ntt (q < 2^50)", "ntt (q < 2^61)", "eltwise (q < 2^50)", "chacha20"}


def test_forced_scalar_backend_is_reported():
    with ring.use_backend("scalar"):
        kernels = info()["kernels"]
    assert set(kernels.values()) == {"scalar"}


def test_cli_info_runs(tmp_path):
    # From a neutral directory, importing the same pyppml the tests use.
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(pyppml.__file__)))
    out = subprocess.run([sys.executable, "-m", "pyppml.cli", "info", "--json"], capture_output=True, text=True,
                         check=True, cwd=tmp_path, env=env).stdout
    assert '"kernels"' in out
