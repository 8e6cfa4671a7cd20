"""The CUDA backend: CKKS on a GPU, bit-identical with the CPU.

``pyppml._gpu`` is a separate extension built only where a CUDA compiler was found
(``PYPPML_CUDA=AUTO|ON|OFF``, docs/gpu.md); nothing here loads it before it is asked
for, so ``import pyppml`` never touches CUDA.

>>> from pyppml import gpu
>>> isinstance(gpu.is_available(), bool) and isinstance(gpu.unavailable_reason(), (str, type(None)))
True
"""

from pyppml.gpu.discovery import DeviceUnavailableError, devices, is_available, require, unavailable_reason

__all__ = ["DeviceUnavailableError", "devices", "is_available", "require", "unavailable_reason"]
