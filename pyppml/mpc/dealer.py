"""The dealer: a third process that serves Beaver triples and comparison material to two
parties (see :mod:`~pyppml.mpc.triples` for the kinds and the trust model).

>>> # in the dealer's process (id 2), with parties 0 and 1:
>>> # stats = run_dealer(Party(2, addresses))
"""

from __future__ import annotations

import select
import socket
import time

import numpy as np

from pyppml import _core
from pyppml.mpc._random import prng
from pyppml.mpc.party import Party
from pyppml.mpc.transport import FrameError, MsgType, PeerClosedError, PeerTimeoutError
from pyppml.mpc.triples import _ADD, TREE4_VARS, Kind, _fixed_update, expand_party0, layout, tree4_subsets

_k = _core.mpc


def _uniform(count) -> np.ndarray:
    return prng().uint64(int(count))


def _generate(row, fixed_values: dict[int, np.ndarray]) -> list[np.ndarray]:
    """The plain values (before sharing) of one request's material."""
    kind, p1, p2, p3, p4 = row
    if kind == Kind.MUL:
        a, b = _uniform(p1), _uniform(p1)
        return [a, b, a * b]
    if kind == Kind.MATMUL:
        a, b = _uniform(p1 * p2).reshape(p1, p2), _uniform(p2 * p3).reshape(p2, p3)
        return [a, b, _k.matmul_u64(a, b)]
    if kind == Kind.FIXED_LEFT:
        a = _uniform(p2 * p3).reshape(p2, p3)
        fixed_values[p1] = a
        return [a]
    if kind == Kind.FIXED_LEFT_MM:
        a = fixed_values[p1][p2:p3]
        b = _uniform(a.shape[1] * p4).reshape(a.shape[1], p4)
        return [b, _k.matmul_u64(a, b)]
    if kind == Kind.FIXED_LEFT_TN:
        a = fixed_values[p1][p2:p3]
        b = _uniform(a.shape[0] * p4).reshape(a.shape[0], p4)
        return [b, _k.matmul_tn_u64(a, b)]
    if kind == Kind.AND:
        a, b = _uniform(p1), _uniform(p1)
        return [a, b, a & b]
    if kind == Kind.CMP_MASK:
        r = _uniform(p1)
        return [r, r.copy()]
    if kind == Kind.BIT_PRODUCT:
        s = _uniform(p1) & np.uint64(1)
        a = _uniform(p1)
        return [s, s.copy(), a, a * s]
    if kind == Kind.TREE4:
        alpha = _uniform(TREE4_VARS * p1).reshape(TREE4_VARS, p1)
        ids = tree4_subsets(bool(p2))
        out = np.empty((len(ids), p1), dtype=np.uint64)
        for j, sub in enumerate(ids):
            acc = np.full(p1, ~np.uint64(0), dtype=np.uint64)
            for i in range(TREE4_VARS):
                if sub >> i & 1:
                    acc &= alpha[i]
            out[j] = acc
        return [out]
    raise FrameError(f"dealer: request has an unknown kind; expected 1..10, got {kind}")


def _wait_for_requests(ch0, ch1, idle_timeout: float) -> None:
    """Block until both parties have sent something (or closed): a party that dies while
    the dealer waits on the other is noticed at once, not after ``idle_timeout``."""
    waiting = {ch0.sock.fileno(): ch0, ch1.sock.fileno(): ch1}
    deadline = time.monotonic() + idle_timeout
    while waiting:
        left = deadline - time.monotonic()
        if left <= 0:
            names = ", ".join(ch.peer for ch in waiting.values())
            raise PeerTimeoutError(f"dealer: no request from {names} within {idle_timeout:g} s")
        # A TLS socket may already hold decrypted bytes that select cannot see.
        buffered = [fd for fd, ch in waiting.items() if ch.is_tls and ch.sock.pending()]
        ready = buffered or select.select(list(waiting), [], [], left)[0]
        for fd in ready:
            ch = waiting.pop(fd)
            if fd in buffered:
                continue
            try:
                # Peek at the raw TCP stream (an SSLSocket refuses MSG_PEEK): TLS records
                # or plain bytes mean a request is coming, end of stream a closed party.
                alive = socket.socket.recv(ch.sock, 1, socket.MSG_PEEK)
            except OSError as err:
                raise PeerClosedError(f"dealer: connection to {ch.peer} lost ({type(err).__name__}: {err})") from None
            if not alive:
                raise PeerClosedError(f"dealer: {ch.peer} closed the connection")


def run_dealer(party: Party, parties: tuple[int, int] = (0, 1), idle_timeout: float = 600.0) -> dict:
    """Serve Beaver triples and comparison material to two parties until both say done.

    Both parties send the same requests; the dealer checks they agree (FrameError if not),
    generates the values with its own CSPRNG, and sends party 0 a fresh seed and party 1
    the corrections. Returns counters: requests served, seconds spent generating, bytes sent.
    """
    ch0, ch1 = party.channel(parties[0]), party.channel(parties[1])
    fixed: dict[int, tuple[int, int]] = {}
    fixed_values: dict[int, np.ndarray] = {}
    stats = {"requests": 0, "generate_seconds": 0.0, "bytes_sent": 0}
    while True:
        _wait_for_requests(ch0, ch1, idle_timeout)
        r0 = ch0.recv()
        r1 = ch1.recv()
        if r0.dtype != np.int64 or r1.dtype != np.int64:
            raise FrameError(f"dealer: request has the wrong dtype; expected int64, got {r0.dtype} and {r1.dtype}")
        if r0.size == 1 and r1.size == 1:
            break  # CONTROL: done
        if r0.shape != r1.shape or not np.array_equal(r0, r1) or r0.ndim != 2 or r0.shape[1] != 5:
            raise FrameError(f"dealer: the parties' requests differ or are malformed; got shapes {r0.shape} and "
                             f"{r1.shape}")
        t0 = time.perf_counter()
        rows = [tuple(int(v) for v in r) for r in r0]
        shapes = []
        values = []
        for row in rows:
            _fixed_update(row, fixed)
            shapes.extend(layout(row, fixed))
            values.extend(_generate(row, fixed_values))
        seed = prng().random_bytes(32)
        share0 = expand_party0(seed, shapes)
        parts = []
        for (shape, sharing), v, s0 in zip(shapes, values, share0):
            parts.append((v - s0 if sharing == _ADD else v ^ s0).ravel())
        flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
        stats["generate_seconds"] += time.perf_counter() - t0
        ch0.send(MsgType.MATERIAL, np.frombuffer(seed, dtype=np.uint8))
        ch1.send(MsgType.MATERIAL, flat)
        stats["requests"] += len(rows)
        stats["bytes_sent"] = ch0.bytes_sent + ch1.bytes_sent
    return stats
