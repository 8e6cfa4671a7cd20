"""What the CKKS and BFV contexts share: the native parameter set, the key set (secret,
public, relinearization, Galois keys), their checks and their serialization. Each
scheme's Context adds its encoding, encryption and operations on top (one level of
inheritance, as in ../shared/STYLE.md)."""

from __future__ import annotations

import warnings
from typing import Iterable

from pyppml._core import FormatError, MismatchError, ParameterError
from pyppml._core import he as _he


def native_context(scheme: str, poly_degree: int, q_bits: list[int], p_bits: list[int], dnum: int,
                   security: int | None, standard: str, plain_modulus: int = 0):
    """The core's context for these prime sizes (SEAL's prime choice), checked against the
    security table unless ``security`` is None (which warns)."""
    if security is None:
        warnings.warn(f"pyppml.{scheme}.Context: security=None, the modulus is not checked against any security table",
                      stacklevel=3)
    primes = _he.select_primes(poly_degree, list(q_bits) + list(p_bits))
    return _he.Context(scheme, poly_degree, primes[: len(q_bits)], primes[len(q_bits):], dnum,
                       0 if security is None else int(security), str(standard), int(plain_modulus))


class RlweContext:
    """Base of ``ckks.Context`` and ``bfv.Context``: parameters and the key set."""

    def __init__(self, native):
        self._native = native
        self.secret_key = None
        self.public_key = None
        self.relin_key = None
        self.galois_keys = None

    # ------------------------------------------------------------------ parameters
    @property
    def poly_degree(self) -> int:
        return self._native.n

    @property
    def max_level(self) -> int:
        return self._native.max_level

    @property
    def coeff_moduli(self) -> list[int]:
        return list(self._native.q)

    @property
    def special_moduli(self) -> list[int]:
        return list(self._native.p)

    @property
    def log_qp(self) -> float:
        return self._native.log_qp

    @property
    def security(self) -> int | None:
        return self._native.security or None

    @property
    def fingerprint(self) -> int:
        return self._native.fingerprint

    @property
    def is_private(self) -> bool:
        """True when this context holds the secret key."""
        return self.secret_key is not None

    # ------------------------------------------------------------------ keys
    def _generate_keys(self, relin: bool) -> None:
        n = self._native
        self.secret_key = n.keygen_secret()
        self.public_key = n.keygen_public(self.secret_key)
        self.relin_key = n.keygen_relin(self.secret_key) if relin else None
        self.galois_keys = None

    def _add_galois_keys(self, elements: Iterable[int]) -> None:
        """Galois keys for these elements, keeping the ones already generated."""
        self._require_secret("generate_rotation_keys")
        elements = set(elements)
        existing = set(self.galois_keys.elements) if self.galois_keys is not None else set()
        if self.galois_keys is None or elements - existing:
            self.galois_keys = self._native.keygen_galois(self.secret_key, sorted(existing | elements))

    def make_public(self):
        """A copy without the secret key, to send to a computing party."""
        pub = type(self)(_native=self._native)
        pub.public_key, pub.relin_key, pub.galois_keys = self.public_key, self.relin_key, self.galois_keys
        return pub

    def _require_secret(self, api: str) -> None:
        if self.secret_key is None:
            raise ParameterError(f"{api}: context has no secret key; expected the key owner's context (call keygen()), got a public context")

    def _check(self, ct, api: str) -> None:
        if ct.context._native.fingerprint != self._native.fingerprint:
            raise MismatchError(f"{api}: ciphertext belongs to other parameters; expected fingerprint {self.fingerprint}, got {ct.context.fingerprint}")

    # ------------------------------------------------------------------ key bytes
    def export_secret_key(self) -> bytes:
        """The secret key as bytes: the only way it leaves this process. Keep it secret."""
        self._require_secret("export_secret_key")
        return _he.export_secret_key(self._native, self.secret_key)

    def import_secret_key(self, data: bytes) -> None:
        sk = _he.import_secret_key(self._native, bytes(data))
        if self.public_key is not None and sk.key_id != self.public_key.key_id:
            raise MismatchError("import_secret_key: data is the key of another key set; expected the secret key of this context's public key, got another")
        self.secret_key = sk

    def key_to_bytes(self, key) -> bytes:
        """Bytes of a public, relinearization or Galois key of this context."""
        if isinstance(key, _he.SecretKey):
            raise ParameterError("key_to_bytes: key is the secret key; expected a public, relinearization or Galois key (use export_secret_key), got SecretKey")
        return _he.save(self._native, key)

    def key_from_bytes(self, data: bytes):
        """A key saved by key_to_bytes, validated against this context's parameters."""
        loaders = {4: _he.load_public_key, 5: _he.load_relin_key, 6: _he.load_galois_keys}
        kind = _he.peek_kind(bytes(data))
        if kind not in loaders:
            raise FormatError(f"key_from_bytes: data is not a public key; expected kind 4, 5 or 6, got {kind}")
        return loaders[kind](self._native, bytes(data))
