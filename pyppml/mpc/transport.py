"""Length-prefixed NumPy frames over TCP or TLS, validated before anything is allocated.

Frame layout (little endian)::

    magic "PPMC" | version u8 | message type u8 | dtype code u8 | ndim u8 | payload bytes u64
    | ndim x u64 shape | payload (C order)

The receiver checks the magic, version, message type (known, and the expected one), dtype
code, ndim <= 4, that the payload length is within the limit of its message type
(:data:`MAX_PAYLOAD_BYTES`) and of the channel, that prod(shape) * itemsize equals the
payload length and that the shape, counting empty axes as 1, also fits that limit. Memory
then grows with the bytes that actually arrive (:class:`FrameDecoder`), never with what a
header claims: 28 bytes that announce a 512 MiB payload cost 64 KiB, not 512 MiB. Nothing is
ever unpickled. Every read and write has a deadline; a peer that closes, resets or stays
silent past it raises a :class:`PartyError` subclass.

What the transport does not protect: over plain TCP (a :class:`~pyppml.mpc.Party` without
``tls``) frames are neither encrypted nor authenticated. Anyone who can reach a party's
port can connect and claim any party id, and anyone on the path can read every frame (input
shares, opened values, triple material: the two shares of an input reveal it), change or
replay them. Plain TCP is for one host or a network the deployment already protects (a VPN,
a TLS tunnel); otherwise give every party a certificate (:class:`~pyppml.mpc.tls.PartyTls`).
"""

from __future__ import annotations

import select
import socket
import ssl
import time

import numpy as np

# The frame format and its errors live in frames.py; re-exported here, where callers look.
from pyppml.mpc.frames import (DEFAULT_MAX_FRAME_BYTES, MAGIC, MAX_NDIM, MAX_PAYLOAD_BYTES, VERSION,  # noqa: F401
                               FrameDecoder, FrameError, MsgType, PartyError, PeerAuthenticationError,
                               PeerClosedError, PeerTimeoutError, decode_frame, encode_frame, encode_header)

# Above this size an exchange interleaves sending and receiving, so that two parties
# sending large frames at each other cannot both block on full socket buffers (below it,
# the peer's receive buffer holds a whole frame).
_INTERLEAVED_EXCHANGE_BYTES = 1 << 15

# Largest piece handed to one non-blocking send: a TLS write that could not finish must be
# retried with the same bytes, so the piece must not depend on how much was sent before.
_SEND_PIECE = 1 << 18


class Channel:
    """One TCP (or TLS) connection to one peer, carrying NumPy frames.

    Parameters
    ----------
    sock : socket.socket
        A connected TCP socket, or an ``ssl.SSLSocket`` after its handshake; the channel owns it.
    peer : str
        Name used in error messages.
    timeout : float
        Seconds any single frame may take to arrive or leave.
    max_frame_bytes : int
        Largest payload accepted from the peer (each message type also has its own limit,
        :data:`MAX_PAYLOAD_BYTES`).

    A plain TCP channel is neither confidential nor authenticated (module docstring).

    Examples
    --------
    >>> import socket, numpy as np
    >>> from pyppml.mpc import Channel, MsgType
    >>> a, b = socket.socketpair()
    >>> ca, cb = Channel(a, "b"), Channel(b, "a")
    >>> ca.send(MsgType.OPEN, np.arange(3, dtype=np.uint64))
    >>> cb.recv(MsgType.OPEN).tolist()
    [0, 1, 2]
    >>> ca.close(); cb.close()
    """

    def __init__(self, sock: socket.socket, peer: str, timeout: float = 10.0,
                 max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES):
        self.sock = sock
        self.peer = peer
        self.timeout = float(timeout)
        self.max_frame_bytes = int(max_frame_bytes)
        self.bytes_sent = 0
        self.bytes_received = 0
        self.closed = False
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeout)

    @property
    def is_tls(self) -> bool:
        return isinstance(self.sock, ssl.SSLSocket)

    # -- errors ---------------------------------------------------------------
    def _fail(self, exc: PartyError) -> PartyError:
        self.close()
        return exc

    def _io_error(self, what: str, err: BaseException) -> PartyError:
        if isinstance(err, socket.timeout):
            return self._fail(PeerTimeoutError(f"{what}: no data from {self.peer} within {self.timeout:g} s"))
        return self._fail(PeerClosedError(f"{what}: connection to {self.peer} lost ({type(err).__name__}: {err})"))

    # -- sending --------------------------------------------------------------
    def send(self, msg_type: int, array: np.ndarray, timeout: float | None = None) -> None:
        """Send one array (made C-contiguous) as a frame."""
        if self.closed:
            raise PeerClosedError(f"send: channel to {self.peer} is closed")
        array = np.ascontiguousarray(array)
        head = encode_header(msg_type, array)
        try:
            self.sock.settimeout(self.timeout if timeout is None else timeout)
            if array.nbytes <= 65536:
                self.sock.sendall(head + array.tobytes())
            else:
                self.sock.sendall(head)
                self.sock.sendall(memoryview(array).cast("B"))
        except (OSError, socket.timeout) as err:
            raise self._io_error("send", err) from None
        self.bytes_sent += len(head) + array.nbytes

    # -- receiving ------------------------------------------------------------
    def _decoder(self, msg_type) -> FrameDecoder:
        return FrameDecoder(msg_type, self.max_frame_bytes, f"recv from {self.peer}")

    def recv(self, msg_type: int | None = None, timeout: float | None = None) -> np.ndarray:
        """Receive one frame and return its array; FrameError if it is malformed or of
        another message type than ``msg_type``."""
        if self.closed:
            raise PeerClosedError(f"recv: channel to {self.peer} is closed")
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        dec = self._decoder(msg_type)
        while not dec.done:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(PeerTimeoutError(f"recv: no data from {self.peer} within {self.timeout:g} s"))
            try:
                self.sock.settimeout(left)
                k = dec.feed_from(self.sock.recv_into)
            except FrameError as err:
                raise self._fail(err) from None
            except (OSError, socket.timeout) as err:
                raise self._io_error("recv", err) from None
            if k == 0:
                raise self._fail(PeerClosedError(f"recv: {self.peer} closed the connection"))
        self.bytes_received += dec.received
        return dec.array()

    def exchange(self, msg_type: int, array: np.ndarray) -> np.ndarray:
        """Send ``array`` and receive the peer's array of the same message type (both
        parties call this at the same step). Large frames are sent and received
        interleaved (non-blocking, poll), so that two parties sending large frames at each
        other cannot both block on full socket buffers."""
        array = np.ascontiguousarray(array)
        if array.nbytes <= _INTERLEAVED_EXCHANGE_BYTES:
            self.send(msg_type, array)
            return self.recv(msg_type)
        return self._exchange_interleaved(msg_type, array)

    def _exchange_interleaved(self, msg_type: int, array: np.ndarray) -> np.ndarray:
        if self.closed:
            raise PeerClosedError(f"exchange: channel to {self.peer} is closed")
        deadline = time.monotonic() + self.timeout
        outgoing = [memoryview(encode_header(msg_type, array)), memoryview(array).cast("B")]
        sent_total = sum(len(v) for v in outgoing)
        dec = self._decoder(msg_type)
        sock = self.sock
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        try:
            sock.setblocking(False)
            while outgoing or not dec.done:
                # Try both directions; wait only when neither can move. A TLS socket may
                # need to read to write (or the reverse), and may hold decrypted bytes
                # that poll cannot see: it is read until it says it would block.
                moved, wait = False, 0
                if outgoing:
                    try:
                        k = sock.send(outgoing[0][:_SEND_PIECE])
                        outgoing[0] = outgoing[0][k:]
                        if not len(outgoing[0]):
                            outgoing.pop(0)
                        moved = True
                    except ssl.SSLWantReadError:
                        wait |= select.POLLIN
                    except (BlockingIOError, ssl.SSLWantWriteError):
                        wait |= select.POLLOUT
                if not dec.done:
                    try:
                        if dec.feed_from(sock.recv_into) == 0:
                            raise self._fail(PeerClosedError(f"exchange: {self.peer} closed the connection"))
                        moved = True
                    except ssl.SSLWantWriteError:
                        wait |= select.POLLOUT
                    except (BlockingIOError, ssl.SSLWantReadError):
                        wait |= select.POLLIN
                if moved:
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._fail(PeerTimeoutError(f"exchange: no data from {self.peer} within {self.timeout:g} s"))
                poller.modify(sock, wait)
                poller.poll(max(1, int(left * 1000)))
        except FrameError as err:
            raise self._fail(err) from None
        except OSError as err:
            if isinstance(err, PartyError):
                raise
            raise self._io_error("exchange", err) from None
        finally:
            if not self.closed:
                sock.setblocking(True)
                sock.settimeout(self.timeout)
        self.bytes_sent += sent_total
        self.bytes_received += dec.received
        return dec.array()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass
