"""The peers timed beside pyppml by ``pyppml bench --compare``: SEAL through seal-python
(in this process) and OpenFHE through its wheel (in a Python 3.10 subprocess, the only
version it ships for). Each is skipped with a note when not installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np

from pyppml.benchmarks.harness import emit, measure, result


def _seal():
    try:
        import seal  # seal-python

        return seal
    except ImportError:
        emit({"lib": "seal", "op": "_skipped", "note": "seal-python not importable (pip install seal-python)"})
        return None


def _seal_context(seal, scheme, N, bits, t=None):
    parms = seal.EncryptionParameters(scheme)
    parms.set_poly_modulus_degree(N)
    parms.set_coeff_modulus(seal.CoeffModulus.Create(N, bits))
    if t is not None:
        parms.set_plain_modulus(t)
    sec = seal.sec_level_type.tc128 if seal.CoeffModulus.MaxBitCount(N, seal.sec_level_type.tc128) > 0 \
        else seal.sec_level_type.none
    return seal.SEALContext(parms, True, sec)


def seal_ckks(N, q_bits, p_bits, scale_bits, runs):
    seal = _seal()
    if seal is None:
        return []
    ctx = _seal_context(seal, seal.scheme_type.ckks, N, q_bits + p_bits)
    L = len(q_bits)
    scale = 2.0 ** scale_bits
    kg = seal.KeyGenerator(ctx)
    sk, pk = kg.secret_key(), kg.create_public_key()
    enc, ev = seal.CKKSEncoder(ctx), seal.Evaluator(ctx)
    encr, decr = seal.Encryptor(ctx, pk), seal.Decryptor(ctx, sk)
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1, 1, (2, N // 2))
    out = []

    def op(name, fn):
        rec = result("seal", "ckks", N, L, name, measure(fn, runs=runs if N < (1 << 16) else max(3, runs // 3)))
        emit(rec)
        out.append(rec)

    op("keygen", lambda: seal.KeyGenerator(ctx).create_public_key())
    op("relin_keygen", lambda: kg.create_relin_keys())
    op("galois_keygen", lambda: kg.create_galois_keys([1], seal.GaloisKeys()))
    rk, gk = kg.create_relin_keys(), seal.GaloisKeys()
    kg.create_galois_keys([1], gk)
    op("encode", lambda: enc.encode(x, scale))
    pt, pty = enc.encode(x, scale), enc.encode(y, scale)
    op("encrypt", lambda: encr.encrypt(pt))
    ct, ct2 = encr.encrypt(pt), encr.encrypt(pty)
    op("decrypt", lambda: decr.decrypt(ct))
    ptd = decr.decrypt(ct)
    op("decode", lambda: enc.decode(ptd))
    op("decrypt_decode", lambda: enc.decode(decr.decrypt(ct)))
    op("add", lambda: ev.add(ct, ct2))
    op("multiply", lambda: ev.multiply(ct, ct2))
    c3 = ev.multiply(ct, ct2)
    op("relinearize", lambda: ev.relinearize(c3, rk))
    op("multiply_plain", lambda: ev.multiply_plain(ct, pty))
    cr = ev.relinearize(c3, rk)
    op("rescale", lambda: ev.rescale_to_next(cr))
    op("rotate", lambda: ev.rotate_vector(ct, 1, gk))
    op("multiply_relin_rescale", lambda: ev.rescale_to_next(ev.relinearize(ev.multiply(ct, ct2), rk)))
    return out


def _python310() -> str | None:
    for cand in (os.environ.get("PYPPML_OPENFHE_PYTHON"), os.path.expanduser("~/.peers/venv310/bin/python"),
                 shutil.which("python3.10"), "/root/.pyenv/versions/3.10.13/bin/python"):
        if cand and os.path.exists(cand):
            try:
                subprocess.run([cand, "-c", "import openfhe"], check=True, capture_output=True, timeout=60)
                return cand
            except (subprocess.SubprocessError, OSError):
                continue
    return None


def openfhe(argv: list[str], script: str = "peer_openfhe.py", timeout: float = 3600, annotate=None) -> list[dict]:
    """Run ``script`` (peer_openfhe.py by default) under a Python that has the openfhe
    wheel, on OMP_NUM_THREADS threads (one when unset: OpenFHE's OpenMP default is every
    core); its JSON lines, with an ``omp_threads`` field and passed through ``annotate``
    when given, are echoed and returned."""
    py = _python310()
    if py is None:
        emit({"lib": "openfhe", "op": "_skipped",
              "note": "no Python with the openfhe wheel (set PYPPML_OPENFHE_PYTHON; the wheel is cpython-310 only)"})
        return []
    path = os.path.join(os.path.dirname(__file__), script)
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    proc = subprocess.run([py, path] + argv, capture_output=True, text=True, env=env, timeout=timeout)
    out = []
    for line in proc.stdout.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        rec.setdefault("omp_threads", env["OMP_NUM_THREADS"])
        if annotate is not None:
            rec = annotate(rec)
        emit(rec)
        out.append(rec)
    if proc.returncode != 0:
        emit({"lib": "openfhe", "op": "_error", "note": proc.stderr[-500:]})
    return out


def print_ratio_table(records: list[dict], scheme: str, stream=sys.stderr) -> None:
    """Peer time / pyppml time per (N, op), measured in this run."""
    times: dict[tuple, dict] = {}
    for r in records:
        if r.get("scheme") == scheme and "median_us" in r:
            times.setdefault((r["N"], r["op"]), {})[r["lib"]] = r["median_us"]
    libs = [lib for lib in ("seal", "openfhe") if any(lib in v for v in times.values())]
    print(f"\n{scheme.upper()}: median us (ratio = peer / pyppml, > 1: pyppml faster)", file=stream)
    header = f"{'N':>6} {'op':<24} {'pyppml':>10}" + "".join(f" {lib:>10} {'ratio':>6}" for lib in libs)
    print(header, file=stream)
    for (N, op), v in sorted(times.items()):
        if "pyppml" not in v:
            continue
        row = f"{N:>6} {op:<24} {v['pyppml']:>10.1f}"
        for lib in libs:
            if lib in v:
                row += f" {v[lib]:>10.1f} {v[lib] / v['pyppml']:>6.2f}"
            else:
                row += f" {'-':>10} {'-':>6}"
        print(row, file=stream)
