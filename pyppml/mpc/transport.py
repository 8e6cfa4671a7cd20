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

import enum
import select
import socket
import ssl
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
# First payload buffer of a frame; it doubles as the bytes arrive, up to the claimed length.
_GROW_START = 1 << 16
# Largest piece handed to one non-blocking send: a TLS write that could not finish must be
# retried with the same bytes, so the piece must not depend on how much was sent before.
_SEND_PIECE = 1 << 18


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


#: Largest payload accepted per message type, in bytes (a channel's ``max_frame_bytes``
#: lowers it further). HELLO carries two int64 (a party id and the number of parties);
#: REQUEST rows of five int64 per request of a batch; HE the serialized BFV contexts and
#: ciphertexts of :class:`~pyppml.mpc.HeTripleSource` (about 5 MiB per block at n = 2^14);
#: the others carry shares, opened values, triple material or, for pyppml.fl, protocol
#: messages, whose size the application decides.
MAX_PAYLOAD_BYTES: dict[MsgType, int] = {
    MsgType.HELLO: 64,
    MsgType.OPEN: DEFAULT_MAX_FRAME_BYTES,
    MsgType.INPUT: DEFAULT_MAX_FRAME_BYTES,
    MsgType.REQUEST: 1 << 24,
    MsgType.MATERIAL: DEFAULT_MAX_FRAME_BYTES,
    MsgType.CONTROL: DEFAULT_MAX_FRAME_BYTES,
    MsgType.RESULT: DEFAULT_MAX_FRAME_BYTES,
    MsgType.SUM: DEFAULT_MAX_FRAME_BYTES,
    MsgType.HE: 1 << 28,
}


class PartyError(ConnectionError):
    """A peer failed: it closed, timed out or sent something malformed."""


class PeerClosedError(PartyError):
    """The peer closed or reset the connection (e.g. its process died)."""


class PeerTimeoutError(PartyError):
    """Nothing (or not enough) arrived from the peer before the deadline."""


class FrameError(PartyError, ValueError):
    """The peer sent a malformed or unexpected frame; the channel is closed. Also a
    ``ValueError``: malformed input, like every other loader's error in pyppml."""


class PeerAuthenticationError(PartyError):
    """The peer's TLS certificate was missing, not issued by the expected CA, or names
    another party than the one expected."""


def encode_header(msg_type: int, array: np.ndarray) -> bytes:
    """The header and shape of ``array``'s frame (its payload follows them).

    Raises
    ------
    TypeError
        The dtype is not one of uint64, int64, float64, uint8.
    ValueError
        ``array.ndim > MAX_NDIM``.
    """
    code = _CODES.get(array.dtype)
    if code is None:
        raise TypeError(f"send: array has an unsupported dtype; expected one of uint64, int64, float64, uint8, "
                        f"got {array.dtype}")
    if array.ndim > MAX_NDIM:
        raise ValueError(f"send: array has too many axes; expected ndim <= {MAX_NDIM}, got {array.ndim}")
    return _HEAD.pack(MAGIC, VERSION, int(msg_type), code, array.ndim, array.nbytes) + struct.pack(
        f"<{array.ndim}Q", *array.shape
    )


def encode_frame(msg_type: int, array: np.ndarray) -> bytes:
    """The whole frame of ``array`` (made C-contiguous) as bytes; see :func:`encode_header`."""
    array = np.ascontiguousarray(array)
    return encode_header(msg_type, array) + array.tobytes()


class FrameDecoder:
    """Decodes one frame from bytes that arrive in pieces, checking each part as soon as
    it is complete and allocating only for bytes that have arrived.

    The payload buffer starts at min(payload, 64 KiB) and doubles when full, up to the
    payload length the (already checked) header gives, so a peer that announces a large
    frame and sends little costs little memory; one that sends a whole frame costs at
    most twice its size while it arrives.

    Parameters
    ----------
    msg_type : MsgType or None
        The message type expected (None: any known type).
    max_frame_bytes : int
        Channel limit on the payload; the per-type limit :data:`MAX_PAYLOAD_BYTES` also applies.
    where : str
        Prefix of error messages ("recv from party 1").

    Raises
    ------
    FrameError
        From :meth:`feed` and :meth:`feed_from`, as soon as the bytes seen so far cannot
        start a valid frame.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml.mpc.transport import FrameDecoder, MsgType, encode_frame
    >>> dec = FrameDecoder(MsgType.OPEN)
    >>> data = encode_frame(MsgType.OPEN, np.arange(3, dtype=np.uint64))
    >>> dec.feed(data) == len(data), dec.done
    (True, True)
    >>> dec.array().tolist()
    [0, 1, 2]
    """

    def __init__(self, msg_type: int | None = None, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
                 where: str = "frame"):
        self.msg_type = msg_type
        self.max_frame_bytes = int(max_frame_bytes)
        self.where = where
        self.stage = 0  # 0 header, 1 shape, 2 payload, 3 done
        self._buf = bytearray(_HEAD.size)
        self._got = 0
        self._need = _HEAD.size
        self.dtype: np.dtype | None = None
        self.ndim = 0
        self.nbytes = 0
        self.shape: tuple[int, ...] = ()
        self.cap = min(self.max_frame_bytes, DEFAULT_MAX_FRAME_BYTES)
        self.received = 0

    @property
    def done(self) -> bool:
        return self.stage == 3

    def feed_from(self, read) -> int:
        """Call ``read(view)`` (e.g. ``sock.recv_into``) with a writable view of where the
        next bytes go and take the count it returns (0: end of stream, nothing taken)."""
        with memoryview(self._buf) as whole, whole[self._got:] as window:
            k = read(window)
        if k:
            self._advance(k)
        return k

    def feed(self, data) -> int:
        """Take bytes from ``data`` up to the end of the frame; returns how many were taken."""
        view = memoryview(data).cast("B")
        used = 0
        while not self.done and used < len(view):
            k = min(len(self._buf) - self._got, len(view) - used)
            self._buf[self._got:self._got + k] = view[used:used + k]
            used += k
            self._advance(k)
        return used

    def array(self) -> np.ndarray:
        """The decoded array (writable, C order); only once :attr:`done`."""
        if not self.done:
            raise RuntimeError("FrameDecoder.array: the frame is incomplete")
        return np.frombuffer(self._buf, dtype=self.dtype).reshape(self.shape)

    # -- checks ----------------------------------------------------------------
    def _advance(self, k: int) -> None:
        self._got += k
        self.received += k
        while self.stage < 3 and self._got == len(self._buf):
            if self._got < self._need:
                # Grow with what has arrived (doubling), never to what the header claims.
                self._buf.extend(bytes(min(self._need, 2 * len(self._buf)) - len(self._buf)))
            elif self.stage == 0:
                self._check_head()
                self._next(1, 8 * self.ndim)
            elif self.stage == 1:
                self._check_shape()
                self._next(2, self.nbytes)
            else:
                self.stage = 3

    def _next(self, stage: int, need: int) -> None:
        self.stage, self._need, self._got = stage, need, 0
        self._buf = bytearray(min(need, _GROW_START))

    def _check_head(self) -> None:
        magic, version, mtype, code, ndim, nbytes = _HEAD.unpack(self._buf)
        where = self.where
        if magic != MAGIC:
            raise FrameError(f"{where}: frame has a bad magic; expected {MAGIC!r}, got {bytes(magic)!r}")
        if version != VERSION:
            raise FrameError(f"{where}: frame has an unknown version; expected {VERSION}, got {version}")
        if mtype not in MAX_PAYLOAD_BYTES:
            raise FrameError(f"{where}: frame has an unknown message type; expected 1..{len(MsgType)}, got {mtype}")
        if self.msg_type is not None and mtype != int(self.msg_type):
            raise FrameError(
                f"{where}: frame has the wrong message type; expected {MsgType(self.msg_type).name}, got {mtype}")
        if code not in _DTYPES:
            raise FrameError(f"{where}: frame has an unknown dtype code; expected 1..4, got {code}")
        if ndim > MAX_NDIM:
            raise FrameError(f"{where}: frame has too many axes; expected ndim <= {MAX_NDIM}, got {ndim}")
        self.cap = min(self.max_frame_bytes, MAX_PAYLOAD_BYTES[MsgType(mtype)])
        if nbytes > self.cap:
            raise FrameError(f"{where}: frame is too large; expected at most {self.cap} bytes for "
                             f"{MsgType(mtype).name}, got {nbytes}")
        self.dtype, self.ndim, self.nbytes = _DTYPES[code], ndim, nbytes

    def _check_shape(self) -> None:
        shape = struct.unpack(f"<{self.ndim}Q", self._buf)
        itemsize = self.dtype.itemsize
        count = extent = 1
        for s in shape:
            count *= s
            extent *= max(s, 1)
        if count * itemsize != self.nbytes:
            raise FrameError(f"{self.where}: frame length does not match its shape; expected {count * itemsize} "
                             f"bytes for shape {shape} of {self.dtype}, got {self.nbytes}")
        # An empty array may still name axes too long for NumPy (a dimension >= 2^63):
        # its extent, empty axes counted as 1, must fit the same limit as a payload.
        if extent * itemsize > self.cap:
            raise FrameError(f"{self.where}: frame shape is too large; expected the product of its non-empty "
                             f"axes times {itemsize} to be at most {self.cap} bytes, got shape {shape}")
        self.shape = shape


def decode_frame(data, msg_type: int | None = None, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> np.ndarray:
    """The array of one complete frame given as bytes.

    Raises
    ------
    FrameError
        The bytes are not exactly one valid frame (malformed, truncated, or followed by
        more bytes).
    """
    dec = FrameDecoder(msg_type, max_frame_bytes, "decode_frame")
    used = dec.feed(data)
    if not dec.done:
        raise FrameError(f"decode_frame: frame is truncated; expected more than {used} bytes, got {used}")
    if used != len(memoryview(data).cast("B")):
        raise FrameError(f"decode_frame: bytes follow the frame; expected {used} bytes, got "
                         f"{len(memoryview(data).cast('B'))}")
    return dec.array()


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
