"""CKKS ciphertexts in GPU memory and the transfers ``Context.to``, ``Ciphertext.to``.

A ``DeviceCiphertext`` is a ``ckks.Ciphertext`` whose native object lives on the GPU:
every operator and named operation works as on the CPU (same levels, scales, checks)
and gives bit-identical results. Decryption and ``to_bytes`` download first (host
operations); operands on different devices raise ``MismatchError``.

>>> from pyppml import ckks, gpu
>>> ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
>>> gpu.is_available() or ctx.to("cpu") is ctx
True
"""

from __future__ import annotations

from pyppml._core import MismatchError
from pyppml.ckks.ciphertext import Ciphertext
from pyppml.gpu.discovery import check_device
from pyppml.gpu.evaluator import evaluator_for


class DeviceCiphertext(Ciphertext):
    """A CKKS ciphertext held in GPU memory (``device == "cuda"``)."""

    __slots__ = ()

    @property
    def device(self) -> str:
        return "cuda"

    @property
    def _ctx(self):
        return evaluator_for(self.context)

    def to(self, device: str) -> Ciphertext:
        """``"cpu"``: a host copy; ``"cuda"``: self."""
        device = check_device("Ciphertext.to", device)
        if device == "cuda":
            return self
        return self._then(Ciphertext(self.context, evaluator_for(self.context).download(self._native)), 0)

    def to_bytes(self) -> bytes:
        """Bytes of the host copy (serialization is a host operation)."""
        return self.to("cpu").to_bytes()

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + ", device='cuda')"

    # A host ciphertext on the left would reach the CPU evaluator with a device operand:
    # these reflected operators run first (subclass rule) and name the problem.
    def _refuse_host(self, other, api: str) -> None:
        if isinstance(other, Ciphertext) and getattr(other, "device", "cpu") != "cuda":
            raise MismatchError(f"{api}: operands are on different devices; expected both on 'cuda' (move one with "
                                f".to('cuda') or .to('cpu')), got 'cpu' and 'cuda'")

    def __radd__(self, other):
        self._refuse_host(other, "add")
        return Ciphertext.__add__(self, other)

    def __rsub__(self, other):
        self._refuse_host(other, "sub")
        return Ciphertext.__rsub__(self, other)

    def __rmul__(self, other):
        self._refuse_host(other, "multiply")
        return Ciphertext.__mul__(self, other)


def ciphertext_to(ct: Ciphertext, device: str) -> Ciphertext:
    """``ct`` on ``device`` (a copy when it moves)."""
    device = check_device("Ciphertext.to", device)
    if device == getattr(ct, "device", "cpu"):
        return ct
    if isinstance(ct, DeviceCiphertext):
        return ct.to(device)
    # A copy: the same error, so the same release history.
    return ct._then(DeviceCiphertext(ct.context, evaluator_for(ct.context).upload(ct._native)), 0)


def context_to(ctx, device: str):
    """A view of ``ctx`` (same parameters and keys, shared) whose ``encrypt`` gives
    ciphertexts on ``device``; ``ctx`` itself when it is already there."""
    device = check_device("Context.to", device)
    if device == getattr(ctx, "device", "cpu"):
        return ctx
    if device == "cuda":
        evaluator_for(ctx)  # upload the tables now: errors here, not at the first operation
    other = object.__new__(type(ctx))
    other.__dict__.update(ctx.__dict__)
    other.device = device
    return other
