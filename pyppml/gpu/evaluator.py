"""The device-side stand-in for a context's native evaluator: the methods
``ckks.Ciphertext`` calls on ``_ctx`` (add, multiply, relinearize, rescale, rotations...)
on ciphertexts held in GPU memory, with keys and plaintexts uploaded on first use."""

from __future__ import annotations

import threading

from pyppml._core import MismatchError, ParameterError
from pyppml._core import he as _he
from pyppml.gpu.discovery import module_name, require


def _on_device(api: str, *natives) -> None:
    for x in natives:
        if getattr(x, "device", "cpu") != "cuda":
            raise MismatchError(f"{api}: operands are on different devices; expected every ciphertext on 'cuda' "
                                f"(move it with .to('cuda'), or the others with .to('cpu')), got one on 'cpu'")


class DeviceEvaluator:
    """GPU tables of one parameter set (``pyppml._gpu.Context``) and the uploaded keys of
    one Python context. Made by :func:`evaluator_for`; one per context."""

    def __init__(self, context):
        self._module = require("Context.to")
        self._cpu = context._native
        self.device_context = self._module.Context(_he.save_params(context._native))
        self._lock = threading.Lock()
        self._keys: dict = {}  # id(host key) -> (host key, device key or {elt: device key})

    # ------------------------------------------------------------------ transfers
    def upload(self, native):
        return self.device_context.upload_ciphertext(_he.save(self._cpu, native))

    def download(self, native):
        return _he.load_ciphertext(self._cpu, self.device_context.download_ciphertext(native))

    def _plain(self, pt):
        return self.device_context.upload_plaintext(_he.save(self._cpu, pt))

    def _relin(self, key):
        with self._lock:
            hit = self._keys.get(id(key))
            if hit is None or hit[0] is not key:
                hit = (key, self.device_context.upload_relin_key(_he.save(self._cpu, key)))
                self._keys[id(key)] = hit
            return hit[1]

    def _galois(self, gk, elts):
        with self._lock:
            hit = self._keys.get(id(gk))
            if hit is None or hit[0] is not gk:
                # Every key of the set at once: one pass over the serialized keys.
                hit = (gk, self.device_context.upload_galois_keys(_he.save(self._cpu, gk), sorted(gk.elements)))
                self._keys[id(gk)] = hit
            missing = [e for e in elts if e not in hit[1]]
            if missing:
                raise ParameterError(f"rotate: galois_keys lack the key for this rotation; expected a key generated for "
                                     f"Galois element {missing[0]}, got none")
            return [hit[1][e] for e in elts]

    # ------------------------------------------------------------------ operations
    def add(self, a, b):
        _on_device("add", a, b)
        return self.device_context.add(a, b)

    def sub(self, a, b):
        _on_device("sub", a, b)
        return self.device_context.sub(a, b)

    def negate(self, a):
        return self.device_context.negate(a)

    def multiply(self, a, b):
        _on_device("multiply", a, b)
        return self.device_context.multiply(a, b)

    def relinearize(self, a, key):
        return self.device_context.relinearize(a, self._relin(key))

    def rescale(self, a):
        return self.device_context.rescale(a)

    def relinearize_rescale(self, a, key):
        # The device path keeps the two steps (the CPU merges their divisions).
        return self.rescale(self.relinearize(a, key))

    def drop_to_level(self, a, level):
        return self.device_context.drop_to_level(a, int(level))

    def multiply_plain(self, a, pt):
        return self.device_context.multiply_plain(a, self._plain(pt))

    def add_plain(self, a, pt):
        return self.device_context.add_plain(a, self._plain(pt))

    def sub_plain(self, a, pt):
        return self.device_context.sub_plain(a, self._plain(pt))

    def multiply_integer(self, a, c):
        out = self.device_context.multiply_integer(a, [int(c) % q for q in self._cpu.q])
        out.scale = a.scale
        return out

    def apply_galois(self, a, elt, gk):
        return self.device_context.apply_galois(a, int(elt), self._galois(gk, [int(elt)])[0])

    def apply_galois_hoisted(self, a, elts, gk):
        elts = [int(e) for e in elts]
        return self.device_context.apply_galois_hoisted(a, elts, self._galois(gk, elts))

    def __getattr__(self, name):
        # Encoding and parameters come from the CPU context; an operation without a GPU
        # version refuses device ciphertexts instead of failing inside the binding.
        if name.startswith("_"):
            raise AttributeError(name)
        attr = getattr(self._cpu, name)
        if not callable(attr):
            return attr

        def host_only(*args, **kwargs):
            if any(getattr(x, "device", "cpu") == "cuda" for x in args):
                raise ParameterError(f"{name}: operation has no GPU version; expected a ciphertext on 'cpu' "
                                     f"(use .to('cpu') first), got one on 'cuda'")
            return attr(*args, **kwargs)

        return host_only


_make_lock = threading.Lock()


def evaluator_for(context) -> DeviceEvaluator:
    """The context's DeviceEvaluator, made (and the tables uploaded) on first use; one
    per backend module (tests switch between the GPU and its host emulation)."""
    name = module_name()
    with _make_lock:
        evs = context.__dict__.setdefault("_gpu_evaluators", {})
        ev = evs.get(name)
        if ev is None:
            ev = evs[name] = DeviceEvaluator(context)
    return ev
