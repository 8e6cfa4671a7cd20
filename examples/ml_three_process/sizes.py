"""Bytes of everything the owner -> server -> client flow ships or keeps, on breast
cancer (426 training records, 30 features; 143 records scored), as reported in
docs/ml.md:

    python examples/ml_three_process/sizes.py [--poly-degree 16384 32768]
"""

from __future__ import annotations

import argparse
import os
import tempfile

from common import test_records, training_split
from pyppml._core import he

from pyppml.ml import (
    DataOwner,
    EncryptedLogisticRegression,
    encrypt_records,
    inference_context,
    save_secret_context,
    score_encrypted,
    train_encrypted,
)
from pyppml.ml.trainer import required_rotations


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} KB"


def training_sizes(poly_degree: int, folder: str) -> None:
    X, y = training_split()
    owner = DataOwner(poly_degree=poly_degree)
    dataset = owner.encrypt(X, y)
    ctx = owner.context
    public = owner.public_context_bytes()
    model = train_encrypted(owner.public_context(), dataset, progress=False)
    owner.save(os.path.join(folder, "owner.key"))
    released = EncryptedLogisticRegression.from_encrypted_model(owner, model)
    keys = len(ctx.galois_keys.elements)
    print(f"training, n = {poly_degree}: {owner.plan.iterations} iterations, {len(ctx.coeff_moduli)} data + "
          f"{len(ctx.special_moduli)} special primes, log2(QP) = {ctx.log_qp:.0f}")
    rows = [
        ("public context (owner -> server)", len(public)),
        (f"  {keys} Galois keys (rotations {required_rotations(owner.plan, owner.packing)})",
         len(he.save(ctx._native, ctx.galois_keys))),
        ("  relinearization key", len(he.save(ctx._native, ctx.relin_key))),
        ("  public key", len(he.save(ctx._native, ctx.public_key))),
        (f"encrypted data set ({len(dataset.ciphertexts)} ciphertexts, {len(X)} records)", len(dataset.to_bytes())),
        ("encrypted model (server -> owner)", len(model.to_bytes())),
        ("owner's secret file (DataOwner.save)", os.path.getsize(os.path.join(folder, "owner.key"))),
        ("  of which the secret key", len(ctx.export_secret_key())),
        ("released model (EncryptedLogisticRegression.save)", len(released.to_bytes())),
    ]
    for name, size in rows:
        print(f"  {name:<62} {_mb(size):>10}")


def inference_sizes(folder: str) -> None:
    X, _ = test_records()
    ctx = inference_context(8192, encrypted_model=False, output="score_flooded")
    records = encrypt_records(X, ctx)
    clf_coef = [0.0] * X.shape[1]
    scores = score_encrypted(records, (clf_coef, 0.0), output="score_flooded")
    save_secret_context(ctx, os.path.join(folder, "client.key"))
    rec, sc = len(records.to_bytes()), len(scores.to_bytes())
    print(f"inference, n = 8192 ({ctx.slots} records per batch), {len(X)} records of {X.shape[1]} features:")
    rows = [
        ("client's public context (client -> server)", len(ctx.to_bytes())),
        ("client's secret file (save_secret_context)", os.path.getsize(os.path.join(folder, "client.key"))),
        (f"encrypted records ({len(records.batches)} batch x {X.shape[1]} ciphertexts)", rec),
        ("  per feature and batch (one ciphertext)", len(records.batches[0][0].to_bytes())),
        (f"encrypted scores ({len(scores)} ciphertext per batch)", sc),
    ]
    for name, size in rows:
        print(f"  {name:<62} {_mb(size):>10}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poly-degree", type=int, nargs="+", default=[16384, 32768])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for n in args.poly_degree:
            training_sizes(n, folder)
        inference_sizes(folder)


if __name__ == "__main__":
    main()
