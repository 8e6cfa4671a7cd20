"""Device fixtures for tests/gpu.

``device_backend`` runs a test once per way of executing the CUDA backend found here:
``cuda`` (pyppml._gpu on a usable GPU) and ``emulated`` (pyppml._gpu_emulated, the host
emulation of the same kernel bodies, built with -DPPML_GPU_EMULATION=ON into a build-*/
directory, or the file named by PYPPML_GPU_EMULATED). Each missing one is skipped with
the reason. The reference is always the CPU scalar backend.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from pyppml import gpu, ring
from pyppml.gpu import discovery

ROOT = Path(__file__).resolve().parents[2]


def _emulated_path() -> str | None:
    env = os.environ.get("PYPPML_GPU_EMULATED")
    if env:
        return env if os.path.exists(env) else None
    found = sorted(glob.glob(str(ROOT / "build*" / "_gpu_emulated*.so")), key=os.path.getmtime)
    # A sanitizer build's module loads only under its runtimes (.ci/run preloads them).
    if "asan" not in os.environ.get("LD_PRELOAD", ""):
        found = [f for f in found if "asan" not in Path(f).parent.name]
    return found[-1] if found else None


def _load_emulated() -> bool:
    if "pyppml._gpu_emulated" in sys.modules:
        return True
    path = _emulated_path()
    if path is None:
        return False
    spec = importlib.util.spec_from_file_location("pyppml._gpu_emulated", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError:  # built for another interpreter or core
        return False
    sys.modules["pyppml._gpu_emulated"] = module
    return True


@pytest.fixture(params=["cuda", "emulated"])
def device_backend(request):
    """Select the module behind device='cuda' for one test."""
    if request.param == "cuda":
        discovery._use_module(None)
        if not gpu.is_available():
            pytest.skip(f"no usable GPU: {gpu.unavailable_reason()}")
    else:
        if not _load_emulated():
            pytest.skip("no host emulation built (cmake -DPPML_GPU_EMULATION=ON into build-*/, or PYPPML_GPU_EMULATED)")
        discovery._use_module("pyppml._gpu_emulated")
    try:
        yield request.param
    finally:
        discovery._use_module(None)


@pytest.fixture
def scalar():
    """The CPU reference: every kernel on the scalar backend."""
    with ring.use_backend("scalar"):
        yield
