"""How many threads pyppml's C++ core uses for one heavy call (key switching, NTTs over
RNS limbs, encryption, key generation, BFV products, MPC matrix products, ...).

The core owns one fork-safe pool (``csrc/common/thread_pool``); results are bit-identical
for every thread count. Several Python threads may call into the core at once (the GIL is
released in every heavy call): one of them uses the pool, the others run their call on
their own thread.

>>> import pyppml
>>> old = pyppml.get_num_threads()
>>> pyppml.set_num_threads(1)
>>> pyppml.get_num_threads()
1
>>> pyppml.set_num_threads(old)
"""

from __future__ import annotations

import operator
import os

from pyppml import _core
from pyppml._core import ParameterError

MAX_THREADS: int = _core.max_threads
ENV_VAR = "PYPPML_NUM_THREADS"
# Microseconds an idle pool thread spins before it sleeps (read by the core at load).
SPIN_ENV_VAR = "PYPPML_SPIN_US"
MAX_SPIN_US = 1_000_000


def _checked(n: object, argument: str, api: str) -> int:
    if isinstance(n, bool):
        raise ParameterError(f"{api}: {argument} is not an integer; expected an int in [1, {MAX_THREADS}], got {n!r}")
    try:
        value = operator.index(n)
    except TypeError:
        raise ParameterError(
            f"{api}: {argument} is not an integer; expected an int in [1, {MAX_THREADS}], got {n!r}") from None
    if not 1 <= value <= MAX_THREADS:
        raise ParameterError(f"{api}: {argument} is out of range; expected 1 <= {argument} <= {MAX_THREADS}, got {value}")
    return value


def set_num_threads(n: int) -> None:
    """Use ``n`` threads (1..4096) in each heavy core call from now on.

    Raises
    ------
    ParameterError
        (a ValueError) when ``n`` is not an integer in [1, 4096].
    """
    _core.set_num_threads(_checked(n, "n", "set_num_threads"))


def get_num_threads() -> int:
    """Threads each heavy core call uses (default: ``PYPPML_NUM_THREADS``, else the CPUs
    this process may run on)."""
    return _core.get_num_threads()


def _environment_int(name: str, low: int, high: int) -> int | None:
    """The integer in environment variable ``name`` (None when unset or blank); anything
    else is a ParameterError naming the variable and the range [low, high] it takes."""
    text = os.environ.get(name)
    if text is None or text.strip() == "":
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise ParameterError(
            f"pyppml: {name} is not an integer; expected an int in [{low}, {high}], got {text!r}") from None


def _apply_environment() -> None:
    """Validates ``PYPPML_NUM_THREADS`` and ``PYPPML_SPIN_US`` at import: a bad value is an
    error, not ignored."""
    spin = _environment_int(SPIN_ENV_VAR, 0, MAX_SPIN_US)
    if spin is not None and not 0 <= spin <= MAX_SPIN_US:
        raise ParameterError(f"pyppml: {SPIN_ENV_VAR} is out of range; expected 0 <= {SPIN_ENV_VAR} <= {MAX_SPIN_US}, "
                             f"got {os.environ[SPIN_ENV_VAR]!r}")
    threads = _environment_int(ENV_VAR, 1, MAX_THREADS)
    if threads is not None:
        set_num_threads(_checked(threads, ENV_VAR, "pyppml"))
