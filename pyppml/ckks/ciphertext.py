"""CKKS ciphertexts and plaintexts with NumPy-friendly operators.

High-level operators manage levels and scales: ``a * b`` multiplies, relinearizes and
rescales; ``a + b`` first brings both operands to the lower level and the same scale.
The named methods (``multiply``, ``relinearize``, ``rescale``, ``drop_to_level``) give
full control.

Integer headroom and scales: ``pyppml.ckks.scales``.

Operands. Scalars, 0-d and length-1 arrays are broadcast to every slot. A vector operand
must have exactly ``slots`` entries: shorter ones are refused (a silent zero-padding would
multiply the missing slots by 0); to pad on purpose, encode it (``Context.encode`` pads
with zeros) and pass the Plaintext.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from pyppml._core import MismatchError, ParameterError
from pyppml._rlwe import RlweObject
from pyppml._rlwe import as_scalar as _as_scalar
from pyppml.ckks.scales import check_scale, log2_modulus, log2_text, min_scale, near_standard, standard_scale

# Scales closer than this (relative) are treated as equal when adding.
_SCALE_RTOL = 2.0 ** -32
# Integer factors that change a scale (alignment, scalars) must be at least 2^20: their
# rounding then costs at most 2^-21 relative error.
_FACTOR_BITS = 20


class Plaintext(RlweObject):
    """An encoded vector at a level and scale (evaluation form)."""

    __slots__ = ()
    _kind = "plaintext"

    @property
    def scale(self) -> float:
        return self._native.scale

    def decode(self, complex: bool = False) -> np.ndarray:
        return self.context.decode(self, complex=complex)



# What a ciphertext went through since its encryption, as far as the default noise bound
# of decrypt_for_release covers it (release.default_noise_bound: a fresh encryption, one
# key switch, one rescale). Bits of Ciphertext._history; absent = unknown.
KEY_SWITCH, RESCALE = 1, 2


class Ciphertext(RlweObject):
    """A CKKS ciphertext: ``size`` polynomials at ``level`` with ``scale``."""

    # _history: KEY_SWITCH | RESCALE bits since encryption, set by Context.encrypt and
    # carried only by the steps the default release bound covers; any other result, and
    # anything loaded from bytes, has none (its error is not known).
    __slots__ = ("_history",)
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

    @property
    def device(self) -> str:
        """Where the ciphertext lives: "cpu" here, "cuda" for a ``pyppml.gpu`` one."""
        return "cpu"

    def to(self, device: str) -> Ciphertext:
        """This ciphertext on ``device`` ("cpu" or "cuda"): self if already there, else a
        copy in that memory (``DeviceUnavailableError`` when "cuda" is not usable)."""
        from pyppml.gpu.ciphertext import ciphertext_to

        return ciphertext_to(self, device)

    def _then(self, out: Ciphertext, step: int) -> Ciphertext:
        """``out`` (a new object made from self by ``step``) keeps the history while the
        default release bound still covers it: each step at most once."""
        history = getattr(self, "_history", None)
        if out is not self and history is not None and not history & step:
            out._history = history | step
        return out

    # ------------------------------------------------------------ named operations
    def relinearize(self) -> Ciphertext:
        if self.size == 2:
            return self
        if self.context.relin_key is None:
            raise ParameterError("relinearize: context has no relinearization key; expected keygen(relin=True), got none")
        return self._wrap(self._ctx.relinearize(self._native, self.context.relin_key))

    def rescale(self) -> Ciphertext:
        """Divide by the top prime q_l: one level down, scale / q_l.

        Raises
        ------
        ParameterError
            At level 0, or when the scale after division would fall below ``min_scale``
            (a fresh ciphertext has nothing to rescale: its values would drown in the
            rounding noise).
        """
        if self.level >= 1:
            q = float(self.context.coeff_moduli[self.level])
            check_scale(self.context, "rescale", self.scale / q, self.level - 1)
        return self._then(self._wrap(self._ctx.rescale(self._native)), RESCALE)

    def relinearize_rescale(self) -> Ciphertext:
        """``relinearize().rescale()`` in one pass: the key switching's division by P and
        the rescale's division by q_l share their transforms (one per kept limb instead of
        three) and round exactly as the two steps do. Same checks and errors."""
        if self.size == 2:
            return self.rescale()
        if self.context.relin_key is None:
            raise ParameterError("relinearize: context has no relinearization key; expected keygen(relin=True), got none")
        if self.level >= 1:
            q = float(self.context.coeff_moduli[self.level])
            check_scale(self.context, "rescale", self.scale / q, self.level - 1)
        return self._wrap(self._ctx.relinearize_rescale(self._native, self.context.relin_key))

    def drop_to_level(self, level: int) -> Ciphertext:
        if isinstance(level, bool) or not isinstance(level, numbers.Integral) or not 0 <= level <= self.level:
            raise ParameterError(f"drop_to_level: level is invalid; expected an integer in [0, {self.level}], got {level!r}")
        if level == self.level:
            return self
        # Fewer primes, the same error: the history carries over.
        return self._then(self._wrap(self._ctx.drop_to_level(self._native, int(level))), 0)

    def multiply(self, other: Ciphertext) -> Ciphertext:
        """Tensor product only (3 components, scale multiplied); no relinearization.

        Raises ``ParameterError`` when the product's scale would leave no integer headroom
        (scale >= Q_l / 2, see the module docstring)."""
        if not isinstance(other, Ciphertext):
            raise ParameterError(f"multiply: other has the wrong type; expected a ckks.Ciphertext, got {type(other).__name__}")
        check_scale(self.context, "multiply", self.scale * other.scale, min(self.level, other.level), "product")
        return self._wrap(self._ctx.multiply(self._native, other._native))

    def multiply_plain(self, pt: Plaintext) -> Ciphertext:
        """Product with a plaintext (scale multiplied, no rescale); headroom checked as in
        ``multiply``."""
        check_scale(self.context, "multiply_plain", self.scale * pt.scale, self.level, "product")
        return self._wrap(self._ctx.multiply_plain(self._native, pt._native))

    def add_plain(self, pt: Plaintext) -> Ciphertext:
        """Sum with a plaintext of the same scale (``MismatchError`` otherwise: the values
        would be read at the wrong scale)."""
        self._check_plain_scale(pt, "add_plain")
        return self._wrap(self._ctx.add_plain(self._native, pt._native))

    def sub_plain(self, pt: Plaintext) -> Ciphertext:
        """Difference with a plaintext of the same scale (``MismatchError`` otherwise)."""
        self._check_plain_scale(pt, "sub_plain")
        return self._wrap(self._ctx.sub_plain(self._native, pt._native))

    def _check_plain_scale(self, pt: Plaintext, api: str) -> None:
        if abs(pt.scale - self.scale) > _SCALE_RTOL * self.scale:
            raise MismatchError(f"{api}: plaintext scale differs from the ciphertext's; expected "
                                f"{log2_text(self.scale)}, got {log2_text(pt.scale)} (encode at the ciphertext's scale)")

    def square(self) -> Ciphertext:
        """x * x with relinearization and rescaling."""
        return self.multiply(self).relinearize_rescale()

    def with_scale(self, scale: float) -> Ciphertext:
        """Relabel with another scale (no computation): the decrypted values are
        multiplied by old / new scale. Not a way to align scales: that error is the
        ratio (1e-6 relative for a ratio of 1.000001). To change the scale exactly, use
        ``times_scalar_to(1.0, target)`` (one level); ``+`` and ``-`` do that for you."""
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real):
            raise ParameterError(f"with_scale: scale has the wrong type; expected a number, got {type(scale).__name__}")
        check_scale(self.context, "with_scale", float(scale), self.level, "the new")  # 0, NaN: decrypted to NaN
        c = self._native.copy()
        c.scale = float(scale)
        return self._wrap(c)

    def times_scalar_to(self, c: float, target: float) -> Ciphertext:
        """c * self with the result's scale exactly ``target``, one level down: the integer
        factor is round(c * target * q_l / scale), so rescaling by q_l lands on ``target``
        (relative rounding 2^-log2(q_l)).

        Raises
        ------
        ParameterError
            At level 0; when both target * q_l / scale and the integer factor are below
            2^20 (the rounded factor would lose precision: rescale first); when scale * |factor| reaches Q_l / 2 (no integer
            headroom); when ``target`` is below ``min_scale``.
        """
        return self._times_scalar(c, target, "times_scalar_to")

    def _times_scalar(self, c: float, target: float, api: str) -> Ciphertext:
        if self.level == 0:
            raise ParameterError(f"{api}: ciphertext is at level 0; expected a level >= 1 to rescale the product, got 0")
        q = float(self.context.coeff_moduli[self.level])
        unit = target * q / self.scale
        factor = round(c * unit)
        # Rounding c * unit costs |value| / (2 unit) absolute or 1 / (2 |factor|) relative
        # error: one of them must be at most 2^-21, and a nonzero c must not round to 0.
        if not max(unit, abs(factor)) >= 2.0 ** _FACTOR_BITS or (c != 0 and factor == 0):
            raise ParameterError(
                f"{api}: scale factor loses precision; expected target * q_l / scale >= 2^{_FACTOR_BITS}, "
                f"got {log2_text(unit)} (scale {log2_text(self.scale)}, target {log2_text(target)}: rescale first)")
        log_q = log2_modulus(self.context, self.level)
        if factor and math.log2(self.scale) + math.log2(abs(factor)) > log_q - 1:
            raise ParameterError(
                f"{api}: product exceeds the modulus; expected scale * |factor| <= Q_{self.level} / 2 = 2^{log_q - 1:.1f}, "
                f"got 2^{math.log2(self.scale) + math.log2(abs(factor)):.1f}")
        if not target >= min_scale(self.context):
            raise ParameterError(f"{api}: target scale is too small; expected target >= 2^{math.log2(min_scale(self.context)):.1f} "
                                 f"(2^10 sqrt(n)), got {log2_text(target)}")
        # Fresh natives: relabelled in place (with_scale would copy them).
        prod = self._ctx.multiply_integer(self._native, factor)
        prod.scale = target * q
        out = self._ctx.rescale(prod)
        out.scale = target
        return self._wrap(out)

    # ------------------------------------------------------------ alignment
    def _bring_to(self, level: int, scale: float) -> Ciphertext:
        """Same values at ``level`` (<= self.level) and ``scale``."""
        ct = self
        if abs(ct.scale - scale) > _SCALE_RTOL * scale:
            if ct.level <= level:  # callers only ask for a lower level with another scale
                raise MismatchError(
                    f"align: operands have different scales at the same level; expected equal scales, got 2^{np.log2(ct.scale):.3f} and 2^{np.log2(scale):.3f}")
            ct = ct._times_scalar(1.0, scale, "align")
        if ct.level > level:
            ct = ct.drop_to_level(level)
        return ct.with_scale(scale) if ct.scale != scale else ct

    @staticmethod
    def _rescale_large(hi: Ciphertext, lo: Ciphertext) -> Ciphertext:
        """``hi`` rescaled while its scale is so far above ``lo``'s (an unrescaled
        product) that the factor round(lo.scale * q_l / hi.scale) would be below 2^20."""
        while hi.level >= 1:
            q = float(hi.context.coeff_moduli[hi.level])
            if lo.scale * q / hi.scale >= 2.0 ** _FACTOR_BITS:
                break
            hi = hi.rescale()
        return hi

    @staticmethod
    def _product_operands(a: Ciphertext, b: Ciphertext) -> tuple[Ciphertext, Ciphertext]:
        """Both operands at the lower level l. The higher one is brought there (one
        rescale, no extra level) at scale s_l^2 / s_low when both are near their standard
        scales, so that the rescaled product lands exactly on level_scale(l - 1);
        otherwise it is only dropped (scale unchanged)."""
        if a.level == b.level:
            return a, b
        hi, lo = (a, b) if a.level > b.level else (b, a)
        ctx, level = lo.context, lo.level
        if level >= 1 and near_standard(ctx, hi.scale, hi.level) and near_standard(ctx, lo.scale, level):
            std = ctx.level_scale(level)
            hi = hi._bring_to(level, std * std / lo.scale)
        else:
            hi = hi.drop_to_level(level)
        return (hi, lo) if a.level > b.level else (lo, hi)

    @staticmethod
    def _align(a: Ciphertext, b: Ciphertext) -> tuple[Ciphertext, Ciphertext]:
        if a.context.fingerprint != b.context.fingerprint:
            raise MismatchError(f"align: operands belong to other parameters; expected fingerprint {a.context.fingerprint}, got {b.context.fingerprint}")
        if a.scale >= b.scale:
            a = Ciphertext._rescale_large(a, b)
        else:
            b = Ciphertext._rescale_large(b, a)
        if a.level == b.level and abs(a.scale - b.scale) <= _SCALE_RTOL * a.scale:
            return a, b.with_scale(a.scale) if a.scale != b.scale else b
        if a.level > b.level:
            return a._bring_to(b.level, b.scale), b
        if b.level > a.level:
            return a, b._bring_to(a.level, a.scale)
        if a.level == 0:
            raise MismatchError(
                f"align: operands have different scales at level 0; expected equal scales, got 2^{np.log2(a.scale):.9f} "
                f"and 2^{np.log2(b.scale):.9f}, relative difference {abs(a.scale / b.scale - 1):.1e} (no level is left to align them exactly: compute both sides with the "
                f"operators, which land on the standard scale Context.level_scale(level), or bring one to the other's "
                f"scale a level earlier with times_scalar_to(1.0, target); with_scale() only relabels, losing precision)")
        # Same level, different scales: both go one level down to a common scale, the
        # level's standard one when they are near it.
        target = standard_scale(a.context, a.level - 1, a.scale, a.level)
        return a._bring_to(a.level - 1, target), b._bring_to(a.level - 1, target)

    # ------------------------------------------------------------ plaintext operands
    def _vector(self, values, api: str) -> np.ndarray:
        """A vector operand: exactly ``slots`` entries (no silent zero-padding)."""
        arr = np.asarray(values)
        if arr.ndim != 1 or arr.shape[0] != self.context.slots:
            raise ParameterError(
                f"{api}: values has the wrong shape; expected a scalar or exactly {self.context.slots} values "
                f"(encode() a shorter vector to zero-pad it), got shape {arr.shape}")
        return arr

    def _plain(self, values, scale: float) -> Plaintext:
        return self.context.encode(values, scale=scale, level=self.level)

    def _constant(self, value, scale: float) -> Plaintext:
        native = self._ctx.encode_constant(complex(value), float(scale), self.level)
        return Plaintext(self.context, native)

    def _shift_for(self, magnitude: float, api: str) -> int:
        """k such that values of this magnitude encoded at scale q_l * 2^k multiply this
        ciphertext precisely: the integer factor |value| * q_l * 2^k is >= 2^20 and within
        the headroom (scale * factor <= Q_l / 2); the product then has scale
        ``self.scale * 2^k``. k = 0 unless |value| is tiny or huge; then
        k = -round(log2 |value|) keeps the product's integers as large as the input's."""
        if not math.isfinite(magnitude):
            raise ParameterError(f"{api}: operand is not finite; expected finite values, got {magnitude!r}")
        if magnitude == 0:
            return 0
        q = float(self.context.coeff_moduli[self.level])
        log_q = log2_modulus(self.context, self.level)
        log_factor = math.log2(magnitude) + math.log2(q)
        if log_factor >= _FACTOR_BITS and math.log2(self.scale) + log_factor <= log_q - 1:
            return 0
        k = -round(math.log2(magnitude))
        if math.log2(self.scale) + k > 1000:  # the result's scale must stay a finite double
            raise ParameterError(f"{api}: scalar is too small; expected |value| >= 2^{math.log2(self.scale) - 1000:.0f}, "
                                 f"got 2^{math.log2(magnitude):.1f}")
        log_product = math.log2(self.scale) + log_factor + k
        if log_product > log_q - 1:
            raise ParameterError(
                f"{api}: product exceeds the modulus; expected scale * q_l <= Q_{self.level} / 2 = 2^{log_q - 1:.1f}, "
                f"got 2^{log_product:.1f}")
        # Only the lower bound: with k > 0 the scale may pass Q / 2 while the values,
        # |value| * 2^-k, keep the input's integer size (checked just above).
        lo = min_scale(self.context)
        if not self.scale * 2.0 ** k >= lo:
            raise ParameterError(
                f"{api}: scalar is too large for this ciphertext's scale; expected a result scale >= 2^{math.log2(lo):.1f} "
                f"(2^10 sqrt(n)), got 2^{math.log2(self.scale) + k:.2f}")
        return k

    def _check_addend(self, magnitude: float, api: str) -> None:
        """An added plaintext value must fit the integer headroom: |value| * scale <
        Q_l / 2 (or the sum cannot decrypt correctly unless the ciphertext cancels it)."""
        if not math.isfinite(magnitude):
            raise ParameterError(f"{api}: operand is not finite; expected finite values, got {magnitude!r}")
        log_q = log2_modulus(self.context, self.level)
        if not (magnitude == 0 or math.log2(magnitude) + math.log2(self.scale) < log_q - 1):
            raise ParameterError(
                f"{api}: values exceed the integer headroom; expected |value| < Q_{self.level} / (2 scale) = "
                f"2^{log_q - 1 - math.log2(self.scale):.1f}, got {magnitude!r}")

    # ------------------------------------------------------------ operators
    def __add__(self, other):
        """``self + other``, slot-wise.

        ``other`` is a Ciphertext (brought to the lower level and to one scale first,
        exactly: a small scale difference at the same level is absorbed by a rescale,
        see ``Context.level_scale``), a Plaintext of the same scale, a scalar (every
        slot) or an array of exactly ``slots`` values. No level is used unless scales
        must be aligned.

        Raises
        ------
        MismatchError
            Other parameters; a Plaintext of another scale; scales that differ at
            level 0 (the message names the remedy).
        ParameterError
            A vector of another length, non-finite values, values past the headroom.
        """
        if isinstance(other, Ciphertext):
            a, b = Ciphertext._align(self, other)
            return a._wrap(a._ctx.add(a._native, b._native))
        if isinstance(other, Plaintext):
            return self.add_plain(other)
        scalar = _as_scalar(other)
        if scalar is not None:
            self._check_addend(abs(complex(scalar)), "add")
            return self.add_plain(self._constant(scalar, self.scale))
        values = self._vector(other, "add")
        self._check_addend(float(np.max(np.abs(values))), "add")
        return self.add_plain(self._plain(values, self.scale))

    __radd__ = __add__

    def __sub__(self, other):
        """``self - other``, slot-wise, with the operands and alignment of :meth:`__add__`
        (``ex2 - mean.square()`` meets equal scales)."""
        if isinstance(other, Ciphertext):
            a, b = Ciphertext._align(self, other)
            return a._wrap(a._ctx.sub(a._native, b._native))
        if isinstance(other, Plaintext):
            return self.sub_plain(other)
        scalar = _as_scalar(other)
        if scalar is not None:
            return self + (-scalar)
        return self + (-self._vector(other, "sub"))

    def __rsub__(self, other):
        """``other - self`` for a scalar or an array ``other`` of ``slots`` values."""
        return (-self) + other

    def __neg__(self):
        """``-self``, slot-wise (no level)."""
        return self._wrap(self._ctx.negate(self._native))

    def __mul__(self, other):
        """``self * other``, slot-wise, relinearized and rescaled: one level.

        ``other`` is a Ciphertext (brought to the lower level first), a Plaintext, a
        scalar or an array of exactly ``slots`` values. The result is on the standard
        scale of its level (``Context.level_scale``) when ``self`` was on its own; a tiny
        or huge scalar shifts the scale by a power of two to keep its precision.

        Raises
        ------
        ParameterError
            At level 0; a product past the modulus; a vector of another length.
        MismatchError
            Other parameters.
        """
        if isinstance(other, Ciphertext):
            # A product needs equal levels only: its scale is the product of the scales.
            if self.context.fingerprint != other.context.fingerprint:
                raise MismatchError(f"multiply: operands belong to other parameters; expected fingerprint {self.context.fingerprint}, got {other.context.fingerprint}")
            a, b = Ciphertext._product_operands(self, other)
            if a.level == 0:
                raise ParameterError("multiply: operands are at level 0; expected a level >= 1 to rescale the product, got 0")
            return a.multiply(b).relinearize_rescale()
        if self.level == 0:
            raise ParameterError("multiply: ciphertext is at level 0; expected a level >= 1 to rescale the product, got 0")
        if isinstance(other, Plaintext):
            return self.multiply_plain(other).rescale()
        # The result lands on target * 2^k (k = 0 unless the values are tiny or huge, see
        # _shift_for), target the next level's standard scale: the plaintext side is
        # encoded at target * q_l / scale, so the rescaled product has that scale exactly.
        q_top = float(self.context.coeff_moduli[self.level])
        target = standard_scale(self.context, self.level - 1, self.scale, self.level)
        scalar = _as_scalar(other)
        if isinstance(scalar, bool):
            scalar = int(scalar)
        if isinstance(scalar, numbers.Real):
            k = self._shift_for(abs(float(scalar)), "multiply")
            return self._times_scalar(float(scalar), target * 2.0 ** k, "multiply")
        pt_scale = target * q_top / self.scale
        if scalar is not None:
            k = self._shift_for(abs(complex(scalar)), "multiply")
            pt = self._constant(scalar, pt_scale * 2.0 ** k)
        else:
            values = self._vector(other, "multiply")
            k = self._shift_for(float(np.max(np.abs(values))) if values.size else 0.0, "multiply")
            pt = self._plain(values, pt_scale * 2.0 ** k)
        return self.multiply_plain(pt).rescale().with_scale(target * 2.0 ** k)

    __rmul__ = __mul__

    def __pow__(self, exponent: int):
        """``self ** exponent`` for an integer exponent >= 1 by repeated products:
        ceil(log2(exponent)) levels."""
        from pyppml.ckks.polynomial import power

        return power(self, exponent)

    def bootstrap(self) -> Ciphertext:
        """A fresh ciphertext of the same values at the bootstrap's output level of a
        bootstrappable context (``Context.bootstrappable``; ``levels_after``, plus
        ``stc_levels`` when SlotsToCoeffs runs first), from any user level.

        Raises
        ------
        ParameterError
            A context that is not bootstrappable, a ciphertext of 3 components or above the
            user levels, a scale too close to q_0; ``BootstrapKeyError`` (a subclass) when
            a key of the plan is missing.
        MismatchError
            A ciphertext of another key set.
        """
        from pyppml.ckks.bootstrap import bootstrap

        return bootstrap(self)

    # ------------------------------------------------------------ rotations
    def rotate(self, steps: int) -> Ciphertext:
        """Slot i of the result holds slot (i + steps) mod n/2 of the input."""
        from pyppml.ckks.rotation import rotate

        return rotate(self, steps)

    def rotate_many(self, steps) -> list[Ciphertext]:
        """Rotations of this ciphertext by each of ``steps``, sharing one decomposition
        (hoisting) where keys allow it."""
        from pyppml.ckks.rotation import rotate_many

        return rotate_many(self, steps)

    def conjugate(self) -> Ciphertext:
        gk = self.context.galois_keys
        elt = self.context.conjugation_element
        if gk is None or elt not in gk.elements:
            raise ParameterError("conjugate: context has no conjugation key; expected keygen(conjugate=True), got none")
        return self._then(self._wrap(self._ctx.apply_galois(self._native, elt, gk)), KEY_SWITCH)

    def sum_slots(self) -> Ciphertext:
        """Every slot holds the sum of all slots: log2(n/2) rotations, by 1, 2, ...,
        n/4 (keys: ``keygen(operations=["sum_slots"])``)."""
        from pyppml.ckks.rotation import sum_slots

        return sum_slots(self)

    def dot(self, other) -> Ciphertext:
        """Inner product with a plaintext vector (exactly ``slots`` values), a scalar or
        another ciphertext, in every slot: one product (one level) and the rotations of
        ``sum_slots`` (keys: ``keygen(operations=["dot"])``)."""
        from pyppml.ckks.rotation import sum_slots

        return sum_slots(self * other, api="dot", operation="dot")

    def __matmul__(self, other):
        """``ct @ matrix`` is refused: the plaintext matrix goes on the left,
        ``matrix @ ct`` (see ``__rmatmul__``); ``ckks.Vector`` supports both orders."""
        raise ParameterError("matmul: operand order is invalid; expected plain_matrix @ ciphertext "
                             "(or a ckks.Vector, which takes both orders), got ciphertext @ ...")

    def __rmatmul__(self, matrix):
        """``matrix @ ct``: a plaintext (m, d) matrix times the vector in slots [0, d)
        (zeros elsewhere), by baby-step giant-step diagonals (``ckks.matvec``); the
        result holds (M v)_i in slot i < m, replicated with period D = next power of two
        >= max(m, d). One level; keys: ``keygen(operations=["matvec"])`` or
        ``keygen(rotations=ckks.matvec_rotations(D, slots))``."""
        from pyppml.ckks.linalg import matvec

        return matvec(np.asarray(matrix), self)

    # ------------------------------------------------------------ serialization
