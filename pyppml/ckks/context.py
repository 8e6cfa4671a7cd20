"""CKKS context: parameters, keys, encoding and encryption."""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from pyppml._core import ParameterError
from pyppml._rlwe import RlweContext, native_context, signed_powers_of_two
from pyppml.ckks.params import default_chain


class Context(RlweContext):
    """A CKKS parameter set with its keys.

    Parameters
    ----------
    poly_degree : int
        Ring degree n (power of two, 2^10 .. 2^17); n/2 complex slots.
    depth : int, optional
        Multiplicative depth; chooses ``[scale_bits + 20] + [scale_bits] * depth`` data
        primes and one 60-bit special prime. ``None``: the deepest 128-bit chain.
    scale_bits : int
        log2 of the default scale.
    coeff_mod_bits, special_mod_bits : list of int, optional
        Explicit chain (data primes, then key-switching primes), as SEAL's
        ``CoeffModulus.Create``; overrides ``depth``.
    dnum : int
        Key-switching digits (0: one per data prime, the SEAL/OpenFHE default).
    security : {128, 192, 256, None}
        Checked against ``security_standard``'s table; ``None`` turns the check off
        and warns.
    security_standard : {"2024", "2018"}
        "2024": ePrint 2024/463 Table 5.2 (default); "2018": the HomomorphicEncryption.org
        standard SEAL and OpenFHE enforce.

    Examples
    --------
    >>> from pyppml import ckks
    >>> ctx = ckks.Context(poly_degree=8192, depth=2)
    >>> ctx.keygen()
    >>> ct = ctx.encrypt([1.0, 2.0, 3.0])
    >>> [round(v, 4) for v in ctx.decrypt(ct * ct)[:3]]
    [1.0, 4.0, 9.0]
    """

    def __init__(
        self,
        poly_degree: int = 8192,
        depth: int | None = None,
        scale_bits: int = 40,
        coeff_mod_bits: Sequence[int] | None = None,
        special_mod_bits: Sequence[int] | None = None,
        dnum: int = 0,
        security: int | None = 128,
        security_standard: str = "2024",
        *,
        _native=None,
    ):
        if _native is None:
            if coeff_mod_bits is None:
                q_bits, p_bits = default_chain(poly_degree, depth, scale_bits)
                if special_mod_bits is not None:
                    p_bits = list(special_mod_bits)
            else:
                q_bits = list(coeff_mod_bits)
                p_bits = list(special_mod_bits) if special_mod_bits is not None else [60]
            _native = native_context("ckks", poly_degree, q_bits, p_bits, dnum, security, security_standard)
        super().__init__(_native)
        self.scale = float(2 ** scale_bits)

    # ------------------------------------------------------------------ parameters
    @property
    def slots(self) -> int:
        return self._native.slots

    def __repr__(self) -> str:
        return (f"ckks.Context(poly_degree={self.poly_degree}, levels={self.max_level}, log_qp={self.log_qp:.1f}, "
                f"scale=2^{math.log2(self.scale):.0f}, security={self.security}, private={self.is_private})")

    # ------------------------------------------------------------------ keys
    def galois_element(self, steps: int) -> int:
        """Galois element of a left rotation by ``steps`` slots (5^steps mod 2n)."""
        return pow(5, steps % self.slots, 2 * self.poly_degree)

    @property
    def conjugation_element(self) -> int:
        return 2 * self.poly_degree - 1

    def keygen(self, rotations: Iterable[int] | None = None, conjugate: bool = True, relin: bool = True) -> None:
        """Generate the secret, public, relinearization and Galois keys.

        ``rotations``: slot rotations to support directly (default: all powers of two,
        both directions, which reach every rotation in at most log2(slots) steps).
        """
        self._generate_keys(relin)
        self.generate_rotation_keys(rotations, conjugate)

    def generate_rotation_keys(self, rotations: Iterable[int] | None = None, conjugate: bool = True) -> None:
        self._rotation_keys(rotations, self.slots, self.conjugation_element if conjugate else None)

    def default_rotations(self) -> list[int]:
        return signed_powers_of_two(self.slots)

    def make_public(self) -> "Context":
        """A copy without the secret key, to send to a computing party."""
        pub = super().make_public()
        pub.scale = self.scale
        return pub

    # ------------------------------------------------------------------ encoding
    def _level(self, level: int | None) -> int:
        return self.max_level if level is None else int(level)

    def encode(self, values, scale: float | None = None, level: int | None = None):
        """Encode up to n/2 real or complex values into a plaintext."""
        from pyppml.ckks.ciphertext import Plaintext

        scale = self.scale if scale is None else float(scale)
        level = self._level(level)
        arr = np.asarray(values)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim != 1:
            raise ParameterError(f"encode: values has the wrong shape; expected a 1-D array of at most {self.slots} values, got {arr.shape}")
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ParameterError(f"encode: values has the wrong dtype; expected real or complex numbers, got {arr.dtype}")
        if np.iscomplexobj(arr):
            native = self._native.encode(arr.astype(np.complex128), scale, level)
        else:
            native = self._native.encode_real(arr.astype(np.float64), scale, level)
        return Plaintext(self, native)

    def decode(self, plaintext, complex: bool = False) -> np.ndarray:
        out = self._native.decode(plaintext._native)
        return out if complex else out.real.copy()

    # ------------------------------------------------------------------ encryption
    def encrypt(self, values, level: int | None = None, scale: float | None = None, symmetric: bool | None = None):
        """Encrypt values (or a Plaintext). Public-key encryption unless ``symmetric``
        (default: symmetric when the secret key is here, which halves the size as the
        uniform half is stored as a seed)."""
        from pyppml.ckks.ciphertext import Ciphertext, Plaintext

        pt = values if isinstance(values, Plaintext) else self.encode(values, scale=scale, level=level)
        if symmetric is None:
            symmetric = self.secret_key is not None
        if symmetric:
            self._require_secret("encrypt")
            native = self._native.encrypt_secret(self.secret_key, pt._native)
        else:
            if self.public_key is None:
                raise ParameterError("encrypt: context has no public key; expected keygen() or a received public context, got none")
            native = self._native.encrypt_public(self.public_key, pt._native)
        return Ciphertext(self, native)

    def decrypt(self, ciphertext, complex: bool = False) -> np.ndarray:
        """Decrypt and decode (key owner only). The result carries the encryption noise:
        never release it to another party without ``decrypt_for_release``."""
        self._require_secret("decrypt")
        self._check(ciphertext, "decrypt")
        pt = self._native.decrypt(self.secret_key, ciphertext._native)
        out = self._native.decode(pt)
        return out if complex else out.real.copy()

    def decrypt_for_release(self, ciphertext, bits_of_precision: float = 20.0, complex: bool = False) -> np.ndarray:
        """Decrypt for sharing the result with others, against IND-CPA^D key recovery
        (Li-Micciancio 2021; SECURITY.md 3): the decrypted polynomial is flooded with a
        discrete Gaussian much wider than the evaluation noise before decoding, then
        values are rounded to ``bits_of_precision`` fractional bits, so the output no
        longer carries the secret-key-dependent error.
        """
        from pyppml.ckks.release import flooded_decrypt

        self._require_secret("decrypt_for_release")
        self._check(ciphertext, "decrypt_for_release")
        return flooded_decrypt(self, ciphertext, bits_of_precision, complex)


    # ------------------------------------------------------------------ serialization
    def to_bytes(self, include_public_keys: bool = True) -> bytes:
        """Parameters and the public, relinearization and Galois keys (never the
        secret key)."""
        from pyppml.ckks.serialization import context_to_bytes

        return context_to_bytes(self, include_public_keys)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Context":
        from pyppml.ckks.serialization import context_from_bytes

        return context_from_bytes(data)

    def __reduce__(self):
        from pyppml.ckks.serialization import context_from_bytes

        return _restore_context, (self.to_bytes(), self.scale)


def _restore_context(data: bytes, scale: float) -> Context:
    from pyppml.ckks.serialization import context_from_bytes

    return context_from_bytes(data, scale)

