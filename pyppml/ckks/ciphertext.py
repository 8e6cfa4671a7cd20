"""CKKS ciphertexts and plaintexts with NumPy-friendly operators.

High-level operators manage levels and scales: ``a * b`` multiplies, relinearizes and
rescales; ``a + b`` first brings both operands to the lower level and the same scale.
The named methods (``multiply``, ``relinearize``, ``rescale``, ``drop_to_level``) give
full control.
"""

from __future__ import annotations

import numbers

import numpy as np

from pyppml._core import MismatchError, ParameterError
from pyppml._rlwe import RlweObject

# Scales closer than this (relative) are treated as equal when adding.
_SCALE_RTOL = 2.0 ** -32


class Plaintext(RlweObject):
    """An encoded vector at a level and scale (evaluation form)."""

    __slots__ = ()
    _kind = "plaintext"

    @property
    def scale(self) -> float:
        return self._native.scale

    def decode(self, complex: bool = False) -> np.ndarray:
        return self.context.decode(self, complex=complex)



class Ciphertext(RlweObject):
    """A CKKS ciphertext: ``size`` polynomials at ``level`` with ``scale``."""

    __slots__ = ()
    _kind = "ciphertext"
    __array_priority__ = 1000  # NumPy defers to our operators

    # ------------------------------------------------------------ properties
    @property
    def scale(self) -> float:
        return self._native.scale

    @property
    def size(self) -> int:
        return self._native.size

    def __repr__(self) -> str:
        return f"ckks.Ciphertext(level={self.level}, scale=2^{np.log2(self.scale):.2f}, size={self.size})"

    # ------------------------------------------------------------ named operations
    def relinearize(self) -> "Ciphertext":
        if self.size == 2:
            return self
        if self.context.relin_key is None:
            raise ParameterError("relinearize: context has no relinearization key; expected keygen(relin=True), got none")
        return self._wrap(self._ctx.relinearize(self._native, self.context.relin_key))

    def rescale(self) -> "Ciphertext":
        return self._wrap(self._ctx.rescale(self._native))

    def drop_to_level(self, level: int) -> "Ciphertext":
        if level == self.level:
            return self
        return self._wrap(self._ctx.drop_to_level(self._native, int(level)))

    def multiply(self, other: "Ciphertext") -> "Ciphertext":
        """Tensor product only (3 components, scale multiplied); no relinearization."""
        return self._wrap(self._ctx.multiply(self._native, other._native))

    def multiply_plain(self, pt: Plaintext) -> "Ciphertext":
        return self._wrap(self._ctx.multiply_plain(self._native, pt._native))

    def add_plain(self, pt: Plaintext) -> "Ciphertext":
        return self._wrap(self._ctx.add_plain(self._native, pt._native))

    def square(self) -> "Ciphertext":
        """x * x with relinearization and rescaling."""
        return self._wrap(self._ctx.multiply(self._native, self._native)).relinearize().rescale()

    def with_scale(self, scale: float) -> "Ciphertext":
        """Reinterpret at another scale (no computation)."""
        c = self._native.copy()
        c.scale = float(scale)
        return self._wrap(c)

    def times_scalar_to(self, c: float, target: float) -> "Ciphertext":
        """c * self with the result's scale exactly ``target``, one level down: the integer
        factor is round(c * target * q_l / scale), so rescaling by q_l lands on ``target``
        (relative rounding 2^-log2(q_l))."""
        q = float(self.context.coeff_moduli[self.level])
        factor = int(round(c * target * q / self.scale))
        prod = self._wrap(self._ctx.multiply_integer(self._native, factor)).with_scale(target * q)
        return prod.rescale().with_scale(target)

    # ------------------------------------------------------------ alignment
    def _bring_to(self, level: int, scale: float) -> "Ciphertext":
        """Same values at ``level`` (<= self.level) and ``scale``."""
        ct = self
        if abs(ct.scale - scale) > _SCALE_RTOL * scale:
            if ct.level <= level:  # callers only ask for a lower level with another scale
                raise MismatchError(
                    f"align: operands have different scales at the same level; expected equal scales, got 2^{np.log2(ct.scale):.3f} and 2^{np.log2(scale):.3f}")
            ct = ct.times_scalar_to(1.0, scale)
        if ct.level > level:
            ct = ct.drop_to_level(level)
        return ct.with_scale(scale) if ct.scale != scale else ct

    @staticmethod
    def _align(a: "Ciphertext", b: "Ciphertext") -> tuple["Ciphertext", "Ciphertext"]:
        if a.context.fingerprint != b.context.fingerprint:
            raise MismatchError(f"align: operands belong to other parameters; expected fingerprint {a.context.fingerprint}, got {b.context.fingerprint}")
        if a.level == b.level and abs(a.scale - b.scale) <= _SCALE_RTOL * a.scale:
            return a, b.with_scale(a.scale) if a.scale != b.scale else b
        if a.level > b.level:
            return a._bring_to(b.level, b.scale), b
        if b.level > a.level:
            return a, b._bring_to(a.level, a.scale)
        if a.level == 0:
            raise MismatchError(
                f"align: operands have different scales at level 0; expected equal scales, got 2^{np.log2(a.scale):.6f} and 2^{np.log2(b.scale):.6f}")
        # Same level, different scales: both go one level down to a common scale.
        return a._bring_to(a.level - 1, a.scale), b._bring_to(a.level - 1, a.scale)

    # ------------------------------------------------------------ plaintext operands
    def _plain(self, values, scale: float) -> Plaintext:
        return self.context.encode(np.asarray(values) if not isinstance(values, numbers.Number) else
                                   np.full(self.context.slots, values), scale=scale, level=self.level)

    def _constant(self, value, scale: float) -> Plaintext:
        native = self._ctx.encode_constant(complex(value), float(scale), self.level)
        return Plaintext(self.context, native)

    # ------------------------------------------------------------ operators
    def __add__(self, other):
        if isinstance(other, Ciphertext):
            a, b = Ciphertext._align(self, other)
            return a._wrap(a._ctx.add(a._native, b._native))
        if isinstance(other, Plaintext):
            return self.add_plain(other)
        if isinstance(other, numbers.Number):
            return self.add_plain(self._constant(other, self.scale))
        return self.add_plain(self._plain(other, self.scale))

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, Ciphertext):
            a, b = Ciphertext._align(self, other)
            return a._wrap(a._ctx.sub(a._native, b._native))
        if isinstance(other, Plaintext):
            return self._wrap(self._ctx.sub_plain(self._native, other._native))
        return self + (-other if isinstance(other, numbers.Number) else -np.asarray(other))

    def __rsub__(self, other):
        return (-self) + other

    def __neg__(self):
        return self._wrap(self._ctx.negate(self._native))

    def __mul__(self, other):
        if isinstance(other, Ciphertext):
            # A product needs equal levels only: its scale is the product of the scales.
            if self.context.fingerprint != other.context.fingerprint:
                raise MismatchError(f"multiply: operands belong to other parameters; expected fingerprint {self.context.fingerprint}, got {other.context.fingerprint}")
            level = min(self.level, other.level)
            a, b = self.drop_to_level(level), other.drop_to_level(level)
            if a.level == 0:
                raise ParameterError("multiply: operands are at level 0; expected a level >= 1 to rescale the product, got 0")
            prod = a._wrap(a._ctx.multiply(a._native, b._native))
            return prod.relinearize().rescale()
        if self.level == 0:
            raise ParameterError("multiply: ciphertext is at level 0; expected a level >= 1 to rescale the product, got 0")
        # Encode the plaintext side with scale q_l: after rescaling the scale is unchanged.
        q_top = float(self.context.coeff_moduli[self.level])
        if isinstance(other, Plaintext):
            return self.multiply_plain(other).rescale()
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return self.times_scalar_to(float(other), self.scale)
        if isinstance(other, numbers.Complex):
            return self.multiply_plain(self._constant(other, q_top)).rescale().with_scale(self.scale)
        return self.multiply_plain(self._plain(other, q_top)).rescale().with_scale(self.scale)

    __rmul__ = __mul__

    def __pow__(self, exponent: int):
        if not isinstance(exponent, numbers.Integral) or exponent < 1:
            raise ParameterError(f"power: exponent is invalid; expected an integer >= 1, got {exponent!r}")
        from pyppml.ckks.polynomial import power

        return power(self, int(exponent))

    # ------------------------------------------------------------ rotations
    def rotate(self, steps: int) -> "Ciphertext":
        """Slot i of the result holds slot (i + steps) mod n/2 of the input."""
        from pyppml.ckks.rotation import rotate

        return rotate(self, steps)

    def rotate_many(self, steps) -> list["Ciphertext"]:
        """Rotations of this ciphertext by each of ``steps``, sharing one decomposition
        (hoisting) where keys allow it."""
        from pyppml.ckks.rotation import rotate_many

        return rotate_many(self, steps)

    def conjugate(self) -> "Ciphertext":
        gk = self.context.galois_keys
        elt = self.context.conjugation_element
        if gk is None or elt not in gk.elements:
            raise ParameterError("conjugate: context has no conjugation key; expected keygen(conjugate=True), got none")
        return self._wrap(self._ctx.apply_galois(self._native, elt, gk))

    def sum_slots(self) -> "Ciphertext":
        """Every slot holds the sum of all slots (log2(n/2) rotations)."""
        from pyppml.ckks.rotation import sum_slots

        return sum_slots(self)

    def dot(self, other) -> "Ciphertext":
        """Inner product with a plaintext vector or another ciphertext, in every slot."""
        return (self * other).sum_slots()

    def __matmul__(self, other):
        raise ParameterError("matmul: operand order is invalid; expected plain_matrix @ ciphertext, got ciphertext @ ...")

    def __rmatmul__(self, matrix):
        from pyppml.ckks.linalg import matvec

        return matvec(np.asarray(matrix), self)

    # ------------------------------------------------------------ serialization
