"""What crosses the network in encrypted scoring: the client's encrypted records
(client -> server) and the encrypted scores (server -> client), with their bytes.

Both are bound to the client's context: the bytes carry its parameter fingerprint and
key id, and ``from_bytes`` refuses those of another context (``pyppml.MismatchError``)
before reading a ciphertext. Format: ``pyppml.ml.container`` (versioned, SHA-256)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pyppml._core import FormatError, MismatchError
from pyppml.ckks import Ciphertext
from pyppml.ml import container

_RECORDS, _SCORES = "RECORDS", "SCORES"


def _binding(context) -> dict:
    key = context.public_key or context.secret_key
    return {"fingerprint": context.fingerprint, "key_id": None if key is None else key.key_id}


def _check_binding(header: dict, context, api: str) -> None:
    want = _binding(context)
    got = {k: header.get(k) for k in want}
    if got != want:
        raise MismatchError(f"{api}: data is bound to another context; expected fingerprint {want['fingerprint']} and "
                            f"key id {want['key_id']} (this context's), got {got['fingerprint']} and {got['key_id']}")


def _count(header: dict, name: str, api: str, low: int = 0) -> int:
    value = container.field(header, name, int, api)
    if value < low:
        raise FormatError(f"{api}: data has an invalid {name}; expected an integer >= {low}, got {value}")
    return value


def _ciphertexts(parts: list, context, api: str) -> list:
    try:
        return [Ciphertext.from_bytes(p, context) for p in parts]
    except ValueError as exc:
        raise FormatError(f"{api}: data holds an invalid ciphertext; expected one of this context, got: {exc}") from None


@dataclass
class EncryptedRecords:
    """Records encrypted feature-major: ``batches[b][j]`` holds feature j of records
    b * slots .. (b + 1) * slots - 1. ``bounds[j]`` bounds |x_j| (public: the server
    sees it)."""

    n_records: int
    n_features: int
    batches: list
    bounds: np.ndarray

    @property
    def size_bytes(self) -> int:
        return sum(len(ct.to_bytes()) for batch in self.batches for ct in batch)

    def to_bytes(self) -> bytes:
        """The records, their public bounds and the binding to their context."""
        ctx = self.batches[0][0].context
        header = dict(_binding(ctx), n_records=int(self.n_records), n_features=int(self.n_features),
                      batches=len(self.batches), bounds=[float(b) for b in self.bounds])
        return container.pack(_RECORDS, header, [ct.to_bytes() for batch in self.batches for ct in batch])

    @classmethod
    def from_bytes(cls, data, context) -> EncryptedRecords:
        """Records from ``to_bytes``, for ``context`` (the client's public context on the
        server's side).

        Raises
        ------
        pyppml.MismatchError (a ValueError)
            the records belong to another context (parameters or key set).
        pyppml.FormatError (a ValueError)
            bytes of another kind or version, altered or truncated, or inconsistent counts
            or bounds.
        """
        api = "EncryptedRecords.from_bytes"
        header, parts = container.unpack(data, _RECORDS, api)
        _check_binding(header, context, api)
        n, d = _count(header, "n_records", api, 1), _count(header, "n_features", api, 1)
        batches = _count(header, "batches", api, 1)
        if batches != math.ceil(n / context.slots) or len(parts) != batches * d:
            raise FormatError(f"{api}: data has inconsistent counts; expected {math.ceil(n / context.slots)} batches "
                              f"of {d} ciphertexts for {n} records, got {batches} batches and {len(parts)} ciphertexts")
        bounds = header.get("bounds")
        if not isinstance(bounds, list) or len(bounds) != d or not all(
                isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b) and b >= 0 for b in bounds):
            raise FormatError(f"{api}: data has invalid bounds; expected {d} finite numbers >= 0, got another value")
        cts = _ciphertexts(parts, context, api)
        return cls(n, d, [cts[b * d:(b + 1) * d] for b in range(batches)], np.asarray(bounds, dtype=np.float64))


class EncryptedScores(list):
    """The server's encrypted outputs: one ciphertext per batch of ``slots`` records (a
    list, as ``score_encrypted`` always returned), with what the key holder needs to
    read them: ``n_records``, ``output`` and ``bits_of_precision``."""

    def __init__(self, ciphertexts=(), n_records: int = 0, output: str = "label", bits_of_precision: float = 10.0):
        super().__init__(ciphertexts)
        self.n_records = int(n_records)
        self.output = output
        self.bits_of_precision = float(bits_of_precision)

    @property
    def size_bytes(self) -> int:
        return sum(len(ct.to_bytes()) for ct in self)

    def to_bytes(self) -> bytes:
        if not self:
            raise ValueError("EncryptedScores.to_bytes: scores is empty; expected at least one ciphertext, got 0")
        header = dict(_binding(self[0].context), n_records=self.n_records, output=self.output,
                      bits_of_precision=self.bits_of_precision)
        return container.pack(_SCORES, header, [ct.to_bytes() for ct in self])

    @classmethod
    def from_bytes(cls, data, context) -> EncryptedScores:
        """Scores from ``to_bytes``, for ``context`` (the client's, secret key included,
        to decrypt them). Raises as ``EncryptedRecords.from_bytes``."""
        from pyppml.ml.inference import OUTPUTS

        api = "EncryptedScores.from_bytes"
        header, parts = container.unpack(data, _SCORES, api)
        _check_binding(header, context, api)
        n = _count(header, "n_records", api, 1)
        output = header.get("output")
        bits = container.field(header, "bits_of_precision", (int, float), api)
        if output not in OUTPUTS or not math.isfinite(bits):
            raise FormatError(f"{api}: data has an invalid output; expected one of {OUTPUTS} and finite bits, got another value")
        if len(parts) != math.ceil(n / context.slots):
            raise FormatError(f"{api}: data has inconsistent counts; expected {math.ceil(n / context.slots)} ciphertexts "
                              f"for {n} records, got {len(parts)}")
        return cls(_ciphertexts(parts, context, api), n, output, bits)
