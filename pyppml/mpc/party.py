"""A party of a multi-party computation: one process, one channel to every peer.

Participants are numbered; for each pair the lower id listens and the higher one
connects (retrying until the connect deadline) and introduces itself with a HELLO frame
carrying its id and the number of participants, so that a stray or misconfigured process
is rejected instead of being taken for a party.

Without ``tls`` the channels are plain TCP and the HELLO is taken on trust: any process
that can reach a listening port can claim a party id, and the frames can be read and
changed on the way (see :mod:`pyppml.mpc.transport`). With ``tls`` (a
:class:`~pyppml.mpc.tls.PartyTls`) every channel is TLS 1.3 with certificates on both
sides, and a peer whose certificate does not name the party id it connects as (or to) is
refused.

>>> from pyppml.mpc import Party
>>> # in process 0:  Party(0, {0: ("127.0.0.1", 5000), 1: ("127.0.0.1", 5001)})
>>> # in process 1:  Party(1, {0: ("127.0.0.1", 5000), 1: ("127.0.0.1", 5001)})
>>> # with TLS:      Party(0, addresses, tls=PartyTls("ca.pem", "party-0.pem", "party-0.key"))
"""

from __future__ import annotations

import socket
import ssl
import time
from typing import Mapping

import numpy as np

from pyppml.mpc.transport import (
    DEFAULT_MAX_FRAME_BYTES,
    Channel,
    FrameError,
    MsgType,
    PartyError,
    PeerAuthenticationError,
    PeerClosedError,
    PeerTimeoutError,
)
from pyppml.mpc.tls import PartyTls


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct TCP ports free on ``host`` right now.

    Racy: another process may take a port between this call and the bind. Prefer binding
    port 0 yourself and passing the socket as ``Party(..., listener=sock)`` (as
    :func:`~pyppml.mpc.local.run_local` does)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Party:
    """This process's endpoint in a computation among the ids of ``addresses``.

    Parameters
    ----------
    index : int
        This party's id (a key of ``addresses``).
    addresses : mapping {id: (host, port)}
        Where each participant listens. Only ids lower than some peer's need to listen.
    timeout : float
        Per-frame deadline of every channel, in seconds.
    connect_timeout : float
        How long to wait for all peers to come up.
    max_frame_bytes : int
        Largest frame accepted from a peer.
    tls : PartyTls, optional
        This party's certificate, key and CA: every channel is mutually authenticated TLS.
        Without it, plain TCP: no confidentiality, no integrity, ids taken on trust.
    listener : socket.socket, optional
        A socket already bound to this party's address and listening, used instead of
        binding ``addresses[index]`` (bind port 0, publish the bound port: no race
        between finding a free port and binding it). The party closes it once connected.

    Attributes
    ----------
    refused : list of str
        Why each connection that failed authentication (TLS) was refused; the party
        keeps listening for the real peer after each.

    Raises
    ------
    PeerTimeoutError
        If a peer does not show up within ``connect_timeout``.
    FrameError
        If a connecting process does not introduce itself as an expected party.
    PeerAuthenticationError
        With ``tls``: the peer this party connects to presents no valid certificate for
        its id.
    """

    def __init__(self, index: int, addresses: Mapping[int, tuple[str, int]], timeout: float = 10.0,
                 connect_timeout: float = 20.0, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
                 tls: PartyTls | None = None, listener: socket.socket | None = None):
        if index not in addresses:
            raise ValueError(f"Party: index is not a participant; expected one of {sorted(addresses)}, got {index}")
        self.tls = tls
        self.refused: list[str] = []
        self._client_ctx = tls.client_context() if tls is not None else None
        self._server_ctx = tls.server_context() if tls is not None else None
        self.index = int(index)
        self.ids = sorted(int(i) for i in addresses)
        self.addresses = dict(addresses)
        self.timeout = float(timeout)
        self.max_frame_bytes = int(max_frame_bytes)
        self.channels: dict[int, Channel] = {}
        deadline = time.monotonic() + connect_timeout
        higher = [i for i in self.ids if i > self.index]
        lower = [i for i in self.ids if i < self.index]
        try:
            if higher and listener is None:
                listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind(tuple(self.addresses[self.index]))
                listener.listen(len(higher) + 4)
            for peer in lower:
                self.channels[peer] = self._connect(peer, deadline)
            while listener is not None and any(i not in self.channels for i in higher):
                self._accept(listener, higher, deadline)
        except BaseException:
            self.close()
            raise
        finally:
            if listener is not None:
                listener.close()

    def _hello(self) -> np.ndarray:
        return np.array([self.index, len(self.ids)], dtype=np.int64)

    def _connect(self, peer: int, deadline: float) -> Channel:
        host, port = self.addresses[peer]
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PeerTimeoutError(f"Party {self.index}: party {peer} at {host}:{port} did not come up in time")
            try:
                sock = socket.create_connection((host, port), timeout=min(left, self.timeout))
                break
            except OSError:
                # Not listening yet: retry (a polling interval, not a wait for an event).
                time.sleep(0.02)
        if self._client_ctx is not None:
            sock = self._tls_connect(sock, peer, f"{host}:{port}")
        ch = Channel(sock, f"party {peer}", self.timeout, self.max_frame_bytes)
        ch.send(MsgType.HELLO, self._hello())
        return ch

    def _tls_connect(self, sock: socket.socket, peer: int, where: str) -> ssl.SSLSocket:
        """Handshake as client; the server's certificate must name ``peer`` and no other party."""
        try:
            tsock = self._client_ctx.wrap_socket(sock, server_hostname=self.tls.name_of(peer))
        except ssl.SSLError as err:
            sock.close()
            raise PeerAuthenticationError(f"Party {self.index}: party {peer} at {where} failed TLS authentication "
                                          f"({err.reason or err})") from None
        except OSError as err:
            sock.close()
            raise PeerClosedError(f"Party {self.index}: TLS handshake with party {peer} at {where} failed "
                                  f"({type(err).__name__}: {err})") from None
        named = self.tls.ids_named(tsock.getpeercert(), self.ids)
        if named != {peer}:
            tsock.close()
            raise PeerAuthenticationError(f"Party {self.index}: certificate of party {peer} at {where} names the "
                                          f"wrong parties; expected exactly [{peer}], got {sorted(named)}")
        return tsock

    def _refuse(self, sock: socket.socket, why: str) -> None:
        self.refused.append(why)
        try:
            sock.close()
        except OSError:
            pass

    def _accept(self, listener: socket.socket, expected: list[int], deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            missing = [i for i in expected if i not in self.channels]
            why = f"; refused {len(self.refused)} connection(s): {'; '.join(self.refused)}" if self.refused else ""
            raise PeerTimeoutError(f"Party {self.index}: parties {missing} did not connect in time{why}")
        listener.settimeout(left)
        try:
            sock, addr = listener.accept()
        except socket.timeout:
            return
        where = f"connection from {addr[0]}:{addr[1]}"
        if self._server_ctx is not None:
            sock.settimeout(min(self.timeout, left))
            try:
                sock = self._server_ctx.wrap_socket(sock, server_side=True)
            except OSError as err:  # ssl.SSLError included: no, or an untrusted, certificate
                reason = err.reason if isinstance(err, ssl.SSLError) and err.reason else err
                self._refuse(sock, f"{where}: TLS handshake failed ({reason})")
                return
        ch = Channel(sock, where, min(self.timeout, left), 1024)
        try:
            hello = ch.recv(MsgType.HELLO)
        except PartyError:
            return  # a stray connection that said nothing useful: ignore it, keep listening
        if hello.dtype != np.int64 or hello.shape != (2,):
            ch.close()
            raise FrameError(f"Party {self.index}: HELLO has the wrong form; expected int64 (2,), got "
                             f"{hello.dtype} {hello.shape}")
        peer, n = int(hello[0]), int(hello[1])
        if self.tls is not None:
            # First who it is, then what it says: an unauthenticated claim is refused
            # without disturbing the setup; only an authenticated party's bad HELLO aborts it.
            named = self.tls.ids_named(ch.sock.getpeercert(), self.ids)
            if named != {peer}:
                ch.close()
                self.refused.append(f"{where}: certificate names parties {sorted(named)}, HELLO claims party {peer}")
                return
        if peer not in expected or peer in self.channels or n != len(self.ids):
            ch.close()
            raise FrameError(f"Party {self.index}: unexpected HELLO; expected a party id in {expected} of "
                             f"{len(self.ids)} participants, got id {peer} of {n}")
        ch.peer = f"party {peer}"
        ch.timeout = self.timeout
        ch.max_frame_bytes = self.max_frame_bytes
        self.channels[peer] = ch

    def channel(self, peer: int) -> Channel:
        """The channel to ``peer``."""
        return self.channels[peer]

    def close(self) -> None:
        for ch in self.channels.values():
            ch.close()

    def __enter__(self) -> "Party":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
