"""Choice of the CKKS ring degree and modulus chain from (depth, scale_bits, security).

The chain for depth d at scale 2^s is OpenFHE's FIXEDMANUAL shape, sized to the
precision asked for and no larger:

- first prime q_0: s + ``INTEGER_BITS`` bits (at most 60): after the last rescale a value
  keeps ``INTEGER_BITS`` - 1 bits of integer part (|x| < 2^19 by default) above its s
  fractional bits;
- d primes of s bits, one per rescale;
- special primes P (hybrid key switching): as many bits as the largest key-switching
  digit (the keygen rule: log2 P >= log2(largest digit) - 1), in primes of at most 60
  bits. With one digit per data prime (``dnum=0``) that is one prime of q_0's size.

Without a ring degree the smallest ring whose security-table entry (``security``,
``security_standard``) holds log2(Q*P) is chosen, as OpenFHE does.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyppml import _ring_choice
from pyppml._core import ParameterError

INTEGER_BITS = 20  # bits of q_0 above the scale
MAX_PRIME_BITS = 60
special_primes = _ring_choice.special_primes

# Kept for pyppml.ml.params: the 2024 table at 128 bits.
_MAX_BITS_2024_128 = _ring_choice.MAX_BITS["2024"][128]


def _check_scale(scale_bits: int) -> None:
    if not 20 <= scale_bits <= 58:
        raise ParameterError(f"Context: scale_bits is out of range; expected 20 <= scale_bits <= 58, got {scale_bits}")


def chain_for_depth(depth: int, scale_bits: int, dnum: int = 0,
                    integer_bits: int = INTEGER_BITS) -> tuple[list[int], list[int]]:
    """Data-prime and special-prime bit sizes for ``depth`` rescales at scale 2^scale_bits
    (the module docstring gives the rule); independent of the ring degree.

    Examples
    --------
    >>> chain_for_depth(2, 40)
    ([60, 40, 40], [60])
    >>> chain_for_depth(1, 30)
    ([50, 30], [50])
    """
    _check_scale(scale_bits)
    if depth < 0:
        raise ParameterError(f"Context: depth is negative; expected depth >= 0, got {depth}")
    q = [min(MAX_PRIME_BITS, scale_bits + integer_bits)] + [scale_bits] * depth
    return q, special_primes(q, dnum)


def default_chain(poly_degree: int, depth: int | None, scale_bits: int, special_bits: int | None = None, *,
                  dnum: int = 0, security: int | None = 128,
                  security_standard: str = "2024") -> tuple[list[int], list[int]]:
    """The chain of :func:`chain_for_depth` at a given ring degree, checked against the
    table; ``depth=None``: the deepest chain that fits it (the 128-bit table when
    ``security`` is None). ``special_bits`` replaces the special primes by one prime of
    that size.

    Raises
    ------
    ParameterError
        ``depth`` too large for ``poly_degree`` (the message names the smallest ring
        that holds it, or the deepest chain this ring holds).
    """
    _ring_choice.check_security(security, security_standard)

    def chain(d: int) -> tuple[list[int], list[int]]:
        q, p = chain_for_depth(d, scale_bits, dnum)
        return q, (p if special_bits is None else [int(special_bits)])

    def bits(n: int, d: int) -> int:
        return sum(map(sum, chain(d)))

    level = 128 if security is None else security
    bound = _ring_choice.max_bits(poly_degree, level, security_standard)
    if depth is None:
        # An n outside the table gets depth 0 here; the core then names the real problem.
        depth = max(0, _ring_choice.deepest(lambda d: bits(poly_degree, d), bound)) if bound is not None else 0
    q, p = chain(depth)
    if security is not None and bound is not None and sum(q) + sum(p) > bound:
        raise _ring_choice.depth_refusal(poly_degree, depth, bits, security, security_standard,
                                         f"scale_bits={scale_bits}")
    return q, p


def choose_parameters(poly_degree: int | None, depth: int | None, scale_bits: int,
                      coeff_mod_bits: Sequence[int] | None, special_mod_bits: Sequence[int] | None,
                      dnum: int, security: int | None, security_standard: str) -> tuple[int, list[int], list[int]]:
    """(poly_degree, data-prime bits, special-prime bits) of a ``ckks.Context`` request.

    An explicit chain is used as given (special primes default to the largest digit's
    size); otherwise :func:`chain_for_depth`. Without ``poly_degree`` the smallest ring
    that holds the chain at ``security`` is chosen; with ``security=None`` (no table)
    or with neither a depth nor a chain, n = 8192 as before.

    Raises
    ------
    ParameterError
        No supported ring holds the chain (the message gives the deepest that fits),
        or the given ``poly_degree`` does not (the message names the smallest ring
        that does).

    Examples
    --------
    >>> choose_parameters(None, 10, 40, None, None, 0, 128, "2024")  # 520 bits: 430 < 520 <= 868
    (32768, [60, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40], [60])
    """
    _ring_choice.check_poly_degree(poly_degree)
    _ring_choice.check_depth(depth)
    _ring_choice.check_security(security, security_standard)
    _check_scale(scale_bits)
    if coeff_mod_bits is not None:
        q = [int(b) for b in coeff_mod_bits]
        p = [int(b) for b in special_mod_bits] if special_mod_bits is not None else (special_primes(q, dnum) if q else [60])
        if poly_degree is None:
            total = sum(q) + sum(p)
            fit = None if security is None else _ring_choice.smallest_ring(lambda n: total, security, security_standard)
            # No ring fits: the table's largest ring, whose refusal names the problem.
            poly_degree = _ring_choice.DEFAULT_RING if security is None else (fit or _ring_choice.RING_DEGREES[-1])
        return int(poly_degree), q, p
    if poly_degree is None and depth is not None and security is not None:
        def bits(n: int, d: int) -> int:
            return sum(map(sum, chain_for_depth(d, scale_bits, dnum)))

        poly_degree = _ring_choice.smallest_ring(lambda n: bits(n, depth), security, security_standard)
        if poly_degree is None:
            raise _ring_choice.depth_refusal(None, depth, bits, security, security_standard, f"scale_bits={scale_bits}")
    if poly_degree is None:
        poly_degree = _ring_choice.DEFAULT_RING
    q, p = default_chain(int(poly_degree), depth, scale_bits, dnum=dnum, security=security,
                         security_standard=security_standard)
    if special_mod_bits is not None:
        p = [int(b) for b in special_mod_bits]
    return int(poly_degree), q, p


refine_refusal = _ring_choice.refine_refusal
