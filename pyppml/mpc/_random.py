"""The per-process CSPRNG every secret in pyppml.mpc comes from.

A generator keyed from the OS (``pyppml._core.Prng()``), re-keyed in a child process
after ``fork`` so that two parties never share a keystream.
"""

from __future__ import annotations

import os

from pyppml import _core

_state: dict[str, object] = {"pid": None, "prng": None}


def prng() -> "_core.Prng":
    """This process's OS-keyed ChaCha20 generator."""
    pid = os.getpid()
    if _state["pid"] != pid:
        _state["prng"] = _core.Prng()
        _state["pid"] = pid
    return _state["prng"]  # type: ignore[return-value]
