"""BFV context: parameters, keys, encoding, encryption and decryption."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np

from pyppml import ring as _ring
from pyppml._core import ParameterError
from pyppml._core import he as _he
from pyppml._ring_choice import RING_DEGREES, refine_refusal
from pyppml._rlwe import RlweContext, checked_rotations, native_context, rotation_steps, signed_powers_of_two
from pyppml.bfv.params import choose_parameters


class DecryptionError(RuntimeError):
    """Decryption is unreliable: the ciphertext's invariant noise budget is exhausted
    (the result would be silently wrong)."""


class Context(RlweContext):
    """A BFV parameter set with its keys: exact arithmetic modulo ``plain_modulus``.

    Parameters
    ----------
    poly_degree : int, optional
        Ring degree n (power of two, 2^10 .. 2^17); n slots as a 2 x n/2 matrix when
        batching. ``None`` (default): the smallest ring whose ``security`` table entry
        holds the chain for ``depth`` and the plain modulus (or ``coeff_mod_bits``), as
        OpenFHE chooses it; n = 8192 without a depth or chain, or with
        ``security=None``. A given ``plain_modulus`` batches only if t = 1 mod 2n at
        the chosen n.
    plain_modulus : int, optional
        t. Batching needs a prime t = 1 mod 2n; any 2 <= t < 2^60 below the data primes
        works with the coefficient encoder.
    plain_modulus_bits : int, optional
        Instead of ``plain_modulus``: the largest batching prime of this many bits.
    depth : int, optional
        Multiplicative depth of the default chain, sized by the noise model of
        ``pyppml.bfv.params`` (a product circuit of this depth decrypts exactly);
        ``None``: the deepest that fits. Ignored with ``coeff_mod_bits``.
    coeff_mod_bits, special_mod_bits : list of int, optional
        Explicit chain (data primes, key-switching primes) as SEAL's ``CoeffModulus.Create``.
    dnum : int
        Key-switching digits (0: one per data prime).
    security : {128, 192, 256, None}
        Checked against ``security_standard``'s table; ``None`` turns the check off and warns.
    security_standard : {"2024", "2018"}
        "2024": ePrint 2024/463 Table 5.2 (default); "2018": the HomomorphicEncryption.org
        standard SEAL and OpenFHE enforce (chains copied from them are sized to it).

    Raises
    ------
    ParameterError
        A depth no supported ring holds (the message gives the deepest that fits), a
        ``poly_degree`` too small for the depth or chain (the message names the
        smallest ring that holds it, and ``security_standard="2018"`` where that table
        would accept the chain), or any other invalid parameter.

    Examples
    --------
    >>> from pyppml import bfv
    >>> ctx = bfv.Context(poly_degree=8192, plain_modulus=786433, depth=2)
    >>> ctx.keygen()
    >>> x = ctx.encrypt([1, 2, 3])
    >>> ctx.decrypt(x * x + x)[:3].tolist()
    [2, 6, 12]
    >>> bfv.Context(plain_modulus=786433, depth=3).poly_degree  # 3 x 46-bit primes + 46
    8192
    """

    def __init__(
        self,
        poly_degree: int | None = None,
        plain_modulus: int | None = None,
        plain_modulus_bits: int | None = None,
        depth: int | None = None,
        coeff_mod_bits: Sequence[int] | None = None,
        special_mod_bits: Sequence[int] | None = None,
        dnum: int = 0,
        security: int | None = 128,
        security_standard: str = "2024",
        *,
        _native=None,
    ):
        if _native is None:
            if plain_modulus is not None and plain_modulus_bits is not None:
                raise ParameterError("Context: plain_modulus is given twice; expected plain_modulus or plain_modulus_bits, got both")
            if plain_modulus is not None and (isinstance(plain_modulus, bool) or not isinstance(plain_modulus, numbers.Integral)
                                              or not 2 <= plain_modulus < 2**60):
                raise ParameterError(f"Context: plain_modulus is invalid; expected an integer in [2, 2^60), got {plain_modulus!r}")
            bits = 20 if plain_modulus_bits is None else int(plain_modulus_bits)

            def plain_modulus_for(n: int) -> int:
                return int(plain_modulus) if plain_modulus is not None else _batching_prime(n, bits)

            chosen = poly_degree is None
            poly_degree, t, q_bits, p_bits = choose_parameters(poly_degree, plain_modulus_for, depth, coeff_mod_bits,
                                                               special_mod_bits, dnum, security, security_standard)
            if chosen and plain_modulus is not None:
                _check_batching_kept(int(plain_modulus), int(poly_degree))
            try:
                _native = native_context("bfv", poly_degree, q_bits, p_bits, dnum, security, security_standard, t)
            except ParameterError as e:
                raise refine_refusal(e, poly_degree, q_bits, p_bits, security, security_standard) from None
        if _native.scheme != "bfv":
            raise ParameterError(f"Context: context is not a BFV context; expected scheme 'bfv', got {_native.scheme!r}")
        super().__init__(_native)
        self._bfv = _he.BfvContext(_native)

    # ------------------------------------------------------------------ parameters
    @property
    def slots(self) -> int:
        """n slots (2 rows of n/2) with batching; 0 without (the plaintext is a polynomial
        of n coefficients, ``encode_coefficients``)."""
        return self._native.n if self.batching else 0

    @property
    def row_size(self) -> int:
        return self._native.n // 2

    @property
    def plain_modulus(self) -> int:
        return self._bfv.t

    @property
    def batching(self) -> bool:
        return self._bfv.batching

    @property
    def aux_moduli(self) -> list[int]:
        """The auxiliary base of the scale-invariant product (never in any key)."""
        return list(self._bfv.aux_moduli)

    def __repr__(self) -> str:
        return (f"bfv.Context(poly_degree={self.poly_degree}, plain_modulus={self.plain_modulus}, levels={self.max_level}, "
                f"log_qp={self.log_qp:.1f}, security={self.security}, private={self.is_private})")

    # ------------------------------------------------------------------ keys
    def galois_element(self, steps: int) -> int:
        """Galois element rotating both rows left by ``steps`` (3^steps mod 2n, SEAL's)."""
        return pow(3, rotation_steps(steps, "galois_element") % self.row_size, 2 * self.poly_degree)

    @property
    def column_element(self) -> int:
        """Galois element swapping the two rows (2n - 1)."""
        return 2 * self.poly_degree - 1

    def keygen(self, rotations: Iterable[int] | None = None, columns: bool = True, relin: bool = True) -> None:
        """Secret, public, relinearization and Galois keys (default rotations: every
        power of two in both directions, plus the row swap). Without batching there are
        no slots: no Galois keys by default, and explicit rotations are refused."""
        rotations = checked_rotations(rotations, "keygen")  # before any key is replaced
        if rotations:
            self._require_slots("keygen")
        self._generate_keys(relin)
        if self.batching:
            self.generate_rotation_keys(rotations, columns)

    def generate_rotation_keys(self, rotations: Iterable[int] | None = None, columns: bool = True) -> None:
        self._require_slots("generate_rotation_keys")
        self._rotation_keys(rotations, self.row_size, self.column_element if columns else None)

    def _require_slots(self, api: str) -> None:
        if not self.batching:
            raise ParameterError(f"{api}: the context has no slots (no batching); expected a plain_modulus that batches "
                                 f"(prime, = 1 mod {2 * self.poly_degree}), got t = {self.plain_modulus}")

    def default_rotations(self) -> list[int]:
        return signed_powers_of_two(self.row_size)


    # ------------------------------------------------------------------ encoding
    def _residues(self, values, api: str, limit: int) -> np.ndarray:
        arr = np.asarray(values)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim != 1:
            raise ParameterError(f"{api}: values has the wrong shape; expected a 1-D array of at most {limit} integers, got {arr.shape}")
        if arr.size > limit:
            raise ParameterError(f"{api}: values has too many entries; expected at most {limit}, got {arr.size}")
        t = self.plain_modulus
        if arr.dtype == object:
            # big Python ints; int() would truncate a float or a Fraction silently
            if not all(isinstance(v, numbers.Integral) for v in arr):
                raise ParameterError(f"{api}: values has a non-integer entry; expected integers, got an object array "
                                     f"holding {sorted({type(v).__name__ for v in arr if not isinstance(v, numbers.Integral)})}")
            return np.array([int(v) % t for v in arr], dtype=np.uint64)
        if not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
            raise ParameterError(f"{api}: values has the wrong dtype; expected integers, got {arr.dtype}")
        if arr.dtype == np.uint64:
            return arr % np.uint64(t)
        return (arr.astype(np.int64) % t).astype(np.uint64)

    def encode(self, values):
        """Batch-encode up to n integers (taken mod t) into the slots; row 0 is
        ``values[:n/2]``, row 1 ``values[n/2:]``."""
        from pyppml.bfv.ciphertext import Plaintext

        self._require_slots("encode")
        return Plaintext(self, self._bfv.encode(self._residues(values, "encode", self.slots)))

    def encode_coefficients(self, values):
        """Up to n integers (mod t) as the plaintext polynomial's coefficients (any t)."""
        from pyppml.bfv.ciphertext import Plaintext

        return Plaintext(self, self._bfv.encode_coefficients(self._residues(values, "encode_coefficients", self.poly_degree)))

    def decode(self, plaintext, signed: bool = False) -> np.ndarray:
        """Slot values in [0, t) (``signed``: in (-t/2, t/2]) as int64."""
        return self._view(self._bfv.decode(plaintext._native), signed)

    def decode_coefficients(self, plaintext, signed: bool = False) -> np.ndarray:
        return self._view(self._bfv.coefficients(plaintext._native), signed)

    def _view(self, values: np.ndarray, signed: bool) -> np.ndarray:
        out = values.astype(np.int64)
        if signed:
            t = self.plain_modulus
            out[out > t // 2] -= t
        return out

    def _plaintext(self, values, api: str = "encrypt"):
        from pyppml.bfv.ciphertext import Plaintext

        if isinstance(values, Plaintext):
            return values
        if not self.batching:
            # Coefficients multiply as polynomials, not slot by slot: never chosen silently.
            raise ParameterError(f"{api}: values need batching, which plain_modulus does not allow at this ring; "
                                 f"expected a prime t = 1 mod {2 * self.poly_degree} (or a Plaintext from "
                                 f"encode_coefficients), got t = {self.plain_modulus}")
        return self.encode(values)

    # ------------------------------------------------------------------ encryption
    def encrypt(self, values, symmetric: bool | None = None):
        """Encrypt integers into the slots (t must batch: a prime t = 1 mod 2n) or a
        Plaintext (``encode_coefficients`` for the coefficient encoding of any t).
        Public-key encryption unless ``symmetric`` (default: symmetric when the secret
        key is here: the uniform half is stored as a seed)."""
        from pyppml.bfv.ciphertext import Ciphertext

        pt = self._plaintext(values)
        if symmetric is None:
            symmetric = self.secret_key is not None
        if symmetric:
            self._require_secret("encrypt")
            native = self._bfv.encrypt_secret(self.secret_key, pt._native)
        else:
            if self.public_key is None:
                raise ParameterError("encrypt: context has no public key; expected keygen() or a received public context, got none")
            native = self._bfv.encrypt_public(self.public_key, pt._native)
        return Ciphertext(self, native)

    def decrypt_plaintext(self, ciphertext, check: bool = True):
        """The decrypted plaintext (key owner only). With ``check``, raises
        ``DecryptionError`` when the invariant noise exceeds 1/4 (less than one bit of
        budget left), where the result may be wrong."""
        from pyppml.bfv.ciphertext import Plaintext

        self._require_secret("decrypt")
        self._check(ciphertext, "decrypt")
        pt, noise = self._bfv.decrypt(self.secret_key, ciphertext._native)
        if check and noise > 0.25:
            raise DecryptionError(f"decrypt: ciphertext has no noise budget left; expected invariant noise < 1/4, got {noise:.3f} (the result would be wrong)")
        return Plaintext(self, pt)

    def decrypt(self, ciphertext, signed: bool = False, check: bool = True) -> np.ndarray:
        """Decrypt and decode (slots if batching, else coefficients) as int64 in [0, t)
        (``signed``: (-t/2, t/2]). Key owner only: never share failures or noise
        figures with others (IND-CPA^D, SECURITY.md 3)."""
        pt = self.decrypt_plaintext(ciphertext, check)
        return self.decode(pt, signed) if self.batching else self.decode_coefficients(pt, signed)

    def noise_budget(self, ciphertext) -> int:
        """Invariant noise budget in bits (SEAL's definition; 0: decryption fails).

        Owner-only debugging aid: it needs the secret key, and revealing it (or
        decryption failures) for ciphertexts others made leaks information about the key
        (ePrint 2024/127); never expose it as a service."""
        self._require_secret("noise_budget")
        self._check(ciphertext, "noise_budget")
        return self._bfv.noise_budget(self.secret_key, ciphertext._native)

    _unsafe_noise_budget_debug = noise_budget


    # ------------------------------------------------------------------ serialization
    def to_bytes(self, include_public_keys: bool = True) -> bytes:
        """Parameters and the public, relinearization and Galois keys (never the secret key)."""
        from pyppml.bfv.serialization import context_to_bytes

        return context_to_bytes(self, include_public_keys)

    @classmethod
    def from_bytes(cls, data: bytes, *, min_security: int | None = 128, allow_insecure: bool = False,
                   max_poly_degree: int = 32768, max_primes: int = 64, security_standard: str = "2024") -> Context:
        """A context from ``to_bytes`` output, which may come from an untrusted party.

        Same limits as ``pyppml.ckks.Context.from_bytes``: the stored security level must
        be at least ``min_security`` (None only with ``allow_insecure=True``), the modulus
        within ``security_standard``'s table whichever table the bytes name ("2018" is the
        explicit opt-in for contexts made under the 2018 table), the ring degree at most
        ``max_poly_degree`` and the prime count at most ``max_primes``, checked before any
        table or key is built.

        Raises
        ------
        FormatError
            Malformed bytes, or bytes over a limit (security level, security table, ring
            degree, primes).
        ParameterError
            Invalid limits, e.g. ``min_security=None`` without ``allow_insecure=True``.

        Examples
        --------
        >>> ctx = Context(poly_degree=4096, coeff_mod_bits=[35, 35], special_mod_bits=[35])
        >>> Context.from_bytes(ctx.to_bytes(), min_security=128).poly_degree
        4096
        """
        from pyppml.bfv.serialization import context_from_bytes

        return context_from_bytes(data, min_security=min_security, allow_insecure=allow_insecure,
                                  max_poly_degree=max_poly_degree, max_primes=max_primes,
                                  security_standard=security_standard)

    def __reduce__(self):
        from pyppml.bfv.serialization import restore_context

        return restore_context, (self.to_bytes(),)


def _check_batching_kept(t: int, poly_degree: int) -> None:
    """A ring chosen for the depth must not silently lose the batching a smaller one has."""
    if not _ring.is_prime(t) or t % (2 * poly_degree) == 1:
        return
    largest = max((n for n in RING_DEGREES if t % (2 * n) == 1), default=None)
    if largest is not None:
        raise ParameterError(f"Context: plain_modulus batches only up to n = {largest}, but this depth needs a larger ring; "
                             f"expected a prime t = 1 mod {2 * poly_degree} (e.g. plain_modulus_bits=) or an explicit "
                             f"poly_degree for the coefficient encoding, got {t}")


def _batching_prime(poly_degree: int, bits: int) -> int:
    if not 2 <= bits <= 60:
        raise ParameterError(f"Context: plain_modulus_bits is out of range; expected 2 <= bits <= 60, got {bits}")
    try:
        return int(_ring.find_ntt_primes(bits, poly_degree, 1)[0])
    except ValueError as e:
        raise ParameterError(f"Context: plain_modulus_bits has no batching prime; expected a size with a prime t = 1 mod {2 * poly_degree}, got {bits}") from e
