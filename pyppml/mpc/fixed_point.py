"""Fixed-point numbers in Z_2^64: reals scaled by 2^frac_bits, two's complement.

>>> import numpy as np
>>> from pyppml.mpc import FixedPoint
>>> fp = FixedPoint(16)
>>> fp.decode(fp.encode([1.5, -0.25])).tolist()
[1.5, -0.25]
"""

from __future__ import annotations

import numpy as np

from pyppml import ParameterError, _core

_k = _core.mpc


class FixedPoint:
    """Encoding with ``frac_bits`` fractional bits (default 16).

    A product of two encodings carries 2 * frac_bits fractional bits and is brought back
    with :meth:`truncate` (SecureML local truncation, two parties). Its error bound: the
    truncated value is within 2^-frac_bits of the exact one (one unit in the last place),
    except with probability at most 2^(lx + 1 - 64) per element when the true value
    satisfies |x| < 2^lx as a 64-bit integer (see :meth:`failure_probability`); a failure
    is a huge error, not a small one, and nothing raises.

    Safe input range of a product. :meth:`encode` takes |x| < 2^(62 - f), but the product
    of two encodings is x y 2^(2f) as an integer, so the inputs must be much smaller: a
    product (``SecureRuntime.mul_fixed``, and each entry of x @ y for ``matmul_fixed``)
    is within 2^-f of x y except with probability at most 2^-s per element when

        |x y| < 2^(63 - 2f - s)        (:meth:`max_product`)

    At f = 16 that is |x y| < 2^(31 - s): failure <= 2^-20 needs |x y| < 2048,
    |x y| = 1 fails with probability <= 2^-31, and |x y| >= 2^31 (70000 * 70000, say)
    wraps the ring and is always wrong (measured: 40000^2 fails in 37% of sharings,
    70000^2 in all of them).

    >>> FixedPoint(16).max_product(20)
    2048.0
    """

    def __init__(self, frac_bits: int = 16):
        if not isinstance(frac_bits, (int, np.integer)) or not 0 <= frac_bits <= _k.MAX_FRAC_BITS:
            raise ParameterError(
                f"FixedPoint: frac_bits is out of range; expected 0 <= frac_bits <= {_k.MAX_FRAC_BITS}, got {frac_bits}"
            )
        self.frac_bits = int(frac_bits)

    @property
    def resolution(self) -> float:
        """One unit in the last place, 2^-frac_bits."""
        return 2.0 ** -self.frac_bits

    def encode(self, x) -> np.ndarray:
        """round(x * 2^f) mod 2^64 as uint64; ParameterError if not finite or |x| >= 2^(62 - f).

        The error says where the offending value is, not what it is (x is private)."""
        x = np.asarray(x, dtype=np.float64)
        # Checked here, before the core, whose message would quote the value.
        with np.errstate(over="ignore", invalid="ignore"):
            bad = ~(np.abs(np.rint(x * 2.0**self.frac_bits)) < 2.0**62)
        if bad.any():
            flat = np.flatnonzero(bad)
            raise ParameterError(f"FixedPoint.encode: x has a value out of range; expected finite |x| < "
                                 f"2^{62 - self.frac_bits} for frac_bits = {self.frac_bits}, got {flat.size} such "
                                 f"value(s), the first at flat index {int(flat[0])}")
        return _k.fixed_encode(x, self.frac_bits)

    def decode(self, v, frac_bits: int | None = None) -> np.ndarray:
        """int64(v) / 2^f as float64 (f = frac_bits or this encoding's)."""
        f = self.frac_bits if frac_bits is None else frac_bits
        return _k.fixed_decode(np.ascontiguousarray(v, dtype=np.uint64), f)

    @staticmethod
    def truncate(share, party: int, bits: int) -> np.ndarray:
        """SecureML local truncation of party ``party``'s (0 or 1) share by ``bits`` bits.

        Opened, the result is floor(x / 2^bits) plus a carry that compares party 0's share
        with x on the dropped bits: each opening tells party 0 one such comparison bit
        (docs/threat-model.md, section 9). Do not open truncations of a secret repeatedly."""
        return _k.truncate_share(np.ascontiguousarray(share, dtype=np.uint64), party, bits)

    @staticmethod
    def failure_probability(value_bits: int) -> float:
        """Per-element probability that truncation fails when |x| < 2^value_bits (as an integer)."""
        return min(1.0, 2.0 ** (value_bits + 1 - 64))

    def max_product(self, failure_bits: int) -> float:
        """Largest |x y| (in real units) whose truncated product fails with probability at
        most 2^-failure_bits per element: 2^(63 - 2 frac_bits - failure_bits), from
        failure_probability with |x y| 2^(2 frac_bits) < 2^(63 - failure_bits)."""
        return 2.0 ** (63 - 2 * self.frac_bits - int(failure_bits))
