"""Key agreement, mask expansion and the Shamir encoding of 32-byte secrets.

Pairwise mask seeds are HKDF-SHA256 of an X25519 shared secret (RFC 7748, RFC 5869,
from the ``cryptography`` package) bound to the round's session id; masks are ChaCha20
keystreams of pyppml's CSPRNG, read as integers mod 2^k (uniform since 2^k divides
2^32 or 2^64). Unlike Flower's SecAgg+ (NumPy's Mersenne Twister seeded with 32 bits),
every mask has a 256-bit key.
"""

from __future__ import annotations

import numpy as np
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pyppml import _core
from pyppml.fl.common.errors import ProtocolError

_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
# A 32-byte secret as 5 field elements < 2^56 < p = 2^61 - 1 (4 x 7 bytes + 4 bytes).
SECRET_CHUNKS = 5


def new_keypair() -> tuple[X25519PrivateKey, bytes]:
    sk = X25519PrivateKey.generate()
    return sk, sk.public_key().public_bytes(*_RAW)


def private_bytes(sk: X25519PrivateKey) -> bytes:
    return sk.private_bytes_raw()


_PROBE: list[X25519PrivateKey] = []  # one scalar per process, for is_low_order


def is_low_order(pk: bytes) -> bool:
    """Whether ``pk`` (32 bytes) is a low-order X25519 point (order dividing 8: the
    all-zero encoding and the other small-order encodings, canonical or not). Every
    X25519 scalar is a multiple of 8 (RFC 7748 clamping), so such a point agrees on the
    all-zero secret with any scalar, which ``cryptography`` refuses: one exchange with any
    scalar decides it."""
    if not _PROBE:
        _PROBE.append(X25519PrivateKey.generate())
    try:
        _PROBE[0].exchange(X25519PublicKey.from_public_bytes(bytes(pk)))
    except ValueError:
        return True
    return False


def agree(sk: X25519PrivateKey, peer_pk: bytes, info: bytes) -> bytes:
    """32-byte key: HKDF-SHA256(X25519(sk, peer_pk), info).

    Raises
    ------
    ProtocolError
        ``peer_pk`` is a low-order point (the all-zero shared secret) or not 32 bytes.
    """
    try:
        shared = sk.exchange(X25519PublicKey.from_public_bytes(bytes(peer_pk)))
    except ValueError:  # all-zero output: a low-order (forged) public key
        raise ProtocolError(f"secagg: key agreement failed; expected an X25519 public key of large order, got a "
                            f"low-order point or a key of {len(bytes(peer_pk))} bytes") from None
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def expand_mask(seed: bytes, dim: int, dtype: np.dtype) -> np.ndarray:
    """``dim`` uniform words of ``dtype`` from the ChaCha20 keystream under ``seed``."""
    words = -(-dim * dtype.itemsize // 8)
    return _core.Prng(seed, 1).uint64(words).view(dtype)[:dim]


def secret_to_field(secret: bytes) -> np.ndarray:
    if len(secret) != 32:
        raise ValueError(f"secret_to_field: secret has the wrong length; expected 32 bytes, got {len(secret)}")
    padded = secret + bytes(3)
    return np.array([int.from_bytes(padded[7 * i:7 * i + 7], "little") for i in range(SECRET_CHUNKS)], dtype=np.uint64)


def field_to_secret(values: np.ndarray) -> bytes:
    out = b"".join(int(v).to_bytes(8, "little")[:7] for v in values)
    if any(int(v) >> 56 for v in values) or any(out[32:]):
        raise ProtocolError("secagg: reconstructed secret is out of range; expected chunks < 2^56 (bad shares)")
    return out[:32]


def aead(key: bytes) -> ChaCha20Poly1305:
    return ChaCha20Poly1305(key)


def nonce(sender: int, recipient: int) -> bytes:
    return sender.to_bytes(4, "little") + recipient.to_bytes(4, "little") + bytes(4)
