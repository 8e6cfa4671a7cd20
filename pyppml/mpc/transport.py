"""Length-prefixed NumPy frames over TCP, validated before anything is allocated.

Frame layout (little endian)::

    magic "PPMC" | version u8 | message type u8 | dtype code u8 | ndim u8 | payload bytes u64
    | ndim x u64 shape | payload (C order)

The receiver checks the magic, version, expected message type, dtype code, ndim <= 4,
that prod(shape) * itemsize equals the payload length and that the length is within the
channel's limit, and only then allocates the array and reads into it. Nothing is ever
unpickled. Every read and write has a deadline; a peer that closes, resets or stays silent
past it raises a :class:`PartyError` subclass.
"""

from __future__ import annotations

import enum
import select
import socket
import struct
import time

import numpy as np

MAGIC = b"PPMC"
VERSION = 1
MAX_NDIM = 4
DEFAULT_MAX_FRAME_BYTES = 1 << 30
_HEAD = struct.Struct("<4sBBBBQ")
_DTYPES = {1: np.dtype(np.uint64), 2: np.dtype(np.int64), 3: np.dtype(np.float64), 4: np.dtype(np.uint8)}
_CODES = {v: k for k, v in _DTYPES.items()}
# Above this size an exchange interleaves sending and receiving, so that two parties
# sending large frames at each other cannot both block on full socket buffers (below it,
# the peer's receive buffer holds a whole frame).
_INTERLEAVED_EXCHANGE_BYTES = 1 << 15


class MsgType(enum.IntEnum):
    HELLO = 1
    OPEN = 2
    INPUT = 3
    REQUEST = 4
    MATERIAL = 5
    CONTROL = 6
    RESULT = 7
    SUM = 8
    HE = 9


class PartyError(ConnectionError):
    """A peer failed: it closed, timed out or sent something malformed."""


class PeerClosedError(PartyError):
    """The peer closed or reset the connection (e.g. its process died)."""


class PeerTimeoutError(PartyError):
    """Nothing (or not enough) arrived from the peer before the deadline."""


class FrameError(PartyError):
    """The peer sent a malformed or unexpected frame; the channel is closed."""


def encode_header(msg_type: int, array: np.ndarray) -> bytes:
    code = _CODES.get(array.dtype)
    if code is None:
        raise TypeError(f"send: array has an unsupported dtype; expected one of uint64, int64, float64, uint8, "
                        f"got {array.dtype}")
    if array.ndim > MAX_NDIM:
        raise ValueError(f"send: array has too many axes; expected ndim <= {MAX_NDIM}, got {array.ndim}")
    return _HEAD.pack(MAGIC, VERSION, int(msg_type), code, array.ndim, array.nbytes) + struct.pack(
        f"<{array.ndim}Q", *array.shape
    )


class Channel:
    """One TCP connection to one peer, carrying NumPy frames.

    Parameters
    ----------
    sock : socket.socket
        A connected TCP socket; the channel owns it.
    peer : str
        Name used in error messages.
    timeout : float
        Seconds any single frame may take to arrive or leave.
    max_frame_bytes : int
        Largest payload accepted from the peer.
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
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeout)

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
    def _recv_into(self, view: memoryview, deadline: float) -> None:
        got = 0
        n = len(view)
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(PeerTimeoutError(f"recv: no data from {self.peer} within {self.timeout:g} s"))
            try:
                self.sock.settimeout(left)
                k = self.sock.recv_into(view[got:], n - got)
            except (OSError, socket.timeout) as err:
                raise self._io_error("recv", err) from None
            if k == 0:
                raise self._fail(PeerClosedError(f"recv: {self.peer} closed the connection"))
            got += k

    def _check_head(self, head, msg_type) -> tuple[np.dtype, int, int]:
        magic, version, mtype, code, ndim, nbytes = _HEAD.unpack(head)
        where = f"recv from {self.peer}"
        if magic != MAGIC:
            raise self._fail(FrameError(f"{where}: frame has a bad magic; expected {MAGIC!r}, got {bytes(magic)!r}"))
        if version != VERSION:
            raise self._fail(FrameError(f"{where}: frame has an unknown version; expected {VERSION}, got {version}"))
        if msg_type is not None and mtype != int(msg_type):
            raise self._fail(FrameError(
                f"{where}: frame has the wrong message type; expected {MsgType(msg_type).name}, got {mtype}"))
        if code not in _DTYPES:
            raise self._fail(FrameError(f"{where}: frame has an unknown dtype code; expected 1..4, got {code}"))
        if ndim > MAX_NDIM:
            raise self._fail(FrameError(f"{where}: frame has too many axes; expected ndim <= {MAX_NDIM}, got {ndim}"))
        if nbytes > self.max_frame_bytes:
            raise self._fail(FrameError(
                f"{where}: frame is too large; expected at most {self.max_frame_bytes} bytes, got {nbytes}"))
        return _DTYPES[code], ndim, nbytes

    def _check_shape(self, shape_raw, ndim, dtype, nbytes) -> tuple[int, ...]:
        shape = struct.unpack(f"<{ndim}Q", shape_raw)
        count = 1
        for s in shape:
            count *= s
        if count * dtype.itemsize != nbytes:
            raise self._fail(FrameError(
                f"recv from {self.peer}: frame length does not match its shape; expected {count * dtype.itemsize} "
                f"bytes for shape {shape} of {dtype}, got {nbytes}"))
        return shape

    def recv(self, msg_type: int | None = None, timeout: float | None = None) -> np.ndarray:
        """Receive one frame and return its array; FrameError if it is malformed or of
        another message type than ``msg_type``."""
        if self.closed:
            raise PeerClosedError(f"recv: channel to {self.peer} is closed")
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        head = bytearray(_HEAD.size)
        self._recv_into(memoryview(head), deadline)
        dtype, ndim, nbytes = self._check_head(head, msg_type)
        # nbytes is within max_frame_bytes: read the shape and the payload in one go (fewer
        # system calls per round), then check the shape before the bytes become an array.
        body = bytearray(8 * ndim + nbytes)
        self._recv_into(memoryview(body), deadline)
        shape = self._check_shape(body[:8 * ndim], ndim, dtype, nbytes)
        self.bytes_received += _HEAD.size + 8 * ndim + nbytes
        return np.frombuffer(body, dtype=dtype, offset=8 * ndim).reshape(shape)

    def exchange(self, msg_type: int, array: np.ndarray) -> np.ndarray:
        """Send ``array`` and receive the peer's array of the same message type (both
        parties call this at the same step). Large frames are sent and received
        interleaved (poll), so that two parties sending large frames at each other
        cannot both block on full socket buffers."""
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
        # Receive state: header, then shape, then payload.
        head = bytearray(_HEAD.size)
        stage, buf, got = 0, memoryview(head), 0
        ndim = nbytes = 0
        dtype = shape_raw = out = None
        sock = self.sock
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLOUT)
        try:
            sock.setblocking(False)
            while outgoing or stage < 3:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._fail(PeerTimeoutError(f"exchange: no data from {self.peer} within {self.timeout:g} s"))
                events = poller.poll(max(1, int(left * 1000)))
                for _, ev in events:
                    if ev & select.POLLOUT and outgoing:
                        k = sock.send(outgoing[0])
                        outgoing[0] = outgoing[0][k:]
                        if not len(outgoing[0]):
                            outgoing.pop(0)
                        if not outgoing:
                            poller.modify(sock, select.POLLIN)
                    if ev & (select.POLLIN | select.POLLHUP | select.POLLERR) and stage < 3:
                        k = sock.recv_into(buf[got:], len(buf) - got) if len(buf) > got else 0
                        if k == 0 and len(buf) > got:
                            raise self._fail(PeerClosedError(f"exchange: {self.peer} closed the connection"))
                        got += k
                        while stage < 3 and got == len(buf):
                            if stage == 0:
                                dtype, ndim, nbytes = self._check_head(head, msg_type)
                                shape_raw = bytearray(8 * ndim)
                                stage, buf, got = 1, memoryview(shape_raw), 0
                            elif stage == 1:
                                shape = self._check_shape(shape_raw, ndim, dtype, nbytes)
                                out = np.empty(shape, dtype=dtype)
                                stage, buf, got = 2, memoryview(out).cast("B"), 0
                            else:
                                stage = 3
        except (BlockingIOError, InterruptedError):
            raise self._fail(PeerClosedError(f"exchange: unexpected blocking on the channel to {self.peer}"))
        except OSError as err:
            if isinstance(err, PartyError):
                raise
            raise self._io_error("exchange", err) from None
        finally:
            if not self.closed:
                sock.setblocking(True)
                sock.settimeout(self.timeout)
        self.bytes_sent += sent_total
        self.bytes_received += _HEAD.size + 8 * ndim + nbytes
        return out

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass
