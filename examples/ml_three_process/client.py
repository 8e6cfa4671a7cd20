"""The client: encrypts its records under its own key, sends them with its public
context, and decrypts the probabilities the server computed.

    python client.py --dir exchange/ [--out probabilities.npy]

Writes client.ctx and records.bin, keeps <private>/client.key (SECRET), waits for
scores.bin, prints the accuracy of the decrypted predictions and writes them to --out."""

from __future__ import annotations

import argparse
import os

import numpy as np
from common import private_folder, test_records, wait_for

from pyppml.ml import (
    EncryptedScores,
    decrypt_outputs,
    decrypt_probabilities,
    encrypt_records,
    inference_context,
    load_secret_context,
    save_public_context,
    save_secret_context,
)
from pyppml.ml.container import read_file, write_file


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--private", help="the client's own folder, never inside --dir (default: ~/.pyppml/client, mode 0700)")
    ap.add_argument("--output", default="score_flooded", choices=("label", "score_flooded", "score"),
                    help="what the server will return (the server's --output): sizes the client's keys")
    ap.add_argument("--out", help="write P(y = 1) of each record (labels for --output label) here (.npy)")
    ap.add_argument("--timeout", type=float, default=3600.0)
    args = ap.parse_args()
    private = private_folder(args.dir, args.private, "client")

    X, y = test_records()
    ctx = inference_context(8192, encrypted_model=False, output=args.output)
    save_secret_context(ctx, os.path.join(private, "client.key"))     # mode 0600
    save_public_context(ctx, os.path.join(args.dir, "client.ctx"))
    write_file(os.path.join(args.dir, "records.bin"), encrypt_records(X, ctx).to_bytes())
    print(f"client: {len(X)} records encrypted and sent", flush=True)
    del ctx                                                            # as if restarted

    wait_for(os.path.join(args.dir, "scores.bin"), args.timeout)
    ctx = load_secret_context(os.path.join(private, "client.key"))
    scores = EncryptedScores.from_bytes(read_file(os.path.join(args.dir, "scores.bin")), ctx)
    if scores.output == "label":
        result = decrypt_outputs(ctx, scores)                          # 0/1 labels
        labels = result
    else:
        result = decrypt_probabilities(ctx, scores)                    # P(y = 1)
        labels = (result > 0.5).astype(int)
    print(f"client: accuracy of the decrypted predictions {np.mean(labels == y):.3f}", flush=True)
    if args.out:
        np.save(args.out, result)


if __name__ == "__main__":
    main()
