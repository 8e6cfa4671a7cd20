"""The check that Flower is installed, with the install command in the error.

Deliberately free of ``flwr`` imports: :mod:`pyppml.fl.flower` calls
:func:`require_flower` before any submodule imports Flower.
"""

from __future__ import annotations

import importlib

INSTALL_HINT = 'pip install "pyppml[flower]"'


class FlowerMissingError(ModuleNotFoundError):
    """``pyppml.fl.flower`` was imported without Flower (``flwr``) installed; a
    ``ModuleNotFoundError`` (so ``except ImportError`` still catches it) whose message
    gives the install command."""


def require_flower() -> None:
    """Import ``flwr`` or raise :class:`FlowerMissingError`.

    Raises
    ------
    FlowerMissingError
        ``flwr`` cannot be imported; the message says ``pip install "pyppml[flower]"``
        and the original error is chained.

    Examples
    --------
    >>> require_flower()  # flwr is installed where the docs are tested
    >>> issubclass(FlowerMissingError, ImportError)
    True
    """
    try:
        importlib.import_module("flwr")
    except ImportError as err:
        raise FlowerMissingError(f"pyppml.fl.flower needs Flower (flwr), which is not installed; expected it "
                                 f"importable, got {type(err).__name__}: {err}. Install it with: {INSTALL_HINT}",
                                 name="flwr") from err


__all__ = ["INSTALL_HINT", "FlowerMissingError", "require_flower"]
