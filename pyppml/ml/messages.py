"""What crosses the network in the two-role protocol, as bytes: the encrypted training
set (owner -> server) and the encrypted model (server -> owner). Both are
``pyppml.ml.container`` files (SHA-256 over the whole message, then every field checked):
a JSON header of public metadata and one part per ciphertext."""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass, field

from pyppml._core import FormatError
from pyppml.ckks import Ciphertext
from pyppml.ml import container
from pyppml.ml.packing import RowPacking
from pyppml.ml.plan import TrainingPlan

_DATASET, _MODEL = "DATASET", "MODEL"


def _ciphertexts(parts: list, context, api: str) -> list:
    out = []
    for k, part in enumerate(parts):
        try:
            out.append(Ciphertext.from_bytes(part, context))
        except FormatError as e:
            raise FormatError(f"{api}: data holds an invalid ciphertext {k}; expected one of this context, got: {e}") from None
    return out


def _packing(header: dict, context, api: str) -> RowPacking:
    features = container.field(header, "features", int, api)
    slots = container.field(header, "slots", int, api)
    if slots != context.slots or not 1 <= features <= slots:
        raise FormatError(f"{api}: data has an inconsistent layout; expected {context.slots} slots and 1 to "
                          f"{context.slots} features, got {slots} and {features}")
    return RowPacking(features, slots)


@dataclass
class EncryptedDataset:
    """The owner's training set, row-packed and encrypted, with the public plan."""

    plan: TrainingPlan
    packing: RowPacking
    ciphertexts: list

    def to_bytes(self) -> bytes:
        header = {"plan": asdict(self.plan), "features": self.packing.features, "slots": self.packing.slots}
        return container.pack(_DATASET, header, [ct.to_bytes() for ct in self.ciphertexts])

    @classmethod
    def from_bytes(cls, data: bytes, context) -> EncryptedDataset:
        api = "EncryptedDataset.from_bytes"
        header, parts = container.unpack(data, _DATASET, api)
        if set(header) != {"plan", "features", "slots"}:
            raise FormatError(f"{api}: data has an unexpected header; expected plan, features and slots, got {sorted(header)}")
        plan = TrainingPlan.from_dict(header["plan"], api)
        packing = _packing(header, context, api)
        if packing.features != plan.n_features:
            raise FormatError(f"{api}: data has an inconsistent layout; expected {plan.n_features} features, got {packing.features}")
        expected = packing.ciphertexts_for(plan.n_samples)
        if len(parts) != expected:  # a dropped or repeated ciphertext trained another model
            raise FormatError(f"{api}: data has the wrong ciphertext count; expected {expected} for "
                              f"{plan.n_samples} samples, got {len(parts)}")
        return cls(plan, packing, _ciphertexts(parts, context, api))


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
        return container.pack(_MODEL, header, [ct.to_bytes() for ct in [self.weights, *self.history]])

    @classmethod
    def from_bytes(cls, data: bytes, context) -> EncryptedModel:
        api = "EncryptedModel.from_bytes"
        header, parts = container.unpack(data, _MODEL, api)
        if set(header) != {"features", "slots", "history", "timings"}:
            raise FormatError(f"{api}: data has an unexpected header; expected features, slots, history and timings, "
                              f"got {sorted(header)}")
        packing = _packing(header, context, api)
        if len(parts) != 1 + container.field(header, "history", int, api):
            raise FormatError(f"{api}: data has the wrong ciphertext count; expected 1 + history, got {len(parts)}")
        timings = container.field(header, "timings", dict, api)
        if not all(isinstance(k, str) and isinstance(v, numbers.Real) and not isinstance(v, bool) for k, v in timings.items()):
            raise FormatError(f"{api}: data has invalid timings; expected seconds by name, got another object")
        cts = _ciphertexts(parts, context, api)
        return cls(packing, cts[0], cts[1:], timings)
