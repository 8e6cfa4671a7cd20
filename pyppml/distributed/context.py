"""Getting a public context to the workers once, and checking on a worker that it holds
the keys the task needs."""

from __future__ import annotations

from typing import Iterable

from pyppml._core import ParameterError

# What each key is called in messages, and how a key holder makes it.
_KEYS = {
    "public_key": ("the public key", "keygen()"),
    "relin_key": ("the relinearization key", "keygen(relin=True)"),
    "galois_keys": ("the Galois (rotation) keys", "keygen(rotations=...) or generate_rotation_keys(...)"),
}


class WorkerContextError(ParameterError):
    """A context received by a worker lacks a key the task needs (a ValueError)."""


def _dask_client(client):
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - exercised only without dask
        raise ImportError('pyppml.distributed needs dask.distributed: pip install "pyppml[dask]"') from exc
    if not isinstance(client, Client):
        raise ParameterError(f"share_context: client is not a dask client; expected distributed.Client, "
                             f"got {type(client).__name__}")
    return client


def share_context(client, context):
    """Broadcast the public part of ``context`` to every worker of ``client``; returns a
    ``distributed.Future`` to pass to tasks (Dask hands each task the worker's copy).

    The secret key is never sent: a key holder's context is reduced with
    ``make_public()`` first (and contexts never pickle their secret key anyway).

    Raises
    ------
    ParameterError
        ``client`` is not a ``distributed.Client``; ``context`` has no public key (nothing
        a worker could encrypt with or check ciphertexts against).
    """
    client = _dask_client(client)
    if getattr(context, "public_key", None) is None:
        raise WorkerContextError("share_context: context lacks the public key; expected a context after keygen() "
                                 "(or one received with its keys), got a context without keys")
    public = context.make_public() if context.is_private else context
    [future] = client.scatter([public], broadcast=True, hash=False)
    return future


def require_keys(context, keys: Iterable[str], api: str, rotations: Iterable[int] = ()) -> None:
    """Raise :class:`WorkerContextError` naming the first of ``keys`` (``"public_key"``,
    ``"relin_key"``, ``"galois_keys"``) that ``context`` lacks, or the first rotation of
    ``rotations`` without a Galois key."""
    for name in keys:
        if name not in _KEYS:
            raise ParameterError(f"{api}: keys names an unknown key; expected one of {sorted(_KEYS)}, got {name!r}")
        if getattr(context, name, None) is None:
            what, how = _KEYS[name]
            raise WorkerContextError(f"{api}: context lacks {what} ({name}); expected a context shared after "
                                     f"{how} on the key holder, got a context without it")
    rotations = list(rotations)
    if rotations:
        have = set(context.galois_keys.elements) if context.galois_keys is not None else set()
        for r in rotations:
            if context.galois_element(r) not in have:
                raise WorkerContextError(f"{api}: context lacks the Galois key for rotation {r} (galois_keys); "
                                         f"expected keys generated for it on the key holder, got none")


def set_worker_threads(client, threads: int) -> None:
    """``pyppml.set_num_threads(threads)`` on every worker: a process per core wants 1,
    one worker per machine its core count."""
    from pyppml._threads import _checked

    threads = _checked(threads, "threads", "set_worker_threads")
    _dask_client(client).run(_set_threads, threads)


def _set_threads(threads: int) -> None:
    import pyppml

    pyppml.set_num_threads(threads)
