"""What every aggregation round's drivers share: the round report, the check of the
clients' float updates and the dropout schedule of a simulated or loopback round."""

from __future__ import annotations

import dataclasses

import numpy as np

from pyppml.fl.common.errors import ParameterError


@dataclasses.dataclass
class RoundReport:
    """What one round did: who survived, what the server spent, what clients sent."""

    survivors: list
    rejected: dict
    server_seconds: float
    upload_bytes: dict  # client id -> bytes sent
    plaintext_bytes: int  # one float32 update


def check_updates(updates, n: int, dim: int, api: str) -> list:
    """A list of n float64 vectors (or None) of length dim, all finite.

    Raises
    ------
    ValueError
        Wrong count, wrong length or a non-finite entry (naming the client).
    """
    if len(updates) != n:
        raise ParameterError(f"{api}: updates has the wrong count; expected {n}, got {len(updates)}")
    out = []
    for i, u in enumerate(updates):
        if u is None:
            out.append(None)
            continue
        a = np.asarray(u, dtype=np.float64)
        if a.shape != (dim,):
            raise ParameterError(f"{api}: update of client {i} has the wrong shape; expected ({dim},), got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ParameterError(f"{api}: update of client {i} is not finite; expected finite floats")
        out.append(a)
    return out


def normalize_dropouts(dropouts, steps, default: str = "masked", name: str = "dropouts") -> dict[str, set]:
    """A set (clients that drop after sharing keys, before their masked input) or
    {step: set} with steps 'advertise', 'shares', 'masked', 'unmask' and, in rounds with
    identity keys (``steps=CHECKED_STEPS``), 'check' (the client sends nothing from that
    step on; at 'check': after its masked input, before signing the survivor set).
    Other protocols pass their own ``steps`` and the ``default`` step of a plain set."""
    if dropouts is None:
        return {}
    if isinstance(dropouts, dict):
        bad = set(dropouts) - set(steps)
        if bad:
            raise ParameterError(f"{name}: unknown step {sorted(bad)}; expected keys in {steps}")
        return {k: set(int(i) for i in v) for k, v in dropouts.items()}
    return {default: set(int(i) for i in dropouts)}
