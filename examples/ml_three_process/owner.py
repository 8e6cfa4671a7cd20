"""The data owner (a hospital): encrypts its training set for the server, keeps its
secret key in a private file, and later publishes the model the server trained, through
a flooded decryption.

    python owner.py --dir exchange/ [--poly-degree 32768] [--iterations auto]

Writes exchange/public_context.ctx and exchange/dataset.bin (for the server), keeps
<private>/owner.key (SECRET: the key and the scaling of the training data), waits for
exchange/encrypted_model.bin, then writes exchange/model.ppml (the released model: no
key, no data)."""

from __future__ import annotations

import argparse
import os
import time

from common import private_folder, training_split, wait_for

from pyppml.ml import DataOwner, EncryptedLogisticRegression
from pyppml.ml.container import read_file, write_file


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, help="folder shared with the server (the network)")
    ap.add_argument("--private", help="the owner's own folder, never inside --dir (default: ~/.pyppml/owner, mode 0700)")
    ap.add_argument("--poly-degree", type=int, default=32768)
    ap.add_argument("--iterations", default="auto")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the server")
    args = ap.parse_args()
    private = private_folder(args.dir, args.private, "owner")
    iterations = args.iterations if args.iterations == "auto" else int(args.iterations)

    X, y = training_split()
    owner = DataOwner(iterations=iterations, poly_degree=args.poly_degree)
    dataset = owner.encrypt(X, y)
    owner.save(os.path.join(private, "owner.key"))            # secret key + scaling, mode 0600
    owner.save_public_context(os.path.join(args.dir, "public_context.ctx"))
    write_file(os.path.join(args.dir, "dataset.bin"), dataset.to_bytes())
    print(f"owner: {len(X)} records encrypted, plan of {owner.plan.iterations} iteration(s) sent", flush=True)
    del owner                                                   # as if the owner's process had restarted

    model_path = wait_for(os.path.join(args.dir, "encrypted_model.bin"), args.timeout)
    t0 = time.perf_counter()
    owner = DataOwner.load(os.path.join(private, "owner.key"))
    released = EncryptedLogisticRegression.from_encrypted_model(owner, read_file(model_path))
    released.save(os.path.join(args.dir, "model.ppml"))
    print(f"owner: model released (noise std per weight {released.release_['weight_std']:.1e}) "
          f"in {time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
