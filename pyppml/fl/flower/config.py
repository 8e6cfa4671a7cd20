"""Reading a server's round config on the client: every value is checked for its type and
range before it is used, so a config can neither turn an int into bytes (``bytes(16)`` is
16 zero bytes) nor make the client allocate or compute as much as the server asks.

Flower carries bytes values as ``bytes`` and integers as ``int``; anything else under a
key that holds bytes or an integer is refused, as is a value above the bound the
protocol puts on that key.
"""

from __future__ import annotations

import numbers

from pyppml.fl.common.errors import ProtocolError, is_integer, shown
from pyppml.fl.common.messages import MAX_ROUND

API = "pyppml client"
# Most clients a round may have, in the protocols whose client work grows with the count
# (the SecAgg+ neighbour graph over all clients, the one-time list of client keys): about
# 24 MiB of graph per client at the bound. A ClientPolicy(max_clients=...) lowers it.
MAX_CLIENTS = 1 << 20


def config_bytes(cfg, key: str, max_bytes: int, *, exact: int | None = None, default: bytes | None = None) -> bytes:
    """``cfg[key]``, which must be ``bytes`` of at most ``max_bytes`` (exactly ``exact``
    when given); ``default`` when the key is absent and a default is given.

    Raises
    ------
    ProtocolError
        A missing key (without default), a value that is not bytes (an int included:
        it is never read as that many zero bytes) or one of the wrong length.
    """
    if key not in cfg:
        if default is not None:
            return default
        raise ProtocolError(f"{API}: config {key} is missing; expected bytes, got no value")
    value = cfg[key]
    if not isinstance(value, bytes):
        raise ProtocolError(f"{API}: config {key} is not bytes; expected bytes of at most {max_bytes}, got "
                            f"{type(value).__name__}")
    if exact is not None and len(value) != exact:
        raise ProtocolError(f"{API}: config {key} has the wrong length; expected {exact} bytes, got {len(value)}")
    if len(value) > max_bytes:
        raise ProtocolError(f"{API}: config {key} is too long; expected at most {max_bytes} bytes, got {len(value)}")
    return value


def config_int(cfg, key: str, lo: int, hi: int, *, default: int | None = None) -> int:
    """``cfg[key]``, an integer (never a bool, float or string) in ``lo..hi``;
    ``default`` when the key is absent and a default is given.

    Raises
    ------
    ProtocolError
        A missing key (without default), a value that is not an integer or out of range.
    """
    if key not in cfg:
        if default is not None:
            return default
        raise ProtocolError(f"{API}: config {key} is missing; expected an integer in {lo}..{hi}, got no value")
    value = cfg[key]
    if not is_integer(value) or not lo <= int(value) <= hi:
        raise ProtocolError(f"{API}: config {key} is out of range; expected an integer in {lo}..{hi}, got "
                            f"{shown(value)}")
    return int(value)


def config_float(cfg, key: str) -> float:
    """``cfg[key]``, a real number (int or float, never a bool or string) as a float; the
    caller checks its range.

    Raises
    ------
    ProtocolError
        A missing key, a value that is not a real number or too large for a float.
    """
    value = cfg.get(key)
    try:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError
        return float(value)
    except (TypeError, OverflowError):
        raise ProtocolError(f"{API}: config {key} is not a number; expected a float, got "
                            f"{'no value' if key not in cfg else shown(value)}") from None


def config_round(cfg, key: str = "pyppml_round", hi: int = MAX_ROUND) -> int:
    """The round number of the config, 1..``hi`` (default 2^32-1: the one-time and SecAgg+
    messages carry rounds as u32), checked before the client trains."""
    return config_int(cfg, key, 1, hi)
