"""Run the parties of a computation as separate local processes over loopback TCP.

For tests, benchmarks and demos; in a deployment each party runs ``Party(i, addresses)``
in its own process on its own host.

>>> from pyppml.mpc.local import run_local
>>> # outcomes = run_local({0: job0, 1: job1, 2: dealer_job}, timeout=5)
>>> # outcomes[0].value                # what job0(party) returned
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import queue
import socket
import time
import traceback
from typing import Any, Callable, Mapping

from pyppml.mpc.party import Party
from pyppml.mpc.tls import PartyTls


@dataclasses.dataclass
class Outcome:
    """What one party's process did: its return value, or the error it raised."""

    ok: bool
    value: Any = None
    error_type: str | None = None
    message: str = ""
    seconds: float = 0.0  # from the start of the job (after connecting) to its end
    exitcode: int | None = None


def _child(index, addresses, job, timeout, results, listeners, tls):
    t0 = time.perf_counter()
    for i, sock in listeners.items():
        if i != index:
            sock.close()  # a sibling's listener: only its owner may accept on it
    try:
        with Party(index, addresses, timeout=timeout, tls=tls, listener=listeners.get(index)) as party:
            t0 = time.perf_counter()
            value = job(party)
        results.put((index, True, value, None, "", time.perf_counter() - t0))
    except BaseException as err:  # reported to the parent, which decides
        msg = f"{err}\n{traceback.format_exc(limit=4)}"
        results.put((index, False, None, type(err).__name__, msg, time.perf_counter() - t0))


def run_local(jobs: Mapping[int, Callable[[Party], Any]], timeout: float = 10.0, deadline: float = 120.0,
              host: str = "127.0.0.1", start_method: str = "fork",
              wait_for: list[int] | None = None,
              tls: Mapping[int, PartyTls] | None = None) -> dict[int, Outcome]:
    """Start one process per job (``jobs[i](party_i)``), connected over loopback TCP,
    and collect their outcomes. Processes still running after ``deadline`` seconds, or
    once every party in ``wait_for`` has reported, are killed and reported as
    ``error_type="Deadline"``.

    Every party that listens gets a socket bound here to port 0 and already listening,
    so the published ports cannot be taken by another process before the parties start.
    ``tls`` maps each id to its :class:`~pyppml.mpc.tls.PartyTls` (mutually
    authenticated TLS); without it, plain TCP.
    """
    ids = sorted(jobs)
    listeners: dict[int, socket.socket] = {}
    try:
        for i in ids[:-1]:  # the highest id only connects
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sock.listen(len(ids) + 4)
            listeners[i] = sock
        addresses = {i: (host, listeners[i].getsockname()[1] if i in listeners else 0) for i in ids}
        ctx = mp.get_context(start_method)
        results = ctx.Queue()
        procs = {i: ctx.Process(target=_child, args=(i, addresses, jobs[i], timeout, results, listeners,
                                                     None if tls is None else tls[i]), daemon=True) for i in ids}
        for p in procs.values():
            p.start()
    finally:
        for sock in listeners.values():
            sock.close()  # the children hold their own copies
    out: dict[int, Outcome] = {}
    end = time.monotonic() + deadline
    waited = set(ids if wait_for is None else wait_for)
    while not waited.issubset(out):
        left = end - time.monotonic()
        if left <= 0:
            break
        try:
            i, ok, value, etype, msg, secs = results.get(timeout=min(left, 0.2))
            out[i] = Outcome(ok, value, etype, msg, secs)
        except queue.Empty:
            # A process that died without reporting (killed) will never report.
            for i, p in procs.items():
                if i not in out and p.exitcode is not None and results.empty():
                    time.sleep(0.05)
                    if results.empty():
                        out[i] = Outcome(False, None, "Died", f"exit code {p.exitcode}", 0.0, p.exitcode)
    for i, p in procs.items():
        p.join(max(0.0, min(2.0, end - time.monotonic())) if i not in out or out[i].ok else 0.2)
        if p.is_alive():
            p.kill()
            p.join(2.0)
        if i not in out:
            out[i] = Outcome(False, None, "Deadline", f"party {i} was still running and was killed", deadline)
        out[i].exitcode = p.exitcode
    return out
