"""Asking for device 'cuda' where it cannot run: a DeviceUnavailableError (a
ParameterError, so a ValueError) saying why, and nothing loaded by `import pyppml`.
Runs everywhere; the reasons a machine without a GPU can produce are checked for real."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

import pyppml
from pyppml import ParameterError, ckks, gpu
from pyppml.gpu import DeviceUnavailableError, discovery


@pytest.fixture
def without_module():
    """The state of a build without CUDA: the module cannot be imported."""
    discovery._use_module("pyppml._gpu_not_built_for_this_test")
    yield
    discovery._use_module(None)


def _ctx():
    return ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)


def test_built_without_cuda(without_module):
    assert not gpu.is_available()
    assert "built without CUDA" in gpu.unavailable_reason()
    assert gpu.devices() == []
    for make in (lambda: ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38],
                                      scale_bits=28, device="cuda"),
                 lambda: _ctx().to("cuda")):
        with pytest.raises(DeviceUnavailableError, match="device 'cuda' is unavailable.*built without CUDA"):
            make()
    assert issubclass(DeviceUnavailableError, ParameterError) and issubclass(DeviceUnavailableError, ValueError)
    info = pyppml.info()["gpu"]
    assert info["usable"] is False and info["built"] is False and "built without CUDA" in info["reason"]
    assert "cuda" not in pyppml.available_backends()


def test_ciphertext_to_cuda_without_gpu(without_module):
    ctx = _ctx()
    ctx.keygen(rotations=[], conjugate=False)
    ct = ctx.encrypt([1.0, 2.0])
    assert ct.device == "cpu" and ct.to("cpu") is ct and ctx.to("cpu") is ctx
    with pytest.raises(DeviceUnavailableError, match="built without CUDA"):
        ct.to("cuda")


def test_this_machine_says_why():
    """Whatever this machine lacks, the message names it (driver, device, build)."""
    discovery._use_module(None)
    if gpu.is_available():
        pytest.skip("a usable GPU is present: nothing to refuse")
    reason = gpu.unavailable_reason()
    assert any(s in reason for s in ("built without CUDA", "no NVIDIA driver", "sees no CUDA device",
                                     "older than this build", "compute capability"))
    with pytest.raises(DeviceUnavailableError) as e:
        _ctx().to("cuda")
    assert reason in str(e.value)


def test_unknown_device():
    with pytest.raises(ParameterError, match="device is unknown; expected 'cpu' or 'cuda', got 'tpu'"):
        _ctx().to("tpu")
    with pytest.raises(ParameterError, match="device has the wrong type"):
        ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28, device=0)


def test_import_pyppml_loads_no_cuda():
    code = ("import sys, pyppml, pyppml.ckks, pyppml.gpu; "
            "bad = [m for m in sys.modules if m.startswith('pyppml._gpu')]; sys.exit(repr(bad) if bad else 0)")
    # The pyppml the tests use, from a neutral directory (a CI checkout has no compiled core).
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(pyppml.__file__)))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tempfile.gettempdir(), env=env)
