"""The build switch PYPPML_CUDA=AUTO|ON|OFF (CMakeLists.txt, CUDA section), by configuring
the project in temporary directories: without a CUDA compiler AUTO builds the CPU-only
package as before and ON fails saying why; OFF never adds the CUDA target."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CMAKE, NINJA = shutil.which("cmake"), shutil.which("ninja")

pytestmark = pytest.mark.skipif(CMAKE is None or NINJA is None, reason="cmake and ninja are needed to configure")


def _pybind11_dir():
    try:
        import pybind11
    except ImportError:
        pytest.skip("pybind11 is needed to configure")
    return pybind11.get_cmake_dir()


def _configure(tmp_path, mode, path=None):
    env = dict(os.environ)
    env.pop("PYPPML_CUDA", None)
    env.pop("CUDACXX", None)
    if path is not None:
        env["PATH"] = path
    cmd = [CMAKE, "-S", str(ROOT), "-B", str(tmp_path / mode), "-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={NINJA}",
           f"-DPYPPML_CUDA={mode}", f"-Dpybind11_DIR={_pybind11_dir()}", f"-DPython_EXECUTABLE={sys.executable}"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp_path)


def _no_nvcc_path():
    """PATH without any directory holding nvcc (CMake's compiler search uses PATH)."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not os.path.exists(os.path.join(d, "nvcc"))]
    return os.pathsep.join(dirs)


def test_auto_without_nvcc_builds_cpu_only(tmp_path):
    r = _configure(tmp_path, "AUTO", _no_nvcc_path())
    if "CUDA backend on" in r.stdout:
        pytest.skip("CMake finds nvcc outside PATH here (e.g. /usr/local/cuda): no machine without nvcc to mimic")
    assert r.returncode == 0, r.stderr
    assert "no CUDA compiler found" in r.stdout
    ninja = (tmp_path / "AUTO" / "build.ninja").read_text()
    assert "_core" in ninja and "_gpu" not in ninja


def test_on_without_nvcc_fails(tmp_path):
    r = _configure(tmp_path, "ON", _no_nvcc_path())
    if "CUDA backend on" in r.stdout:
        pytest.skip("CMake finds nvcc outside PATH here: no machine without nvcc to mimic")
    assert r.returncode != 0
    assert "PYPPML_CUDA=ON: no CUDA compiler found" in r.stderr


def test_off_and_bad_value(tmp_path):
    r = _configure(tmp_path, "OFF")
    assert r.returncode == 0, r.stderr
    assert "_gpu" not in (tmp_path / "OFF" / "build.ninja").read_text()
    r = _configure(tmp_path, "MAYBE")
    assert r.returncode != 0 and "PYPPML_CUDA must be AUTO, ON or OFF" in r.stderr
