"""Logistic regression on encrypted data (CKKS): training by a server that sees only
ciphertexts, and inference on encrypted records.

The owner -> server -> client flow, every message and key file with ``to_bytes`` /
``from_bytes`` or ``save`` / ``load``: ``DataOwner`` (encrypt, ``save`` its secret state,
``save_public_context``), ``train_encrypted`` (server), ``EncryptedLogisticRegression
.from_encrypted_model`` (the owner releases the model; ``save`` / ``load``),
``inference_context``, ``encrypt_records`` and ``save_secret_context`` (client),
``score_encrypted`` (server, returns ``EncryptedScores``), ``decrypt_probabilities`` /
``decrypt_scores`` (client). docs/ml.md runs it as three processes and lists the sizes.

>>> import numpy as np
>>> from pyppml.ml import EncryptedLogisticRegression
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(80, 3)); y = (X[:, 0] - X[:, 1] > 0).astype(int)
>>> clf = EncryptedLogisticRegression(iterations=2, poly_degree=16384, progress=False).fit(X, y)
>>> bool(clf.score(X, y) > 0.8)
True
"""

from pyppml.ml.inference import (
    decrypt_outputs,
    decrypt_probabilities,
    decrypt_scores,
    encrypt_model,
    encrypt_records,
    inference_context,
    predict_encrypted,
    score_encrypted,
)
from pyppml.ml.key_trust import public_key_digest
from pyppml.ml.keys import (
    load_public_context,
    load_secret_context,
    save_public_context,
    save_secret_context,
)
from pyppml.ml.logistic import EncryptedLogisticRegression
from pyppml.ml.messages import EncryptedDataset, EncryptedModel
from pyppml.ml.owner import DataOwner
from pyppml.ml.packing import RowPacking
from pyppml.ml.plan import TrainingPlan, train_reference
from pyppml.ml.preprocess import FeatureScaler
from pyppml.ml.records import EncryptedRecords, EncryptedScores
from pyppml.ml.sigmoid import SigmoidApproximation, sigmoid
from pyppml.ml.trainer import train_encrypted

__all__ = [
    "DataOwner",
    "EncryptedDataset",
    "EncryptedLogisticRegression",
    "EncryptedModel",
    "EncryptedRecords",
    "EncryptedScores",
    "FeatureScaler",
    "RowPacking",
    "SigmoidApproximation",
    "TrainingPlan",
    "decrypt_outputs",
    "decrypt_probabilities",
    "decrypt_scores",
    "encrypt_model",
    "encrypt_records",
    "inference_context",
    "load_public_context",
    "load_secret_context",
    "predict_encrypted",
    "public_key_digest",
    "save_public_context",
    "save_secret_context",
    "score_encrypted",
    "sigmoid",
    "train_encrypted",
    "train_reference",
]
