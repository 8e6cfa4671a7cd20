"""Which client public keys a model server re-randomizes its outputs under.

``"label"`` and ``"score_flooded"`` outputs are re-randomized with a fresh encryption of
zero under the client's public key (pyppml.ml.inference). That hides the model only if
the key is well formed, b = -a s + e with s and e short, which the server cannot check:
a client that sent b + q_0 / 3 read the server's ternary u off one decryption (u q_0 / 3
stands out of the noise), stripped u a from the output and solved the rest for every
weight to 2^-35 (review 2026-12-08). A server that serves clients it does not trust with
their keys registers the keys it accepts: the key owner gives :func:`public_key_digest`
of its context to the server out of band (or a party both trust certifies it), and
``score_encrypted(..., trusted_public_keys=...)`` refuses any other key.
"""

from __future__ import annotations

import hashlib

from pyppml._core import ParameterError


def public_key_digest(context) -> str:
    """Hex SHA-256 of the context's serialized public key: what the key owner registers
    with a model server."""
    if context.public_key is None:
        raise ParameterError("public_key_digest: context has no public key; expected a context with one, got none")
    return hashlib.sha256(context.key_to_bytes(context.public_key)).hexdigest()


def check_trusted_key(context, trusted, api: str) -> None:
    """Refuse a context whose public key is not among ``trusted`` (hex digests); None
    trusts every key (the documented honest-client assumption)."""
    if trusted is None:
        return
    if isinstance(trusted, (str, bytes)) or not all(isinstance(t, str) for t in trusted):
        raise ParameterError(f"{api}: trusted_public_keys is not a collection of hex digests; expected e.g. "
                             f"{{public_key_digest(client_context)}}, got {type(trusted).__name__}")
    digest = public_key_digest(context)
    if digest not in {t.lower() for t in trusted}:
        raise ParameterError(f"{api}: the client's public key is not trusted; expected one of the "
                             f"{len(trusted)} registered public_key_digest values, got {digest[:16]}...")
