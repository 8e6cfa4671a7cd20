"""BFV ciphertexts and plaintexts with NumPy-friendly operators.

``a * b`` multiplies and relinearizes; ``+``, ``-`` and ``*`` also take plaintexts,
integers and integer arrays (taken mod t, encoded like ``Context.encrypt`` does). An
integer, a 0-d or a length-1 array is a constant in every slot; any other array must have
exactly n entries (a shorter one is refused rather than zero-padded: encode it with
``Context.encode`` to pad it on purpose, and pass the Plaintext). Operands at different
levels (after modulus switching) are brought to the lower one. The named methods
(``multiply``, ``relinearize``, ``mod_switch_to_next``) give full control.
"""

from __future__ import annotations

import numbers

import numpy as np

from pyppml._core import MismatchError, ParameterError
from pyppml._rlwe import RlweObject, as_scalar


class Plaintext(RlweObject):
    """An encoded integer vector: a polynomial with coefficients in [0, t).

    Examples
    --------
    >>> from pyppml import bfv
    >>> ctx = bfv.Context(poly_degree=4096, plain_modulus=786433, depth=1)
    >>> ctx.encode([1, -1]).decode(signed=True)[:3].tolist()
    [1, -1, 0]
    """

    __slots__ = ()
    _kind = "plaintext"

    def decode(self, signed: bool = False) -> np.ndarray:
        return self.context.decode(self, signed)

    def coefficients(self, signed: bool = False) -> np.ndarray:
        return self.context.decode_coefficients(self, signed)



class Ciphertext(RlweObject):
    """A BFV ciphertext: ``size`` polynomials at ``level`` (evaluation form).

    Examples
    --------
    >>> from pyppml import bfv
    >>> ctx = bfv.Context(poly_degree=4096, plain_modulus=786433, depth=1)
    >>> ctx.keygen()
    >>> a = ctx.encrypt([1, 2, 3])
    >>> ctx.decrypt((a * a - 1).rotate_rows(1), signed=True)[:3].tolist()
    [3, 8, -1]
    """

    __slots__ = ()
    _kind = "ciphertext"
    __array_priority__ = 1000

    @property
    def size(self) -> int:
        return self._native.size

    def __repr__(self) -> str:
        return f"bfv.Ciphertext(level={self.level}, size={self.size})"

    @property
    def _bfv(self):
        return self.context._bfv

    # ------------------------------------------------------------ named operations
    def multiply(self, other: "Ciphertext") -> "Ciphertext":
        """Tensor product only (3 components), no relinearization."""
        a, b = Ciphertext._align(self, other, "multiply")
        return a._wrap(a._bfv.multiply(a._native, b._native))

    def square(self) -> "Ciphertext":
        """self * self, relinearized."""
        return self._wrap(self._bfv.multiply_relinearize(self._native, None, self._relin_key()))

    def relinearize(self) -> "Ciphertext":
        if self.size == 2:
            return self
        return self._wrap(self._ctx.relinearize(self._native, self._relin_key()))

    def _relin_key(self):
        if self.context.relin_key is None:
            raise ParameterError("relinearize: context has no relinearization key; expected keygen(relin=True), got none")
        return self.context.relin_key

    def _multiply_relinearize(self, other: "Ciphertext") -> "Ciphertext":
        """multiply then relinearize in one call (the same bits, fewer transforms)."""
        a, b = Ciphertext._align(self, other, "multiply")
        return a._wrap(a._bfv.multiply_relinearize(a._native, b._native, a._relin_key()))

    def multiply_plain(self, pt) -> "Ciphertext":
        """With a Plaintext, an integer (every slot with batching; the constant term of the
        polynomial without) or exactly ``slots`` integers (batching only)."""
        return self._wrap(self._bfv.multiply_plain(self._native, self._plain(pt, "multiply_plain")._native))

    def add_plain(self, pt) -> "Ciphertext":
        """With a Plaintext, an integer (every slot with batching; the constant term of the
        polynomial without) or exactly ``slots`` integers (batching only)."""
        return self._wrap(self._bfv.add_plain(self._native, self._plain(pt, "add_plain")._native))

    def sub_plain(self, pt) -> "Ciphertext":
        """With a Plaintext, an integer (every slot with batching; the constant term of the
        polynomial without) or exactly ``slots`` integers (batching only)."""
        return self._wrap(self._bfv.sub_plain(self._native, self._plain(pt, "sub_plain")._native))

    def mod_switch_to_next(self) -> "Ciphertext":
        """Drop the last prime (divide and round): smaller, same message, less budget headroom."""
        if self.level == 0:
            raise ParameterError("mod_switch_to_next: ciphertext is at level 0; expected a level >= 1, got 0")
        return self._wrap(self._bfv.mod_switch_to(self._native, self.level - 1))

    def mod_switch_to(self, level: int) -> "Ciphertext":
        if level == self.level:
            return self
        return self._wrap(self._bfv.mod_switch_to(self._native, int(level)))

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _align(a: "Ciphertext", b: "Ciphertext", api: str) -> tuple["Ciphertext", "Ciphertext"]:
        if a.context.fingerprint != b.context.fingerprint:
            raise MismatchError(f"{api}: operands belong to other parameters; expected fingerprint {a.context.fingerprint}, got {b.context.fingerprint}")
        level = min(a.level, b.level)
        return a.mod_switch_to(level), b.mod_switch_to(level)

    def _integer(self, other, api: str):
        """``other`` as a Python int when it is an integer scalar (or a 0-d / length-1
        integer array), None when it is a vector."""
        scalar = as_scalar(other)
        if scalar is None:
            return None
        if not isinstance(scalar, numbers.Integral):
            raise ParameterError(f"{api}: operand has the wrong dtype; expected an integer, got {type(scalar).__name__}")
        return int(scalar)

    def _plain(self, other, api: str) -> Plaintext:
        if isinstance(other, Plaintext):
            return other
        ctx = self.context
        scalar = self._integer(other, api)
        if scalar is not None:
            # A constant in every slot is the constant polynomial; without batching it is
            # just that: an integer added to (or multiplying) the plaintext polynomial.
            return ctx.encode_coefficients([scalar])
        arr = np.asarray(other)
        if not ctx.batching:
            return ctx._plaintext(arr, api)  # refuses: values need batching
        if arr.ndim != 1 or arr.shape[0] != ctx.slots:
            raise ParameterError(
                f"{api}: values has the wrong shape; expected an integer or exactly {ctx.slots} values "
                f"(encode() a shorter vector to zero-pad it), got shape {arr.shape}")
        return ctx._plaintext(arr, api)

    # ------------------------------------------------------------ operators
    def __add__(self, other):
        if isinstance(other, Ciphertext):
            a, b = Ciphertext._align(self, other, "add")
            return a._wrap(a._ctx.add(a._native, b._native))
        return self._wrap(self._bfv.add_plain(self._native, self._plain(other, "add")._native))

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, Ciphertext):
            a, b = Ciphertext._align(self, other, "sub")
            return a._wrap(a._ctx.sub(a._native, b._native))
        return self._wrap(self._bfv.sub_plain(self._native, self._plain(other, "sub")._native))

    def __rsub__(self, other):
        return (-self) + other

    def __neg__(self):
        return self._wrap(self._ctx.negate(self._native))

    def __mul__(self, other):
        if isinstance(other, Ciphertext):
            if other is self:
                return self.square()
            return self._multiply_relinearize(other)
        if not isinstance(other, Plaintext):
            scalar = self._integer(other, "multiply")
            if scalar is not None:
                return self._wrap(self._bfv.multiply_scalar(self._native, scalar % self.context.plain_modulus))
        return self._wrap(self._bfv.multiply_plain(self._native, self._plain(other, "multiply")._native))

    __rmul__ = __mul__

    def __pow__(self, exponent: int):
        if not isinstance(exponent, numbers.Integral) or exponent < 1:
            raise ParameterError(f"power: exponent is invalid; expected an integer >= 1, got {exponent!r}")
        result, base, e = None, self, int(exponent)
        while e:
            if e & 1:
                result = base if result is None else result * base
            e >>= 1
            if e:
                base = base.square()
        return result

    # ------------------------------------------------------------ rotations
    def rotate_rows(self, steps: int) -> "Ciphertext":
        """Both rows rotated left: slot (r, i) holds slot (r, i + steps mod n/2)."""
        from pyppml.bfv.rotation import rotate_rows

        return rotate_rows(self, steps)

    rotate = rotate_rows

    def rotate_columns(self) -> "Ciphertext":
        """The two rows swapped."""
        from pyppml.bfv.rotation import rotate_columns

        return rotate_columns(self)

    def sum_slots(self) -> "Ciphertext":
        """Every slot holds the sum of all n slots (mod t)."""
        from pyppml.bfv.rotation import sum_slots

        return sum_slots(self)

    # ------------------------------------------------------------ serialization
