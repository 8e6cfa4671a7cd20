"""What crosses the network in the two-role protocol, as bytes: the encrypted training
set (owner -> server) and the encrypted model (server -> owner). Format: magic, a JSON
header (public metadata), then length-prefixed ciphertexts."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

from pyppml.ckks import Ciphertext
from pyppml.ml.packing import RowPacking
from pyppml.ml.plan import TrainingPlan

_DATASET = b"PPMLDS01"
_MODEL = b"PPMLMD01"


def _pack(magic: bytes, header: dict, cts: list) -> bytes:
    head = json.dumps(header).encode()
    parts = [magic, struct.pack("<I", len(head)), head, struct.pack("<I", len(cts))]
    for ct in cts:
        b = ct.to_bytes()
        parts += [struct.pack("<Q", len(b)), b]
    return b"".join(parts)


def _unpack(data: bytes, magic: bytes, api: str, context) -> tuple[dict, list]:
    data = bytes(data)
    if data[:8] != magic:
        raise ValueError(f"{api}: data has the wrong magic; expected {magic!r}, got {data[:8]!r}")
    try:
        pos = 8
        (hl,) = struct.unpack_from("<I", data, pos)
        pos += 4
        header = json.loads(data[pos:pos + hl].decode())
        pos += hl
        (count,) = struct.unpack_from("<I", data, pos)
        pos += 4
        cts = []
        for _ in range(count):
            (size,) = struct.unpack_from("<Q", data, pos)
            pos += 8
            if size > len(data) - pos:
                raise ValueError(f"{api}: data is truncated; expected {size} more bytes, got {len(data) - pos}")
            cts.append(Ciphertext.from_bytes(data[pos:pos + size], context))
            pos += size
    except (struct.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{api}: data is malformed; expected a serialized {magic.decode()} message, got {exc}") from exc
    if pos != len(data):
        raise ValueError(f"{api}: data has trailing bytes; expected {pos} bytes, got {len(data)}")
    return header, cts


@dataclass
class EncryptedDataset:
    """The owner's training set, row-packed and encrypted, with the public plan."""

    plan: TrainingPlan
    packing: RowPacking
    ciphertexts: list

    def to_bytes(self) -> bytes:
        header = {"plan": self.plan.to_json(), "features": self.packing.features, "slots": self.packing.slots}
        return _pack(_DATASET, header, self.ciphertexts)

    @classmethod
    def from_bytes(cls, data: bytes, context) -> EncryptedDataset:
        header, cts = _unpack(data, _DATASET, "EncryptedDataset.from_bytes", context)
        plan = TrainingPlan.from_json(header["plan"])
        packing = RowPacking(int(header["features"]), int(header["slots"]))
        if packing.slots != context.slots or packing.features != plan.n_features:
            raise ValueError(f"EncryptedDataset.from_bytes: layout does not match; expected {context.slots} slots and {plan.n_features} features, got {packing.slots} and {packing.features}")
        return cls(plan, packing, cts)


@dataclass
class EncryptedModel:
    """Encrypted weights (slot j = weight of z-column j, intercept first) and, when
    recorded, the encrypted weights after each iteration."""

    packing: RowPacking
    weights: object
    history: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        header = {"features": self.packing.features, "slots": self.packing.slots, "history": len(self.history),
                  "timings": self.timings}
        return _pack(_MODEL, header, [self.weights] + list(self.history))

    @classmethod
    def from_bytes(cls, data: bytes, context) -> EncryptedModel:
        header, cts = _unpack(data, _MODEL, "EncryptedModel.from_bytes", context)
        if len(cts) != 1 + int(header["history"]):
            raise ValueError(f"EncryptedModel.from_bytes: ciphertext count is wrong; expected {1 + int(header['history'])}, got {len(cts)}")
        return cls(RowPacking(int(header["features"]), int(header["slots"])), cts[0], cts[1:], header.get("timings", {}))
