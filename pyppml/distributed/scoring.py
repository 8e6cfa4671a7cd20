"""``pyppml.ml`` encrypted scoring of a large batch of records on a dask cluster: one task
per batch of ``slots`` records, the public context shared once, ciphertexts as bytes.
The scores are those a single process computes (bit for bit with ``output="score"``;
the other outputs draw fresh randomness per call, so their decryptions agree instead)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pyppml.distributed.context import require_keys, share_context


@dataclass
class _DumpedModel:
    """An EncryptedLinearModel in transit: its ciphertexts as bytes."""

    weights: list
    intercept: bytes
    weight_bounds: np.ndarray
    intercept_bound: float


def _score_task(context, payload: list, n_records: int, bounds: np.ndarray, model, approximation, output: str,
                bits_of_precision: float) -> bytes:
    """On a worker: rebuild one batch against the shared context, score it with
    ``pyppml.ml.score_encrypted``, return the output ciphertext's bytes."""
    from pyppml.ckks import Ciphertext
    from pyppml.ml.inference import EncryptedLinearModel, score_encrypted
    from pyppml.ml.records import EncryptedRecords

    api = "score_encrypted_distributed"
    needed = []
    if output in ("label", "score_flooded"):
        needed.append("public_key")  # the re-randomizing encryption of zero
    if isinstance(model, _DumpedModel):
        model = _loaded_model(model, context)
    if isinstance(model, EncryptedLinearModel) or approximation is not None:
        needed.append("relin_key")
    require_keys(context, needed, api)
    batch = [Ciphertext.from_bytes(b, context) for b in payload]
    records = EncryptedRecords(n_records, len(batch), [batch], bounds)
    [score] = score_encrypted(records, model, approximation, output, bits_of_precision)
    return score.to_bytes()


def _dump_model(model):
    """An EncryptedLinearModel as bytes (its ciphertexts), a plaintext model as it is."""
    from pyppml.ml.inference import EncryptedLinearModel

    if not isinstance(model, EncryptedLinearModel):
        return model
    return _DumpedModel([w.to_bytes() for w in model.weights], model.intercept.to_bytes(), model.weight_bounds,
                        model.intercept_bound)


# Per worker process: the shared model's ciphertexts are parsed once, not per task. Keyed
# by the identity of the worker's copy of the shared object (kept alive here), at most a few.
_MODEL_CACHE: dict = {}


def _loaded_model(dumped, context):
    key = (id(dumped), id(context))
    hit = _MODEL_CACHE.get(key)
    if hit is None or hit[0] is not dumped or hit[1] is not context:
        if len(_MODEL_CACHE) >= 4:
            _MODEL_CACHE.clear()
        hit = _MODEL_CACHE[key] = (dumped, context, _load_model(dumped, context))
    return hit[2]


def share_model(client, model):
    """Broadcast a model (plaintext ``(coef, intercept)`` or EncryptedLinearModel) to every
    worker once; pass the returned future as ``model`` to :func:`score_encrypted_distributed`."""
    [future] = client.scatter([_dump_model(model)], broadcast=True, hash=False)
    return future


def _load_model(dumped, context):
    from pyppml.ckks import Ciphertext
    from pyppml.ml.inference import EncryptedLinearModel

    return EncryptedLinearModel([Ciphertext.from_bytes(w, context) for w in dumped.weights],
                                Ciphertext.from_bytes(dumped.intercept, context), dumped.weight_bounds,
                                dumped.intercept_bound)


def _is_future(obj) -> bool:
    try:
        from distributed import Future
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, Future)


@dataclass
class ScatteredRecords:
    """Encrypted records already held by the workers (one future per batch of ciphertext
    bytes), from :func:`scatter_records`: scoring them again moves no record."""

    n_records: int
    n_features: int
    slots: int
    bounds: np.ndarray
    batches: list  # distributed.Future of list[bytes], one per batch
    context: object  # the key holder's context (results are bound to it)


def scatter_records(client, records) -> ScatteredRecords:
    """Send each batch's ciphertext bytes to the workers once (spread over them)."""
    payloads = [[ct.to_bytes() for ct in batch] for batch in records.batches]
    futures = client.scatter(payloads, hash=False)
    local = records.batches[0][0].context
    return ScatteredRecords(records.n_records, records.n_features, local.slots, records.bounds, futures, local)


def score_encrypted_distributed(client, records, model, *, context=None, approximation=None, output: str = "label",
                                bits_of_precision: float = 10.0):
    """``pyppml.ml.score_encrypted`` with one dask task per batch of records.

    Parameters
    ----------
    client : distributed.Client
    records : pyppml.ml.EncryptedRecords or ScatteredRecords
        Records on the client (sent with this call) or already on the workers
        (:func:`scatter_records`).
    model : (coef, intercept) in plaintext, an EncryptedLinearModel, or the future of either
        from :func:`share_model` (reuse it across calls)
    context : distributed.Future or ckks.Context, optional
        The public context already shared with :func:`share_context` (reuse it across
        calls); default: the records' context, shared now.

    Returns
    -------
    pyppml.ml.EncryptedScores
        One ciphertext per batch, bound to the records' context (the key holder decrypts
        with ``pyppml.ml.decrypt_outputs``).

    Raises
    ------
    WorkerContextError (a ValueError)
        The shared context lacks a key the scoring needs (the message names it).
    ValueError
        Whatever ``score_encrypted`` refuses (model size, output, range), raised from the
        worker.

    Examples
    --------
    >>> from distributed import Client, LocalCluster  # doctest: +SKIP
    >>> from pyppml.ml import inference_context, encrypt_records, decrypt_outputs  # doctest: +SKIP
    >>> ctx = inference_context(8192, encrypted_model=False)  # doctest: +SKIP
    >>> with Client(LocalCluster(n_workers=2, threads_per_worker=1)) as client:  # doctest: +SKIP
    ...     scores = score_encrypted_distributed(client, encrypt_records(X, ctx), (coef, b))
    >>> labels = decrypt_outputs(ctx, scores)  # doctest: +SKIP
    """
    from pyppml.ckks import Ciphertext
    from pyppml.ml.records import EncryptedScores

    if not isinstance(records, ScatteredRecords):
        records = scatter_records(client, records)
    local = records.context
    if context is None:
        context = share_context(client, local)
    elif not _is_future(context):  # a Context rather than a Future
        context = share_context(client, context)
    slots = records.slots
    model_future = model if _is_future(model) else share_model(client, model)
    futures = []
    for b, batch in enumerate(records.batches):
        n = min(slots, records.n_records - b * slots)
        futures.append(client.submit(_score_task, context, batch, n, records.bounds, model_future, approximation,
                                     output, bits_of_precision, pure=False))
    results = client.gather(futures)
    return EncryptedScores([Ciphertext.from_bytes(r, local) for r in results], records.n_records, output,
                           bits_of_precision)
