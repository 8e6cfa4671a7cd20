"""The smallest ring degree whose security-table entry holds a modulus chain (how
OpenFHE chooses n), and the messages for chains that no ring, or not the asked ring,
holds. Shared by ``ckks.params`` and ``bfv.params``; the C++ core
(csrc/he/rlwe/security.cpp) enforces the same tables on every context."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

from pyppml._core import ParameterError
from pyppml._core import he as _he

RING_DEGREES = tuple(1 << k for k in range(10, 18))  # what the core supports: 2^10 .. 2^17
# Largest log2(Q*P) (every data and special prime) per (standard, security, n), ternary
# secret, classical, read from the table the core enforces on every context
# (csrc/he/rlwe/security.cpp: ../shared/SECURITY.md 1c, ePrint 2024/463 Table 5.2, and 1a,
# the 2018 HomomorphicEncryption.org standard that SEAL and OpenFHE enforce), so that the
# ring chosen here is always one the core accepts.
MAX_BITS = {
    standard: {security: {n: bits for n in RING_DEGREES
                          if (bits := _he.max_modulus_bits(n, security, standard)) >= 0}
               for security in (128, 192, 256)}
    for standard in ("2024", "2018")
}
DEFAULT_RING = 8192  # without depth (the deepest chain) or without a table (security=None)


def check_security(security, standard) -> None:
    """The same refusals as the core, before a table is read here."""
    if security is not None and security not in (128, 192, 256):
        raise ParameterError(f"Context: security is not a supported level; expected 128, 192, 256 or None, got {security!r}")
    if standard not in MAX_BITS:
        raise ParameterError(f"Context: security_standard is unknown; expected '2024' or '2018', got {standard!r}")


def check_poly_degree(poly_degree, api: str = "Context") -> None:
    """None or a supported ring degree (the core's own refusal of a negative or fractional
    value would come from the bindings' argument conversion, naming no argument)."""
    if poly_degree is None:
        return
    if (isinstance(poly_degree, bool) or not isinstance(poly_degree, numbers.Integral)
            or int(poly_degree) not in RING_DEGREES):
        raise ParameterError(f"{api}: poly_degree is not a supported ring degree; expected a power of two in "
                             f"[{RING_DEGREES[0]}, {RING_DEGREES[-1]}], got {poly_degree!r}")


def check_depth(depth) -> None:
    """None or a non-negative integer (a float would silently round a chain)."""
    if depth is None:
        return
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral) or depth < 0:
        raise ParameterError(f"Context: depth is not a non-negative integer; expected an int >= 0 or None, got {depth!r}")


def max_bits(n: int, security: int, standard: str) -> int | None:
    """Largest log2(Q*P) at ring degree n, or None where the table has no entry."""
    return MAX_BITS[standard][security].get(int(n))


def special_primes(q_bits: Sequence[int], dnum: int = 0, max_prime_bits: int = 60,
                   overflow_margin: bool = False) -> list[int]:
    """Special-prime sizes covering the largest key-switching digit of ``q_bits`` (digits
    of ceil(L / dnum) consecutive primes, as the core groups them), in the fewest primes
    of at most ``max_prime_bits`` bits: keygen refuses log2 P < log2(largest digit) - 1,
    and a larger P only costs security budget.

    ``overflow_margin``: P above the digit by log2(primes per digit) + 4 bits. ModUp's
    fast base conversion returns a digit d + alpha Q_j (0 <= alpha < primes per digit);
    with P no larger than the digit, (d + alpha Q_j) e / P is the key switch's largest
    error and, through the mean of alpha, the same pattern in every ciphertext switched
    with that key (bootstrapping showed it as the same slots erring 2^6 x the median).

    Examples
    --------
    >>> special_primes([60, 40, 40, 40]), special_primes([60, 40, 40, 40], dnum=2)
    ([60], [50, 50])
    >>> special_primes([60, 40, 40, 40], dnum=2, overflow_margin=True)
    [53, 53]
    """
    count = len(q_bits)
    digits = count if dnum <= 0 else min(dnum, count)
    alpha = -(-count // digits)
    digit = max(sum(q_bits[i:i + alpha]) for i in range(0, count, alpha))
    if overflow_margin:
        digit += max(0, alpha - 1).bit_length() + 4
    k = -(-digit // max_prime_bits)
    return [-(-digit // k)] * k


def smallest_ring(bits_at: Callable[[int], float], security: int, standard: str) -> int | None:
    """Smallest n whose table entry holds ``bits_at(n)`` bits (the chain may depend on
    n, as BFV's does); None when no supported ring does."""
    for n in RING_DEGREES:
        bound = max_bits(n, security, standard)
        if bound is not None and bits_at(n) <= bound:
            return n
    return None


def deepest(bits_for_depth: Callable[[int], float], bound: int) -> int:
    """Largest depth d with ``bits_for_depth(d) <= bound`` (-1 when even depth 0 does
    not fit); each level adds at least one bit, so the search ends by depth ``bound``."""
    d = -1
    while d < bound and bits_for_depth(d + 1) <= bound:
        d += 1
    return d


def depth_refusal(n: int | None, depth: int, bits: Callable[[int, int], float], security: int, standard: str,
                  what: str) -> ParameterError:
    """The error for a depth that ring ``n`` (None: every ring) cannot hold at this
    security; ``bits(n, depth)`` is the chain size in bits and ``what`` the rest of the
    request (scale or plain modulus), for the message."""
    table = f"{security}-bit security, {standard} table"
    largest = RING_DEGREES[-1]
    fit = smallest_ring(lambda m: bits(m, depth), security, standard)
    if n is None:
        top = max_bits(largest, security, standard)
        d_max = deepest(lambda d: bits(largest, d), top)
        return ParameterError(
            f"Context: depth is too large for every supported ring; expected depth <= {d_max} (at n = {largest}, "
            f"log2(Q*P) <= {top}, {table}, {what}), got depth {depth} ({bits(largest, depth):.0f} bits at n = {largest})")
    bound = max_bits(n, security, standard)
    d_max = deepest(lambda d: bits(n, d), bound)
    here = f"depth <= {d_max}" if d_max >= 0 else "a larger ring"
    there = (f"poly_degree >= {fit} (the smallest ring that holds depth {depth}; omit poly_degree to choose it)"
             if fit is not None else f"a smaller depth (no ring up to n = {largest} holds depth {depth})")
    return ParameterError(
        f"Context: depth is too large for poly_degree={n}; expected {here} (log2(Q*P) <= {bound}, {table}, {what}) "
        f"or {there}, got depth {depth} ({bits(n, depth):.0f} bits)")


def chain_refusal(n: int, total_bits: float, security: int, standard: str) -> ParameterError:
    """The error for an explicit chain over the bound at n: the smallest ring that holds
    it, and the 2018 table where that one would accept it (chains copied from SEAL or
    OpenFHE are sized to it). Keeps the core's wording for the first part."""
    bound = max_bits(n, security, standard)
    fit = smallest_ring(lambda m: total_bits, security, standard)
    ring = (f"poly_degree >= {fit} (the smallest ring that holds this chain)" if fit is not None
            else f"a shorter chain (no ring up to n = {RING_DEGREES[-1]} holds it)")
    hint = ""
    if standard == "2024":
        old = max_bits(n, security, "2018")
        if old is not None and total_bits <= old:
            hint = (f", or security_standard=\"2018\" (the 2018 HomomorphicEncryption.org table, which SEAL and "
                    f"OpenFHE enforce: log2(Q*P) <= {old} at n = {n})")
    return ParameterError(
        f"Context: coeff_mod_bits exceed the security bound; expected log2(Q*P) <= {bound} for {security}-bit security "
        f"at n = {n} ({standard} table), {ring}{hint}, got {total_bits:.0f} bits")


def refine_refusal(error: ParameterError, poly_degree: int, q_bits: Sequence[int], p_bits: Sequence[int],
                   security: int | None, standard: str) -> ParameterError:
    """The core's refusal of a chain over the security bound, as :func:`chain_refusal`
    (smallest ring that holds it, the 2018 table for a chain copied from SEAL or
    OpenFHE); any other error unchanged."""
    if security is None or "exceed the security bound" not in str(error):
        return error
    return chain_refusal(poly_degree, sum(q_bits) + sum(p_bits), security, standard)
