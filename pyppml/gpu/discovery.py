"""Is a GPU usable, and if not, why: the module ``pyppml._gpu`` (built with CUDA or not),
the NVIDIA driver, a device of compute capability 9.0 or newer."""

from __future__ import annotations

import importlib
import threading

from pyppml._core import ParameterError


class DeviceUnavailableError(ParameterError):
    """``device="cuda"`` asked for where no usable GPU is: built without CUDA, no NVIDIA
    driver, no device, or a device this build has no code for. The message says which.
    A ``ParameterError`` (so a ``ValueError``) like every bad argument."""


_lock = threading.Lock()
_state: dict = {}


def _load():
    """(module or None, probe dict or None, reason or None), computed once."""
    with _lock:
        if "result" not in _state:
            _state["result"] = _probe(_state.get("module_name", "pyppml._gpu"))
        return _state["result"]


def _probe(name: str):
    try:
        module = importlib.import_module(name)
    except ImportError as e:
        return None, None, ("pyppml was built without CUDA (no module pyppml._gpu: no CUDA compiler was found at "
                            f"build time, or PYPPML_CUDA=OFF; see docs/gpu.md): {e}")
    probe = module.probe()
    if probe["status"] != "ok":
        return module, probe, probe["message"]
    return module, probe, None


def module_name() -> str:
    """The module behind device 'cuda' (pyppml._gpu unless a test chose another)."""
    return _state.get("module_name", "pyppml._gpu")


def _use_module(name: str | None) -> None:
    """Tests: back the device API by another module (``pyppml._gpu_emulated``, the host
    emulation of the kernels), or by the default again with None."""
    with _lock:
        _state.clear()
        if name is not None:
            _state["module_name"] = name


def is_available() -> bool:
    """True when a GPU this build can run on is present."""
    return _load()[2] is None


def unavailable_reason() -> str | None:
    """Why ``device="cuda"`` cannot be used here (None when it can)."""
    return _load()[2]


def devices() -> list[dict]:
    """The CUDA devices found: name, total and free memory (bytes), compute capability,
    multiprocessors. Empty without a usable driver or without ``pyppml._gpu``."""
    probe = _load()[1]
    return [dict(d) for d in probe["devices"]] if probe else []


def require(api: str, device: str = "cuda"):
    """The ``_gpu`` module for ``device``; ``DeviceUnavailableError`` saying why not."""
    if device != "cuda":
        raise ParameterError(f"{api}: device is unknown; expected 'cpu' or 'cuda', got {device!r}")
    module, _, reason = _load()
    if reason is not None:
        raise DeviceUnavailableError(f"{api}: device 'cuda' is unavailable; expected a usable NVIDIA GPU, got: {reason}")
    return module


def check_device(api: str, device) -> str:
    """Validate a ``device`` argument: 'cpu' always; 'cuda' only where usable."""
    if device == "cpu":
        return "cpu"
    if not isinstance(device, str):
        raise ParameterError(f"{api}: device has the wrong type; expected 'cpu' or 'cuda', got {type(device).__name__}")
    require(api, device)
    return device


def summary() -> dict:
    """What ``pyppml.info()`` shows under "gpu"."""
    module, probe, reason = _load()
    out = {"usable": reason is None, "built": module is not None}
    if reason is not None:
        out["reason"] = reason
    if module is not None:
        out["architectures"] = module.compiled_architectures
    if probe:
        out["devices"] = [{"name": d["name"], "memory_gib": round(d["total_memory"] / 2**30, 1),
                           "compute_capability": "%d.%d" % tuple(d["compute_capability"])} for d in probe["devices"]]
    return out
