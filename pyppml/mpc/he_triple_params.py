"""Parameters of the dealer-free HE triples (:mod:`pyppml.mpc.he_triples`): their values,
the statistical bound and the noise budget they give, the check of ``smudging_bits``, and
the per-batch agreement in which both parties confirm the same parameters and requests.

The argument behind the numbers (mask width, smudging width, the 2^-40 total) is in the
docstring of :mod:`pyppml.mpc.he_triples`, which re-exports the public names here.

>>> from pyppml.mpc.he_triple_params import SMUDGING_BITS_MIN, max_smudging_bits
>>> SMUDGING_BITS_MIN, max_smudging_bits()
(69, 82)
"""

from __future__ import annotations

import hashlib
import math
import numbers

import numpy as np

from pyppml import ParameterError
from pyppml import ring as _ring
from pyppml.mpc.transport import FrameError

POLY_DEGREE = 1 << 14
PLAIN_BITS = 59
CRT_PRIMES = 4           # T = product of the plain moduli ~ 2^236 > 2^MASK_BITS + 2^PRODUCT_BITS
COEFF_BITS = [60] * 5
SPECIAL_BITS = [60]
MASK_BITS = 232          # r uniform in [0, 2^232): 2^-103 per slot
TERMS = 2                # cross products summed per slot
PRODUCT_BITS = 129       # sum of TERMS products of 64-bit words < 2^129
CBD_BOUND = 21           # |fresh error coefficient| <= 2 sigma^2 = 21 (CBD, sigma 3.24)
RETURN_LIMBS = 2         # data primes left in the returned ciphertext
SMUDGING_BITS = 69       # default: 2^-69 per returned ciphertext
# The smallest smudging_bits accepted: the one that keeps the documented total at most
# 2^-40 over 2^40 products (statistical_distance_bound; 68 gives 2^-40 + 2^-63).
SMUDGING_BITS_MIN = 69
# Noise budget (bits) the returned ciphertexts keep at the largest smudging_bits accepted
# (max_smudging_bits): an honest reply always decrypts, with room for the bound's slack.
RETURN_BUDGET_BITS = 10
# Version of the per-batch agreement message (agreement_message); both parties must send the same.
AGREEMENT_VERSION = 1
# The documented guarantee: at most 2^-STATISTICAL_SECURITY in total over 2^DESIGN_PRODUCTS_LOG2
# cross products with the defaults (module docstring, statistical_distance_bound).
STATISTICAL_SECURITY = 40
DESIGN_PRODUCTS_LOG2 = 40


def plain_moduli(poly_degree: int = POLY_DEGREE) -> list[int]:
    """The CRT batching primes (CRT_PRIMES of 59 bits, = 1 mod 2n, below every 60-bit data prime)."""
    return _ring.find_ntt_primes(PLAIN_BITS, poly_degree, CRT_PRIMES)


def smudge_width_bits(poly_degree: int = POLY_DEGREE, smudging_bits: int = SMUDGING_BITS) -> int:
    """S such that smudging with coefficients uniform on [-2^S, 2^S) hides the
    plaintext-dependent noise (< 2^_dependent_noise_bits per coefficient) within
    statistical distance 2^-smudging_bits per ciphertext: n 2^dep / 2^(S+1) <= 2^-smudging_bits."""
    return int(np.ceil(_dependent_noise_bits(poly_degree) + np.log2(poly_degree))) + int(smudging_bits) - 1


def max_smudging_bits(poly_degree: int = POLY_DEGREE) -> int:
    """Largest ``smudging_bits`` whose flooding leaves every returned ciphertext at least
    RETURN_BUDGET_BITS of noise budget (82 at n = 2^14).

    The phase noise of a reply is below 2^S (1 + 2^-80): the smudge dominates the
    plaintext-dependent part (< 2^134) and the encryption of 0. Its invariant noise budget
    is then at least log2(Q/t) - S - 1 bits, and the switch to two data primes keeps it
    (the smudge scales down with Q). The data primes lie just below 2^60 and the t_j below
    2^59, so log2(Q/t) > sum(COEFF_BITS) - PLAIN_BITS - 1 = 240. Larger values would make
    an honest reply fail to decrypt at party 0 (measured: budget 11 bits at 82, 2 at 91,
    a failure from 92 on).

    >>> from pyppml.mpc.he_triples import max_smudging_bits
    >>> max_smudging_bits(2**14)
    82
    """
    log2_q_over_t = sum(COEFF_BITS) - PLAIN_BITS - 1
    return log2_q_over_t - 1 - RETURN_BUDGET_BITS - smudge_width_bits(poly_degree, 0)


def statistical_distance_bound(products: int, smudging_bits: int = SMUDGING_BITS,
                               poly_degree: int = POLY_DEGREE) -> float:
    """Upper bound on the statistical distance between party 0's whole view and one
    independent of party 1's inputs, after ``products`` cross products (slots).

    ceil(products / n) blocks, each returning CRT_PRIMES ciphertexts smudged to
    2^-smudging_bits, plus 2^(PRODUCT_BITS - MASK_BITS) per slot for the mask r.

    >>> from pyppml.mpc.he_triples import statistical_distance_bound
    >>> statistical_distance_bound(2**40) <= 2.0**-40
    True
    """
    blocks = -(-int(products) // int(poly_degree))
    return blocks * CRT_PRIMES * 2.0 ** -int(smudging_bits) + int(products) * 2.0 ** (PRODUCT_BITS - MASK_BITS)


def check_crt_room(moduli: list[int]) -> list[int]:
    """The plain moduli, if their product T leaves room for the mask and the products
    (2^MASK_BITS + 2^PRODUCT_BITS < T); ValueError otherwise."""
    T = math.prod(moduli)
    if (1 << MASK_BITS) + (1 << PRODUCT_BITS) >= T:
        raise ValueError(f"HeTripleSource: poly_degree gives CRT moduli too small for the mask; expected a "
                         f"product above 2^{MASK_BITS + 1}, got 2^{T.bit_length() - 1}")
    return moduli


def _dependent_noise_bits(poly_degree: int, t_bits: int = PLAIN_BITS) -> float:
    """log2 of the bound on the phase noise that depends on B's plaintexts (docstring)."""
    n, t = poly_degree, 2.0 ** t_bits
    return float(np.log2(TERMS * n * t * CBD_BOUND + t * (TERMS + 1) * n * t))


# The fields of the agreement message, in order (agreement_message).
_AGREED = ("protocol versions", "poly_degree", "smudging_bits", "MASK_BITS", "CRT_PRIMES", "PLAIN_BITS",
           "RETURN_LIMBS", "requests")


def check_smudging_bits(smudging_bits, poly_degree) -> int:
    """smudging_bits as an int in [SMUDGING_BITS_MIN, max_smudging_bits]; ParameterError otherwise."""
    try:
        hi = max_smudging_bits(int(poly_degree))
    except (TypeError, ValueError, OverflowError):
        hi = max_smudging_bits()  # poly_degree itself is checked (and refused) later
    expected = f"an int {SMUDGING_BITS_MIN} <= smudging_bits <= {hi}"
    if isinstance(smudging_bits, bool) or not isinstance(smudging_bits, numbers.Integral):
        raise ParameterError(f"HeTripleSource: smudging_bits is not an integer; expected {expected}, got "
                             f"{smudging_bits!r}")
    if not SMUDGING_BITS_MIN <= int(smudging_bits) <= hi:
        raise ParameterError(f"HeTripleSource: smudging_bits is out of range; expected {expected}, got "
                             f"{int(smudging_bits)}")
    return int(smudging_bits)


def agreement_message(rows, poly_degree: int, smudging_bits: int) -> np.ndarray:
    """One party's agreement message for a batch: the public parameters (int64, in the
    order of _AGREED) and a SHA-256 of them and of the requests (int64 rows)."""
    params = np.array([AGREEMENT_VERSION, poly_degree, smudging_bits, MASK_BITS, CRT_PRIMES, PLAIN_BITS,
                       RETURN_LIMBS, len(rows)], dtype="<i8")
    h = hashlib.sha256(b"pyppml.mpc.HeTripleSource requests v1")
    h.update(params.tobytes())
    h.update(np.array(rows, dtype="<i8").reshape(len(rows), 5).tobytes())
    return np.concatenate([params.view(np.uint8), np.frombuffer(h.digest(), dtype=np.uint8)])


def check_agreement(mine: np.ndarray, theirs: np.ndarray, peer: str) -> None:
    """Refuse any difference between this party's agreement message and the one ``peer``
    sent with FrameError, naming the first field that differs."""
    if theirs.dtype != np.uint8 or theirs.shape != mine.shape:
        raise FrameError(f"HeTripleSource: request digest from {peer} has the wrong form; expected uint8 "
                         f"{mine.shape}, got {theirs.dtype} {theirs.shape}")
    count = len(_AGREED)
    a = mine[:8 * count].view("<i8")
    b = np.ascontiguousarray(theirs[:8 * count]).view("<i8")
    for name, x, y in zip(_AGREED, a.tolist(), b.tolist()):
        if x == y:
            continue
        if name == "requests":
            raise FrameError(f"HeTripleSource: the parties' requests differ; expected the same rows at both "
                             f"parties, got {x} rows here and {y} at {peer}")
        raise FrameError(f"HeTripleSource: the parties' {name} differ; expected the same {name} at both "
                         f"parties, got {x} here and {y} at {peer}")
    if not np.array_equal(mine, theirs):
        raise FrameError(f"HeTripleSource: the parties' requests differ; expected the same rows at both parties, "
                         f"got digests {mine[8 * count:].tobytes().hex()[:16]}... here and "
                         f"{theirs[8 * count:].tobytes().hex()[:16]}... at {peer}")
