"""Errors of the federated-aggregation protocols."""

from __future__ import annotations

import numbers

from pyppml import ParameterError


class ProtocolError(ValueError):
    """A protocol message was malformed, forged, replayed or out of order; the sender
    (or the whole round, when raised by a client) is rejected."""


class TooFewSurvivorsError(RuntimeError):
    """Fewer clients survived than the threshold needs: the round is aborted and no
    aggregate is returned."""


def is_integer(value) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), never a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def shown(value) -> str:
    """How an error message quotes an untrusted value where an integer belongs: the number
    below 2^64, its bit length above (a huge int is never printed whole), the type's name
    for anything that is not an integer."""
    if not is_integer(value):
        return type(value).__name__
    v = int(value)
    return str(v) if abs(v) < 1 << 64 else f"an integer of {v.bit_length()} bits"


def few(items) -> list:
    """At most 8 entries of a sequence (then ``"..."``), for messages quoting an untrusted list."""
    return list(items[:8]) + (["..."] if len(items) > 8 else [])


__all__ = ["ParameterError", "ProtocolError", "TooFewSurvivorsError"]
