"""Choice of the BFV ring degree and modulus chain from (depth, plain modulus, security).

Noise model (invariant noise, SEAL's definition; decryption is exact while it is below
1/2). With t the plain modulus and n the ring degree, the data primes Q must hold

    log2 Q >= (log2 t + FRESH_BITS) + depth * (log2 t + log2(n) / 2 + PRODUCT_BITS) + MARGIN_BITS

- a fresh public-key encryption uses log2 t + 11 bits of Q (measured at n = 2^12 .. 2^14,
  t of 17 .. 40 bits, batched uniform plaintexts; symmetric encryption: log2 t + 5):
  FRESH_BITS = 12;
- each product with relinearization multiplies the noise by about t sqrt(n) 2^5.5
  (measured 5 .. 6.5 bits above log2 t + log2(n) / 2): PRODUCT_BITS = 7;
- the measured noise is the largest of n coefficients, about 4.3 standard deviations;
  a failure probability below 2^-128 (treating the noise as Gaussian) needs about 14
  (log2(14 / 4.3) = 1.7 bits): MARGIN_BITS = 2.

tests/bfv/test_bfv_auto_params.py checks a depth-d product circuit decrypts exactly, with
noise budget left, at the chosen parameters. The data primes are equal-sized (at most 56
bits, above t); the special primes are as large as the largest key-switching digit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from pyppml import _ring_choice
from pyppml._core import ParameterError

FRESH_BITS = 12
PRODUCT_BITS = 7
MARGIN_BITS = 2
MAX_DATA_PRIME_BITS = 56

# The 128-bit rows of both tables (kept for callers of the former name).
MAX_BITS_128 = {std: rows[128] for std, rows in _ring_choice.MAX_BITS.items()}


def noise_bits(poly_degree: int, depth: int, plain_bits: float) -> float:
    """log2 Q the noise model asks for (module docstring).

    Examples
    --------
    >>> noise_bits(8192, 2, 20.0)  # 20 + 12 + 2 * (20 + 6.5 + 7) + 2
    101.0
    """
    return plain_bits + FRESH_BITS + depth * (plain_bits + math.log2(poly_degree) / 2 + PRODUCT_BITS) + MARGIN_BITS


def chain_for_depth(poly_degree: int, depth: int, plain_bits: float, dnum: int = 0) -> tuple[list[int], list[int]]:
    """Data-prime and special-prime bit sizes for ``depth`` products mod t = 2^plain_bits
    at ring degree ``poly_degree``: the fewest equal primes (each at most 56 bits and
    above t) whose product holds :func:`noise_bits`.

    Examples
    --------
    >>> chain_for_depth(8192, 2, 20.0)  # 101 bits: two primes of 50.5 + 1 bits
    ([52, 52], [52])
    """
    if depth < 0:
        raise ParameterError(f"Context: depth is negative; expected depth >= 0, got {depth}")
    total = noise_bits(poly_degree, depth, plain_bits)
    count = max(1, math.ceil(total / MAX_DATA_PRIME_BITS))
    # +1: a prime of b bits is below 2^b, so count primes of size + 1 bits exceed 2^total.
    size = max(20, math.ceil(total / count) + 1, math.ceil(plain_bits) + 2)
    q = [size] * count
    return q, _ring_choice.special_primes(q, dnum)


def default_chain(poly_degree: int, depth: int | None, plain_bits: float, standard: str = "2024", *,
                  dnum: int = 0, security: int | None = 128) -> tuple[list[int], list[int]]:
    """The chain of :func:`chain_for_depth` at a given ring degree, checked against the
    ``security`` row of ``standard``'s table; ``depth=None``: the deepest that fits (the
    128-bit row when ``security`` is None).

    Raises
    ------
    ParameterError
        ``depth`` too large for ``poly_degree`` (the message names the smallest ring
        that holds it, or the deepest this ring holds).
    """
    _ring_choice.check_security(security, standard)
    bound = _ring_choice.max_bits(poly_degree, 128 if security is None else security, standard)
    if bound is None:
        raise ParameterError(f"Context: poly_degree has no default chain; expected a ring degree in the {standard} "
                             f"table at {security or 128}-bit security, got {poly_degree}")

    def bits(n: int, d: int) -> int:
        return sum(map(sum, chain_for_depth(n, d, plain_bits, dnum)))

    if depth is None:
        depth = max(0, _ring_choice.deepest(lambda d: bits(poly_degree, d), bound))
    q, p = chain_for_depth(poly_degree, depth, plain_bits, dnum)
    if security is not None and sum(q) + sum(p) > bound:
        raise _ring_choice.depth_refusal(poly_degree, depth, bits, security, standard,
                                         f"plain modulus of {plain_bits:.1f} bits")
    return q, p


def choose_parameters(poly_degree: int | None, plain_modulus_for: Callable[[int], int], depth: int | None,
                      coeff_mod_bits: Sequence[int] | None, special_mod_bits: Sequence[int] | None, dnum: int,
                      security: int | None, standard: str) -> tuple[int, int, list[int], list[int]]:
    """(poly_degree, plain modulus, data-prime bits, special-prime bits) of a
    ``bfv.Context`` request; ``plain_modulus_for(n)`` gives t at ring degree n (a
    batching prime depends on n).

    Without ``poly_degree`` the smallest ring that holds the chain at ``security`` is
    chosen (for an explicit chain, the smallest that holds it); with ``security=None``
    or with neither a depth nor a chain, n = 8192 as before.

    Raises
    ------
    ParameterError
        No supported ring holds the chain, or the given ``poly_degree`` does not (the
        message names the smallest ring that does, or the deepest chain that fits).
    """
    _ring_choice.check_poly_degree(poly_degree)
    _ring_choice.check_depth(depth)
    _ring_choice.check_security(security, standard)

    def plain_bits(n: int) -> float:
        return math.log2(max(int(plain_modulus_for(n)), 2))

    if coeff_mod_bits is not None:
        q = [int(b) for b in coeff_mod_bits]
        p = [int(b) for b in special_mod_bits] if special_mod_bits is not None else (
            _ring_choice.special_primes(q, dnum) if q else [30])
        if poly_degree is None:
            total = sum(q) + sum(p)
            fit = None if security is None else _ring_choice.smallest_ring(lambda n: total, security, standard)
            poly_degree = _ring_choice.DEFAULT_RING if security is None else (fit or _ring_choice.RING_DEGREES[-1])
        return int(poly_degree), int(plain_modulus_for(int(poly_degree))), q, p
    if poly_degree is None and depth is not None and security is not None:
        def bits(n: int, d: int) -> float:
            try:
                return sum(map(sum, chain_for_depth(n, d, plain_bits(n), dnum)))
            except ParameterError:  # no batching prime of that size at this n
                return math.inf

        poly_degree = _ring_choice.smallest_ring(lambda n: bits(n, depth), security, standard)
        if poly_degree is None:
            raise _ring_choice.depth_refusal(None, depth, bits, security, standard,
                                             f"plain modulus of {plain_bits(_ring_choice.RING_DEGREES[-1]):.1f} bits")
    if poly_degree is None:
        poly_degree = _ring_choice.DEFAULT_RING
    n = int(poly_degree)
    q, p = default_chain(n, depth, plain_bits(n), standard, dnum=dnum, security=security)
    if special_mod_bits is not None:
        p = [int(b) for b in special_mod_bits]
    return n, int(plain_modulus_for(n)), q, p
