"""Frames of the MPC transport: the header layout, the message types and their size
caps, the error types, and :class:`FrameDecoder`, which checks a frame before anything is
allocated and grows its buffer only with the bytes that arrive (layout and checks in
:mod:`pyppml.mpc.transport`)."""

from __future__ import annotations

import enum
import struct

import numpy as np

MAGIC = b"PPMC"
VERSION = 1
MAX_NDIM = 4
DEFAULT_MAX_FRAME_BYTES = 1 << 30
_HEAD = struct.Struct("<4sBBBBQ")
_DTYPES = {1: np.dtype(np.uint64), 2: np.dtype(np.int64), 3: np.dtype(np.float64), 4: np.dtype(np.uint8)}
_CODES = {v: k for k, v in _DTYPES.items()}
# First payload buffer of a frame; it doubles as the bytes arrive, up to the claimed length.
_GROW_START = 1 << 16


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
