"""`pyppml info` / pyppml.info(): version, build, CPU features and kernels, per backend."""

import os
import subprocess
import sys

import pytest

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


@pytest.mark.parametrize("argv,message", [
    (["bench", "nosuch"], "unknown suite 'nosuch'; expected one of"),
    (["bench", "threads", "--threads", "0"], "argument --threads: expected an integer in [1, 4096], got 0"),
    (["bench", "threads", "--threads", "-1"], "argument --threads: expected an integer in [1, 4096], got -1"),
    (["bench", "ckks", "--logn", "99"], "argument --logn: expected an integer in [10, 17], got 99"),
    (["bench", "ckks", "--runs", "0"], "argument --runs: expected an integer in [1, 1000000], got 0"),
])
def test_cli_bad_arguments_are_usage_errors(argv, message, capsys):
    # A usage error (exit status 2, one line naming the option), never a traceback.
    from pyppml.cli import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
