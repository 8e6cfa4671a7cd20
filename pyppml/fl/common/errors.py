"""Errors of the federated-aggregation protocols."""

from __future__ import annotations

from pyppml import ParameterError


class ProtocolError(ValueError):
    """A protocol message was malformed, forged, replayed or out of order; the sender
    (or the whole round, when raised by a client) is rejected."""


class TooFewSurvivorsError(RuntimeError):
    """Fewer clients survived than the threshold needs: the round is aborted and no
    aggregate is returned."""


__all__ = ["ParameterError", "ProtocolError", "TooFewSurvivorsError"]
