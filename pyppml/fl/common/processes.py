"""The process plumbing of the loopback runs (SecAgg+ and one-time CKKS): the server's
listener, bound before any party forks, a party's channel to it, message frames, and
reaping the forked parties."""

from __future__ import annotations

import os
import socket

import numpy as np

from pyppml.mpc.transport import Channel, MsgType, PeerTimeoutError


def as_frame(data: bytes) -> np.ndarray:
    """A protocol message as the uint8 frame pyppml.mpc channels carry."""
    return np.frombuffer(data, dtype=np.uint8)


def reap(procs) -> None:
    """Wait a little for the forked parties, then kill those still running."""
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            os.kill(p.pid, 9)


def bound_listener(backlog: int, host: str = "127.0.0.1") -> socket.socket:
    """A listening socket on a port the kernel picks (port 0), for the server's
    :class:`pyppml.mpc.Party` (``listener=``): bound and listening before any client
    starts, so there is no race between finding a free port and binding it, and
    clients connect at once (the backlog holds them until the server accepts)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def connect_to_server(index: int, server: tuple[str, int], participants: int, timeout: float) -> Channel:
    """A client's channel to the server (party 0 of ``participants``), introduced with
    the HELLO frame :class:`pyppml.mpc.Party` expects. One attempt, no retries: the
    server's :func:`bound_listener` listens before any client starts.

    Raises
    ------
    PeerTimeoutError
        Nothing listens at ``server``."""
    try:
        sock = socket.create_connection(server, timeout=timeout)
    except OSError as err:
        raise PeerTimeoutError(f"client {index}: server is not listening; expected a listener at {server} before "
                               f"the clients start, got {err}") from None
    ch = Channel(sock, "server", timeout)
    ch.send(MsgType.HELLO, np.array([index, participants], dtype=np.int64))
    return ch
