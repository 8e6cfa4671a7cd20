"""Encrypted work spread over a ``dask.distributed`` cluster (optional: ``pip install
"pyppml[dask]"``).

The pattern (docs/dask.md):

1. The key holder keeps the secret key. It shares the *public* context (parameters,
   public, relinearization and Galois keys) once: :func:`share_context` broadcasts it to
   every worker (``client.scatter(..., broadcast=True)``) and returns a future that tasks
   take as an argument, so the keys travel once per worker, not once per task.
2. Ciphertexts travel as their bytes (``to_bytes``: parameters fingerprint and key id
   included) and are rebuilt on the worker against the shared context; the results come
   back as bytes. Contexts, keys and ciphertexts also pickle (protocol 5 with out-of-band
   buffers), but a pickled ciphertext carries its context with it.
3. Workers check the keys they need before working and say which one is missing.

>>> from pyppml.distributed import require_keys
>>> callable(require_keys)
True
"""

from pyppml.distributed.context import WorkerContextError, require_keys, set_worker_threads, share_context
from pyppml.distributed.scoring import (ScatteredRecords, scatter_records, score_encrypted_distributed,
                                        share_model)

__all__ = [
    "ScatteredRecords", "WorkerContextError", "require_keys", "scatter_records", "score_encrypted_distributed",
    "set_worker_threads", "share_context", "share_model",
]
