"""Federated aggregation benchmarks: one SecAgg+ round (server seconds per round,
client upload vs the float32 plaintext update) at 1000 clients x 10^6 parameters, and
CKKS committee aggregation for 100 clients; ``--quick`` shrinks both.

Clients run in the same process, one after another, and their updates are generated on
the fly so memory stays O(dim); only the server's calls are timed as server time. The
client loops show a progress bar on a terminal (stderr).
"""

from __future__ import annotations

import time

import numpy as np

from pyppml.benchmarks.harness import emit, result


def _progress(items, desc: str):
    """``items`` with a tqdm bar on stderr when it is a terminal (the JSON lines go to stdout)."""
    import sys

    from tqdm.auto import tqdm

    items = list(items)
    return tqdm(items, desc=desc, unit="client", leave=False, disable=not sys.stderr.isatty())


def secagg_round(n: int, dim: int, drop_frac: float, seed: int = 0) -> dict:
    from pyppml import fl
    from pyppml.fl.common.messages import Kind

    p = fl.SecAggParams(n, dim)
    q = fl.Quantizer(1.0, n, p.mod_bits)
    server = fl.SecAggServer(p)
    clients = {i: fl.SecAggClient(i, p) for i in range(n)}
    rng = np.random.default_rng(seed)
    dropped = set(rng.choice(n, int(round(drop_frac * n)), replace=False).tolist())
    expected = np.zeros(dim)
    t_client = 0.0
    start = server.start()
    for i, c in clients.items():
        server.receive(i, c.advertise(start))
    for i, m in server.advance().items():
        server.receive(i, clients[i].share_keys(m))
    for i, m in _progress(server.advance().items(), f"secagg {n} x {dim}: masked inputs"):
        if i in dropped:
            continue
        u = np.random.default_rng(seed * 100003 + i).uniform(-1, 1, dim).astype(np.float32)
        expected += u
        t0 = time.perf_counter()
        msg = clients[i].masked_input(m, q.encode(u))
        t_client += time.perf_counter() - t0
        server.receive(i, msg)
    for i, m in server.advance().items():
        server.receive(i, clients[i].unmask(m))
    total = q.decode(server.finish())
    err = float(np.abs(total - expected).max())
    if err > n / q.scale + 1e-3:
        raise RuntimeError(f"fl benchmark: secagg sum is off by {err}")
    up = [c.bytes_sent for i, c in clients.items() if i not in dropped]
    return {"server_s": server.seconds, "upload": max(up), "plain": 4 * dim, "k": p.neighbours,
            "t": p.threshold, "survivors": len(server.survivors[Kind.MASKED]),
            "client_masking_s": t_client / max(1, n - len(dropped)), "max_err": err}


def ckks_round(n: int, dim: int) -> dict:
    """One round under a committee's collective key: each client encrypts and signs its
    update (Ed25519, pinned at the members), the server adds the ciphertexts, the members
    certify the uploads, verify and add them themselves and decrypt the sum. The
    uploads are kept until the committee has them (n times the upload in memory)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from pyppml import fl
    from pyppml.fl.ckks.uploads import server_sum

    keys = [Ed25519PrivateKey.generate() for _ in range(n)]
    com = fl.CkksCommittee(members=3, client_keys=[k.public_key() for k in keys])
    ctx = com.client_context()
    expected = np.zeros(dim)
    client_s = 0.0
    uploads = []
    for i in _progress(range(n), f"ckks public-key {n} x {dim}: uploads"):
        u = np.random.default_rng(i).uniform(-1, 1, dim)
        expected += u
        t0 = time.perf_counter()
        uploads.append(fl.sign_upload(keys[i], com.key_id, 1, fl.encrypt_update(ctx, u)))
        client_s += time.perf_counter() - t0
    upload = sum(len(b) for b in uploads[0][1])
    t0 = time.perf_counter()
    totals = server_sum(ctx, uploads)
    server_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = com.decrypt_uploads(uploads, 1, count=dim, totals=totals)
    dec_s = time.perf_counter() - t0
    err = float(np.abs(out - expected).max())
    if err > 2.0 ** -9:
        raise RuntimeError(f"fl benchmark: collective-key CKKS sum is off by {err}")
    return {"server_s": server_s, "upload": upload, "plain": 4 * dim, "client_s": client_s / n,
            "committee_decrypt_s": dec_s, "max_err": err}


def ckks_onetime_round(n: int, dim: int, members: int = 3, threshold: int | None = None) -> dict:
    """One round of CKKS aggregation under one-time committee keys; server, client and
    member times kept apart. The members sign the client set (Ed25519 keys named in the
    plan) before any share is released, as ``threshold < members`` requires."""
    from pyppml.fl.common import agreement
    from pyppml.fl.ckks.onetime import OneTimeClient, OneTimeMember, OneTimeParams, OneTimeServer

    signing = agreement.new_signing_keys(members)
    p = agreement.with_signing_keys(OneTimeParams(n, dim, members=members, threshold=threshold), signing)
    ids = agreement.new_signing_keys(n)  # client identity keys, pinned by the members (signed rounds)
    pins = {i: k.public_key() for i, k in enumerate(ids)}
    team = [OneTimeMember(j, p, pins, signing[j]) for j in range(members)]
    clients = [OneTimeClient(i, p, [m.public_key for m in team], ids[i]) for i in range(n)]
    server = OneTimeServer(p, 1)
    expected = np.zeros(dim)
    client_s = 0.0
    upload = 0
    for i, c in _progress(enumerate(clients), f"ckks one-time {n} x {dim}: uploads"):
        u = np.random.default_rng(i).uniform(-1, 1, dim)
        expected += u
        t0 = time.perf_counter()
        msg = c.upload(1, u)
        client_s += time.perf_counter() - t0
        upload = max(upload, len(msg))
        server.receive_upload(i, msg)
    member_s = 0.0
    # Members work in parallel in a deployment: per step, the slowest member's time.
    for requests, call, receive in ((server.verify_requests, "verify", server.receive_verification),
                                    (server.certify_requests, "certify", server.receive_certification),
                                    (server.decryption_requests, "decryption_share", server.receive_share)):
        worst = 0.0
        for j, req in requests(range(members)).items():
            t0 = time.perf_counter()
            reply = getattr(team[j], call)(req)
            worst = max(worst, time.perf_counter() - t0)
            receive(j, reply)
        member_s += worst
    out = server.finish()
    err = float(np.abs(out - expected).max())
    if err > 2.0 ** -p.precision_bits:
        raise RuntimeError(f"fl benchmark: one-time-key CKKS sum is off by {err}")
    return {"server_s": server.seconds, "upload": upload, "plain": 4 * dim, "client_s": client_s / n,
            "member_s": member_s, "max_err": err, "modulus_bits": p.modulus_bits, "poly_degree": p.poly_degree}


def _emit_secagg(n: int, dim: int, drop: float) -> dict:
    r = secagg_round(n, dim, drop)
    rec = result("pyppml", "secagg", n, dim, f"server_round_drop{int(drop * 100)}pct",
                 {"median_us": round(r["server_s"] * 1e6, 1), "runs": 1}, clients=n, params=dim,
                 neighbours=r["k"], threshold=r["t"], survivors=r["survivors"], upload_bytes=r["upload"],
                 plaintext_bytes=r["plain"], upload_ratio=round(r["upload"] / r["plain"], 4),
                 client_masking_us=round(r["client_masking_s"] * 1e6, 1), max_err=r["max_err"])
    emit(rec)
    return rec


def _emit_flower_secagg(n: int, dim: int, drop: float, ours: dict) -> None:
    """Flower's SecAgg+ (peer_flower_secagg) for the same n, dim and dropout, and the
    server-time / upload ratios against pyppml's line ``ours`` on stderr."""
    import sys

    from pyppml.benchmarks import peer_flower_secagg as peer

    rec = peer.record(n, dim, drop, peer.flower_secagg_round(n, dim, drop))
    emit(rec)
    print(f"secagg {n} x {dim}, drop {int(drop * 100)}%: server flwr / pyppml = "
          f"{rec['median_us'] / max(ours['median_us'], 1e-3):.1f}x, upload flwr / pyppml = "
          f"{rec['upload_bytes'] / ours['upload_bytes']:.2f}x", file=sys.stderr)


def run(args) -> None:
    quick = getattr(args, "quick", False)
    compare = getattr(args, "compare", False)
    n, dim = (100, 100_000) if quick else (1000, 1_000_000)
    flower = False
    if compare:
        from pyppml.benchmarks import peer_flower_secagg as peer

        flower = peer.flower_available()
        if not flower:
            emit({"lib": "flwr", "op": "_skipped", "note": "flwr not importable (pip install 'flwr>=1.10'); "
                  "Flower's SecAgg+ comparison skipped"})
    for drop in (0.0, 0.05):
        ours = _emit_secagg(n, dim, drop)
        if flower and n * dim <= peer.MAX_ENTRIES:
            _emit_flower_secagg(n, dim, drop, ours)
    if flower and n * dim > peer.MAX_ENTRIES:
        # Flower's server holds every masked upload (int64) at once and its Shamir and
        # masks are pure Python / NumPy: 1000 x 10^6 would take ~10 GB and ~10 minutes
        # (100 x 10^6: 1 GB, 30-80 s); compare at peer.LARGEST as well instead.
        fn, fdim = peer.LARGEST
        emit({"lib": "flwr", "scheme": "secagg", "N": n, "L": dim, "op": "_skipped",
              "note": f"{n} x {dim} is too large for Flower's in-process SecAgg+ round "
                      f"(> {peer.MAX_ENTRIES} entries); compared at {fn} x {fdim} instead"})
        for drop in (0.0, 0.05):
            ours = _emit_secagg(fn, fdim, drop)
            _emit_flower_secagg(fn, fdim, drop, ours)
    n, dim = (20, 100_000) if quick else (100, 1_000_000)
    r = ckks_onetime_round(n, dim)
    emit(result("pyppml", "ckks-agg-onetime", n, dim, "server_round", {"median_us": round(r["server_s"] * 1e6, 1),
                "runs": 1}, clients=n, params=dim, upload_bytes=r["upload"], plaintext_bytes=r["plain"],
                upload_ratio=round(r["upload"] / r["plain"], 4), client_encrypt_us=round(r["client_s"] * 1e6, 1),
                member_us=round(r["member_s"] * 1e6, 1), modulus_bits=r["modulus_bits"],
                poly_degree=r["poly_degree"], max_err=r["max_err"]))
    if getattr(args, "public_key", True):
        emit_public_key_round(n, dim)


def emit_public_key_round(n: int, dim: int) -> None:
    r = ckks_round(n, dim)
    emit(result("pyppml", "ckks-agg", n, dim, "server_round", {"median_us": round(r["server_s"] * 1e6, 1), "runs": 1},
                clients=n, params=dim, upload_bytes=r["upload"], plaintext_bytes=r["plain"],
                upload_ratio=round(r["upload"] / r["plain"], 3), client_encrypt_us=round(r["client_s"] * 1e6, 1),
                committee_decrypt_us=round(r["committee_decrypt_s"] * 1e6, 1), max_err=r["max_err"]))


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--compare", action="store_true", help="also run Flower's SecAgg+ (flwr) for the same sizes")
    ap.add_argument("--no-public-key", dest="public_key", action="store_false",
                    help="skip the collective-public-key CKKS round (slow at 10^6 parameters)")
    run(ap.parse_args())
