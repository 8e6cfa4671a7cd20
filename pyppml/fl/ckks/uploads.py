"""A client's upload to a CKKS committee and the server's part: an update packed two
reals per complex slot into public-key ciphertexts (:func:`encrypt_update`), signed with
the client's Ed25519 identity key for one committee and round (:func:`sign_upload`), the
digest of a round's uploads the members certify (:func:`uploads_digest`), and the server's
sum of the ciphertexts (:func:`server_sum`)."""

from __future__ import annotations

import hashlib
import struct

import numpy as np

from pyppml.ckks import Context
from pyppml.ckks.ciphertext import Ciphertext
from pyppml.fl.common.errors import ParameterError, ProtocolError

UPLOAD_DOMAIN = b"pyppml-ckks-committee-v1 upload"

def upload_payload(key_id: int, round: int, cts) -> bytes:
    """What a client signs: the committee key, the round and its ciphertexts' bytes."""
    h = hashlib.sha256()
    for b in cts:
        b = bytes(b)
        h.update(struct.pack("<Q", len(b)) + b)
    return UPLOAD_DOMAIN + struct.pack("<QQI", int(key_id), int(round), len(cts)) + h.digest()


def sign_upload(identity_key, key_id: int, round: int, cts) -> tuple[bytes, list[bytes], bytes]:
    """A client's signed upload ``(public key raw bytes, ciphertext bytes, signature)``
    for round ``round`` of the committee ``key_id``; ``cts``: Ciphertexts or their bytes."""
    blobs = [c.to_bytes() if isinstance(c, Ciphertext) else bytes(c) for c in cts]
    pk = identity_key.public_key().public_bytes_raw()
    return pk, blobs, identity_key.sign(upload_payload(key_id, round, blobs))


def uploads_digest(uploads) -> bytes:
    """SHA-256 naming a round's uploads: each client key with the hash of its
    ciphertexts, sorted by key (what members certify as the client set U)."""
    entries = sorted(bytes(pk) + hashlib.sha256(b"".join(struct.pack("<Q", len(bytes(b))) + bytes(b) for b in blobs))
                     .digest() for pk, blobs, _ in uploads)
    return hashlib.sha256(b"pyppml-ckks-committee-v1 uploads" + struct.pack("<Q", len(entries))
                          + b"".join(entries)).digest()


def add_ciphertexts(cts) -> Ciphertext:
    """The server's whole job: the sum of the clients' ciphertexts."""
    cts = list(cts)
    if not cts:
        raise ParameterError("add_ciphertexts: cts is empty; expected at least one ciphertext")
    total = cts[0]
    for c in cts[1:]:
        total = total + c
    return total


def server_sum(ctx: Context, uploads) -> list[Ciphertext]:
    """The server's part: per ciphertext position, the sum of the uploads' ciphertexts.

    Raises
    ------
    ProtocolError
        Uploads of different lengths."""
    uploads = list(uploads)
    width = len(uploads[0][1]) if uploads else 0
    if any(len(u[1]) != width for u in uploads):
        raise ProtocolError("ckks committee: uploads have different lengths")
    return [add_ciphertexts(Ciphertext.from_bytes(u[1][k], ctx) for u in uploads) for k in range(width)]


def encrypt_update(ctx: Context, update: np.ndarray) -> list[Ciphertext]:
    """An update as ceil(len / n) public-key ciphertexts: two reals per complex slot
    (u[2i] + 1j u[2i+1]), so each ciphertext carries n values; aggregation is linear, so
    the packing survives the sum."""
    u = np.asarray(update, dtype=np.float64)
    if not np.all(np.isfinite(u)):
        raise ParameterError("encrypt_update: update is not finite; expected finite floats")
    per_ct = 2 * ctx.slots
    out = []
    for k in range(0, u.size, per_ct):
        chunk = u[k:k + per_ct]
        if chunk.size % 2:
            chunk = np.append(chunk, 0.0)
        out.append(ctx.encrypt(chunk[0::2] + 1j * chunk[1::2], symmetric=False))
    return out


def unpack(values: np.ndarray) -> np.ndarray:
    """Complex slots back to the interleaved reals of encrypt_update."""
    out = np.empty(2 * values.size)
    out[0::2], out[1::2] = values.real, values.imag
    return out
