"""The server: trains the owner's model on ciphertexts with the public context alone,
then scores a client's encrypted records with the released model.

    python server.py --dir exchange/ [--output score_flooded]

Waits for public_context.ctx and dataset.bin, writes encrypted_model.bin; waits for
model.ppml (from the owner), client.ctx and records.bin (from the client), writes
scores.bin. It never holds a secret key: it can decrypt nothing it reads or writes."""

from __future__ import annotations

import argparse
import os
import time

from common import wait_for

from pyppml.ml import (
    EncryptedDataset,
    EncryptedLogisticRegression,
    EncryptedRecords,
    load_public_context,
    score_encrypted,
    train_encrypted,
)
from pyppml.ml.container import read_file, write_file


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--output", default="score_flooded", choices=("label", "score_flooded", "score"),
                    help="what the client may learn about the model (see pyppml.ml.inference)")
    ap.add_argument("--bits", type=float, default=10.0,
                    help="score_flooded: noise std 2^-bits times the score's public bound (a power of two)")
    ap.add_argument("--timeout", type=float, default=3600.0)
    args = ap.parse_args()
    path = lambda name: os.path.join(args.dir, name)

    # 1. Training for the owner.
    wait_for(path("public_context.ctx"), args.timeout)
    wait_for(path("dataset.bin"), args.timeout)
    t0 = time.perf_counter()
    owner_ctx = load_public_context(path("public_context.ctx"))
    dataset = EncryptedDataset.from_bytes(read_file(path("dataset.bin")), owner_ctx)
    model = train_encrypted(owner_ctx, dataset, progress=False)
    write_file(path("encrypted_model.bin"), model.to_bytes())
    print(f"server: trained {dataset.plan.iterations} iteration(s) in {time.perf_counter() - t0:.1f} s", flush=True)
    del owner_ctx, dataset, model

    # 2. Scoring for the client, with the model the owner released.
    for name in ("model.ppml", "client.ctx", "records.bin"):
        wait_for(path(name), args.timeout)
    clf = EncryptedLogisticRegression.load(path("model.ppml"))
    client_ctx = load_public_context(path("client.ctx"))
    records = EncryptedRecords.from_bytes(read_file(path("records.bin")), client_ctx)
    scores = score_encrypted(records, (clf.coef_[0], clf.intercept_[0]), output=args.output,
                             bits_of_precision=args.bits)
    write_file(path("scores.bin"), scores.to_bytes())
    print(f"server: scored {records.n_records} encrypted records ({args.output})", flush=True)


if __name__ == "__main__":
    main()
