"""An encrypted vector of any length, spread over as many ciphertexts as it needs (as
TenSEAL's CKKSVector, without its limit of n/2 values): elementwise arithmetic with
vectors, arrays and scalars, sums, dot and matrix-vector products, polynomials, bytes.

Layout: value i lives in slot i mod slots of ciphertext i // slots. The slots past the
end of the last ciphertext hold zeros (``zero_tail``), so sums need no mask. Scalars and
constant terms are added on the value slots only, which keeps the zeros; an operation
that cannot keep them (adding a broadcast length-1 vector, a wide matrix product)
clears ``zero_tail``, and the next sum or product that needs the zeros multiplies the
last ciphertext by a 0/1 mask first (one level). ``sum``, ``mean`` and ``dot`` return a
Vector of length 1 whose value fills every slot (``copies``), which broadcasts against
longer vectors: ``x - x.mean()`` works.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from pyppml._core import MismatchError, ParameterError
from pyppml.ckks.ciphertext import Ciphertext


class Vector:
    """An encrypted real vector of ``size`` values over ceil(size / slots) ciphertexts.

    Made by ``Context.encrypt_vector(values)`` (or ``Vector.encrypt``); decrypted by
    :meth:`decrypt` with the key owner's context. Operators follow NumPy: ``+ - *``
    with a Vector of the same length (or of length 1 from ``sum``/``mean``/``dot``), a
    1-D array of ``size`` values or a scalar; ``@`` with a plaintext matrix on either
    side. Levels and scales are managed as for :class:`~pyppml.ckks.Ciphertext`.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml import ckks
    >>> ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    >>> ctx.keygen(operations=["mean"], conjugate=False)
    >>> x = np.linspace(0.0, 1.0, 5000)           # 3 ciphertexts of 2048 slots
    >>> v = ctx.encrypt_vector(x)
    >>> len(v), v.ciphertext_count
    (5000, 3)
    >>> round(float(v.mean().decrypt()[0]), 4)
    0.5
    """

    __array_priority__ = 1000  # NumPy defers to our operators
    __slots__ = ("_chunks", "_copies", "_size", "_zero_tail", "context")

    def __init__(self, context, chunks, size: int, *, zero_tail: bool = False, copies: bool = False):
        """``size`` values held by ``chunks`` (ceil(size / slots) ciphertexts of
        ``context``'s parameters). ``zero_tail`` promises zeros past the end (only the
        library's own constructions make it; by default the next sum masks them)."""
        chunks = list(chunks)
        slots = context.slots
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ParameterError(f"Vector: size is invalid; expected an integer >= 1, got {size!r}")
        if len(chunks) != -(-int(size) // slots):
            raise ParameterError(f"Vector: chunks has the wrong count; expected ceil({size} / {slots}) ciphertexts, "
                                 f"got {len(chunks)}")
        for ct in chunks:
            if not isinstance(ct, Ciphertext) or ct.context.fingerprint != context.fingerprint:
                raise ParameterError("Vector: chunks holds another object; expected ckks.Ciphertexts of this "
                                     f"context's parameters, got {type(ct).__name__}")
        self.context = context
        self._chunks = chunks
        self._size = int(size)
        self._zero_tail = bool(zero_tail)
        self._copies = bool(copies)

    # ------------------------------------------------------------ making and reading
    @classmethod
    def encrypt(cls, context, values, symmetric: bool | None = None) -> Vector:
        """Encrypt a 1-D array of real values of any length (at least 1).

        Raises
        ------
        ParameterError
            Values that are not a non-empty 1-D array of finite real numbers.
        """
        arr = np.asarray(values)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim != 1 or arr.size == 0 or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ParameterError(f"encrypt_vector: values has the wrong shape; expected a non-empty 1-D array of numbers, "
                                 f"got shape {arr.shape} of {arr.dtype}")
        if np.iscomplexobj(arr):
            raise ParameterError(f"encrypt_vector: values has the wrong dtype; expected real numbers, got {arr.dtype}")
        arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            raise ParameterError("encrypt_vector: values is not finite; expected finite numbers, got NaN or infinity")
        slots = context.slots
        chunks = [context.encrypt(arr[i:i + slots], symmetric=symmetric) for i in range(0, arr.size, slots)]
        return cls(context, chunks, arr.size, zero_tail=True)

    def decrypt(self, context=None) -> np.ndarray:
        """The ``size`` values. Key owner only: this vector's context, or ``context``
        (same parameters), must hold the secret key."""
        ctx = self.context if context is None else context
        out = np.concatenate([ctx.decrypt(c) for c in self._chunks])
        return out[: self._size]

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return self._size

    @property
    def ciphertexts(self) -> tuple[Ciphertext, ...]:
        """The ciphertexts, in order (slot i of ciphertext k holds value k * slots + i)."""
        return tuple(self._chunks)

    @property
    def ciphertext_count(self) -> int:
        return len(self._chunks)

    @property
    def level(self) -> int:
        return min(c.level for c in self._chunks)

    @property
    def zero_tail(self) -> bool:
        """True when the slots past the last value hold zeros (sums need no mask)."""
        return self._zero_tail

    def __repr__(self) -> str:
        return (f"ckks.Vector(size={self._size}, ciphertexts={len(self._chunks)}, level={self.level}, "
                f"scale=2^{math.log2(self._chunks[0].scale):.2f})")

    def _like(self, chunks, *, size: int | None = None, zero_tail: bool | None = None,
              copies: bool | None = None) -> Vector:
        return Vector(self.context, chunks, self._size if size is None else size,
                      zero_tail=self._zero_tail if zero_tail is None else zero_tail,
                      copies=self._copies if copies is None else copies)

    # ------------------------------------------------------------ operands
    def _pieces(self, values: np.ndarray) -> list[np.ndarray]:
        """A length-``size`` array cut per ciphertext, the last zero-padded to the slots."""
        slots = self.context.slots
        padded = np.zeros(len(self._chunks) * slots, dtype=values.dtype)
        padded[: values.size] = values
        return [padded[i:i + slots] for i in range(0, padded.size, slots)]

    def _operand(self, other, api: str):
        """('vector', Vector) | ('scalar', number) | ('array', ndarray of size values)."""
        if isinstance(other, Vector):
            if other.context.fingerprint != self.context.fingerprint:
                raise MismatchError(f"{api}: operands belong to other parameters; expected fingerprint "
                                    f"{self.context.fingerprint}, got {other.context.fingerprint}")
            return "vector", other
        if isinstance(other, Ciphertext):
            raise ParameterError(f"{api}: other has the wrong type; expected a ckks.Vector, an array or a scalar, "
                                 "got a ckks.Ciphertext (wrap it: ckks.Vector(ctx, [ct], size))")
        if isinstance(other, numbers.Real):
            if not math.isfinite(other):
                raise ParameterError(f"{api}: operand is not finite; expected finite values, got {other!r}")
            return "scalar", float(other)
        arr = np.asarray(other)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ParameterError(f"{api}: other has the wrong type; expected a ckks.Vector, an array or a scalar, "
                                 f"got {type(other).__name__}")
        if np.iscomplexobj(arr):
            raise ParameterError(f"{api}: other has the wrong dtype; expected real numbers, got {arr.dtype}")
        if arr.size == 1 and arr.ndim <= 1:
            return self._operand(float(arr.reshape(())), api)
        if arr.ndim != 1 or arr.size != self._size:
            raise ParameterError(f"{api}: other has the wrong shape; expected a scalar or {self._size} values, "
                                 f"got shape {arr.shape}")
        arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"{api}: operand is not finite; expected finite values, got NaN or infinity")
        return "array", arr

    def _broadcast(self, other: Vector, api: str) -> tuple[Vector, Vector]:
        """Equal lengths, or a length-1 operand with its value in every slot."""
        if other._size == self._size and len(other._chunks) == len(self._chunks):
            return self, other
        for one, many in ((other, self), (self, other)):
            if one._size == 1 and len(one._chunks) == 1:
                return (many, one._copied(api)) if many is self else (one._copied(api), many)
        raise ParameterError(f"{api}: other has the wrong length; expected {self._size} values (or 1), "
                             f"got {other._size}")

    def _copied(self, api: str) -> Vector:
        """A length-1 vector with its value in every slot (sum_slots of a zero tail)."""
        if self._copies:
            return self
        from pyppml.ckks.rotation import sum_slots

        one = self._masked()
        return self._like([sum_slots(one._chunks[0], api=api, operation="sum")], zero_tail=False, copies=True)

    def _pair(self, other: Vector, api: str):
        a, b = self._broadcast(other, api)
        if len(a._chunks) == len(b._chunks):
            return a, b, list(zip(a._chunks, b._chunks))
        big, one = (a, b) if a._size > 1 else (b, a)
        pairs = [(c, one._chunks[0]) if big is a else (one._chunks[0], c) for c in big._chunks]
        return a, b, pairs

    def _mask(self) -> np.ndarray:
        """1 on the last ciphertext's value slots, 0 past them."""
        m = np.zeros(self.context.slots)
        m[: self._size - (len(self._chunks) - 1) * self.context.slots] = 1.0
        return m

    def _masked(self) -> Vector:
        """The same values with zeros past the end (one level on the last ciphertext when
        they are not zero already)."""
        if self._zero_tail:
            return self
        chunks = self._chunks[:-1] + [self._chunks[-1] * self._mask()]
        return self._like(chunks, zero_tail=True, copies=False)

    def _add_scalar(self, c: float) -> Vector:
        if not self._zero_tail:
            return self._like([ct + c for ct in self._chunks])
        # Keep the zeros past the end: the last ciphertext gets c on its value slots only.
        last = self._chunks[-1] + c * self._mask()
        return self._like([ct + c for ct in self._chunks[:-1]] + [last])

    # ------------------------------------------------------------ arithmetic
    def __add__(self, other) -> Vector:
        """Elementwise ``self + other``.

        ``other`` is a Vector of the same length (or of length 1, broadcast), a 1-D array
        of ``size`` real values, or a real scalar. Scales are aligned exactly; the result
        is at the lower level of the operands."""
        kind, val = self._operand(other, "add")
        if kind == "vector":
            a, b, pairs = self._pair(val, "add")
            out = [x + y for x, y in pairs]
            same = a._size == b._size
            return Vector(self.context, out, max(a._size, b._size), zero_tail=same and a._zero_tail and b._zero_tail,
                          copies=a._copies and b._copies)
        if kind == "scalar":
            return self._add_scalar(val)
        return self._like([ct + p for ct, p in zip(self._chunks, self._pieces(val))])

    def __radd__(self, other) -> Vector:
        """``other + self``, as :meth:`__add__`."""
        return self.__add__(other)

    def __neg__(self) -> Vector:
        """Elementwise ``-self`` (no level)."""
        return self._like([-ct for ct in self._chunks])

    def __sub__(self, other) -> Vector:
        """Elementwise ``self - other``, with the operands of :meth:`__add__`; scales that
        differ slightly (``ex2 - mean.square()``) are aligned exactly."""
        kind, val = self._operand(other, "sub")
        if kind == "vector":
            a, b, pairs = self._pair(val, "sub")
            out = [x - y for x, y in pairs]
            same = a._size == b._size
            return Vector(self.context, out, max(a._size, b._size), zero_tail=same and a._zero_tail and b._zero_tail,
                          copies=a._copies and b._copies)
        if kind == "scalar":
            return self._add_scalar(-val)
        return self._like([ct - p for ct, p in zip(self._chunks, self._pieces(val))])

    def __rsub__(self, other) -> Vector:
        """``other - self`` for an array or a scalar ``other``."""
        return (-self).__add__(other)

    def __mul__(self, other) -> Vector:
        """Elementwise ``self * other``: one level (relinearized and rescaled).

        ``other`` is a Vector of the same length (or of length 1, broadcast), a 1-D array
        of ``size`` real values, or a real scalar."""
        kind, val = self._operand(other, "multiply")
        if kind == "vector":
            a, b, pairs = self._pair(val, "multiply")
            out = [x * y for x, y in pairs]
            # A zero past the end of either factor stays zero in the product.
            zero = (a._zero_tail or b._zero_tail) if a._size == b._size else (a if a._size > 1 else b)._zero_tail
            return Vector(self.context, out, max(a._size, b._size), zero_tail=zero, copies=a._copies and b._copies)
        if kind == "scalar":
            return self._like([ct * val for ct in self._chunks])
        return self._like([ct * p for ct, p in zip(self._chunks, self._pieces(val))], zero_tail=True, copies=False)

    def __rmul__(self, other) -> Vector:
        """``other * self``, as :meth:`__mul__`."""
        return self.__mul__(other)

    def square(self) -> Vector:
        """Elementwise ``self * self``: one level."""
        return self._like([ct.square() for ct in self._chunks])

    def __pow__(self, exponent: int) -> Vector:
        """Elementwise ``self ** exponent`` for an integer exponent >= 1: ceil(log2(exponent)) levels."""
        return self._like([ct ** exponent for ct in self._chunks])

    def polyval(self, coeffs) -> Vector:
        """Elementwise ``coeffs[0] + coeffs[1] x + ... + coeffs[d] x^d`` (TenSEAL's
        order): ceil(log2(d + 1)) levels (``ckks.evaluate_polynomial``).

        Raises
        ------
        ParameterError
            Coefficients that are not a non-empty 1-D array of finite real numbers.
        """
        from pyppml.ckks.polynomial import evaluate_polynomial

        c = np.asarray(coeffs)
        if (c.ndim != 1 or c.size == 0 or np.iscomplexobj(c) or not np.issubdtype(c.dtype, np.number)
                or not np.all(np.isfinite(c))):
            raise ParameterError(f"polyval: coeffs is invalid; expected a non-empty 1-D array of finite real numbers, "
                                 f"got shape {c.shape} of {c.dtype}")
        c = c.astype(np.float64)
        # The constant term is added on the value slots only (zeros past the end stay).
        rest = c.copy()
        rest[0] = 0.0
        if not np.any(rest):
            return (self * 0.0)._add_scalar(float(c[0]))
        out = self._like([evaluate_polynomial(ct, rest) for ct in self._chunks])
        return out._add_scalar(float(c[0])) if c[0] else out

    # ------------------------------------------------------------ reductions
    def _sum(self, api: str, operation: str) -> Vector:
        from pyppml.ckks.rotation import sum_slots

        if self._copies:
            return self
        v = self._masked()
        acc = v._chunks[0]
        for ct in v._chunks[1:]:
            acc = acc + ct
        return Vector(self.context, [sum_slots(acc, api=api, operation=operation)], 1, zero_tail=False, copies=True)

    def sum(self) -> Vector:
        """The sum of the values, as a Vector of length 1 (in every slot, so it
        broadcasts). Adds the ciphertexts, then log2(slots) rotations by 1, 2, ...,
        slots / 2 (keys: ``keygen(operations=["sum"])``); no level unless the values
        past the end must be masked first."""
        return self._sum("sum", "sum")

    def mean(self) -> Vector:
        """The mean, as a Vector of length 1: :meth:`sum` times 1/size (one level)."""
        total = self._sum("mean", "mean")
        # times_scalar_to keeps 1/size exact to the scale (q_l / size may be below the
        # 2^20 that `*` asks of a factor before it shifts the scale) and lands on the
        # standard scale, where mean.square() and x.square().mean() meet.
        ct = total._chunks[0]
        if ct.level == 0:
            raise ParameterError("mean: the sum is at level 0; expected a level >= 1 to divide by the length, got 0")
        out = ct.times_scalar_to(1.0 / self._size, self.context.level_scale(ct.level - 1))
        return total._like([out])

    def dot(self, other) -> Vector:
        """Inner product with a Vector or a 1-D array of ``size`` values, as a Vector of
        length 1: one product (one level) and the rotations of :meth:`sum` (keys:
        ``keygen(operations=["dot"])``). The products are summed and rotated before
        their rescale, so the rotations' key-switching noise is divided by q_l too."""
        out = self._dot_before_rescale(other)
        return out if out is not None else (self * other)._sum("dot", "dot")

    def _dot_before_rescale(self, other) -> Vector | None:
        """dot for the common case (equal lengths, ciphertexts at one level and scale);
        None otherwise (the caller takes the general path)."""
        from pyppml.ckks.scales import standard_scale as _standard_scale
        from pyppml.ckks.rotation import sum_slots

        kind, val = self._operand(other, "dot")
        if kind == "scalar" or (kind == "vector" and val._size != self._size) or self._copies:
            return None
        a = self if kind == "array" or self._zero_tail or val._zero_tail else self._masked()
        levels = {c.level for c in a._chunks} | ({c.level for c in val._chunks} if kind == "vector" else set())
        scales = {c.scale for c in a._chunks} | ({c.scale for c in val._chunks} if kind == "vector" else set())
        if len(levels) != 1 or len(scales) != 1 or a.level == 0:
            return None
        ct0 = a._chunks[0]
        ctx, level, q = self.context, ct0.level, float(self.context.coeff_moduli[ct0.level])
        if kind == "vector":
            # s^2 / q_l: the next standard scale when s is the standard one
            target = ct0.scale * ct0.scale / q
            prods = [x.multiply(y).relinearize() for x, y in zip(a._chunks, val._chunks)]
        else:
            k = ct0._shift_for(float(np.max(np.abs(val))), "dot")
            target = _standard_scale(ctx, level - 1, ct0.scale, level) * 2.0 ** k
            pt_scale = target * q / ct0.scale
            prods = [ct.multiply_plain(ctx.encode(p, scale=pt_scale, level=level))
                     for ct, p in zip(a._chunks, self._pieces(val))]
        acc = prods[0]
        for p in prods[1:]:
            acc = acc._wrap(acc._ctx.add(acc._native, p._native))
        total = sum_slots(acc, api="dot", operation="dot").rescale().with_scale(target)
        return Vector(ctx, [total], 1, zero_tail=False, copies=True)

    # ------------------------------------------------------------ matrix products
    def _matvec(self, matrix, api: str) -> Vector:
        """``M @ self`` for a plaintext (m, size) matrix, cut in blocks of at most
        slots x slots; each block is one baby-step giant-step product (one level)."""
        from pyppml.ckks.linalg import matvec_block

        M = np.asarray(matrix)
        if M.ndim != 2 or M.dtype == object or np.iscomplexobj(M) or not np.issubdtype(M.dtype, np.number):
            raise ParameterError(f"{api}: matrix is invalid; expected a 2-D array of real numbers, got shape {M.shape}")
        M = M.astype(np.float64)
        if not np.all(np.isfinite(M)):
            raise ParameterError(f"{api}: matrix is not finite; expected finite values, got NaN or infinity")
        m, d = M.shape
        if d != self._size:
            want = f"({self._size}, k)" if api == "vector @ matrix" else f"(m, {self._size})"
            got = (d, m) if api == "vector @ matrix" else (m, d)
            raise ParameterError(f"{api}: matrix has the wrong shape; expected {want}, got {got}")
        v = self._masked()
        slots = self.context.slots
        out, clean = [], True
        for r in range(0, m, slots):
            acc = None
            for j, ct in enumerate(v._chunks):
                block = M[r:r + slots, j * slots:(j + 1) * slots]
                if not np.any(block):
                    continue
                term, zeros = matvec_block(block, ct, api=api)
                clean = clean and zeros
                acc = term if acc is None else acc + term
            out.append(acc if acc is not None else v._chunks[0] * 0.0)
        # Only the last output ciphertext can be partly filled, so only it can be unclean.
        return Vector(self.context, out, m, zero_tail=clean)

    def __rmatmul__(self, matrix) -> Vector:
        """``matrix @ self``: a plaintext (m, size) matrix times this vector, a Vector of
        length m. One level; keys: ``keygen(operations=["matvec"])`` (composed
        rotations) or ``keygen(matvec_shapes=[(m, size)])`` (direct keys, faster)."""
        return self._matvec(matrix, "matrix @ vector")

    def __matmul__(self, matrix) -> Vector:
        """``self @ matrix``: this vector times a plaintext (size, k) matrix (TenSEAL's
        ``enc_x.mm(W)``), a Vector of length k. One level; keys as :meth:`__rmatmul__`
        with the shape (k, size)."""
        M = np.asarray(matrix)
        if M.ndim != 2:
            raise ParameterError(f"vector @ matrix: matrix is invalid; expected a 2-D array, got shape {M.shape}")
        return self._matvec(M.T, "vector @ matrix")

    mm = matmul = __matmul__

    # ------------------------------------------------------------ bytes
    def to_bytes(self) -> bytes:
        """Header (magic, length, ciphertext count, slots, layout flags) then each
        ciphertext's bytes; read back with ``Vector.from_bytes(data, context)``."""
        from pyppml.ckks.vector_bytes import vector_to_bytes

        return vector_to_bytes(self)

    @classmethod
    def from_bytes(cls, data: bytes, context) -> Vector:
        """A Vector from :meth:`to_bytes` output, bound to ``context`` (same parameters
        and key set).

        Raises
        ------
        FormatError
            Malformed, truncated or extended bytes, a header that disagrees with the
            context (slots, ciphertext count for the length), ciphertexts of other
            parameters or of another key set.
        """
        from pyppml.ckks.vector_bytes import vector_from_bytes

        return vector_from_bytes(data, context)

    def __reduce__(self):
        return _restore, (self.to_bytes(), self.context)


def _restore(data: bytes, context) -> Vector:
    return Vector.from_bytes(data, context)
