"""CKKS benchmark: pyppml, and with ``--compare`` SEAL (seal-python) and OpenFHE (the
``openfhe`` wheel, run under a Python 3.10 interpreter when one has it) in the same run,
on the parameter sets of ../shared/peers/common.py (same n, same data primes: SEAL's
CoeffModulus.Create choice), with the same op names. Prints JSON lines, then a table of
the ratios (peer time / pyppml time)."""

from __future__ import annotations

import numpy as np

from pyppml.benchmarks import peers
from pyppml.benchmarks.harness import emit, measure, result

# (N, first prime bits, scale bits, depth, special prime bits): ../shared/peers/common.py
CKKS_SETS = [
    (1 << 13, 55, 40, 2, 60),
    (1 << 14, 55, 40, 8, 60),
    (1 << 15, 55, 40, 19, 60),
    (1 << 16, 55, 40, 40, 60),
]


def chain(first: int, scale_bits: int, depth: int, special: int) -> tuple[list[int], list[int]]:
    return [first] + [scale_bits] * depth, [special]


def bench_pyppml(N, q_bits, p_bits, scale_bits, runs):
    from pyppml import ckks

    # These chains are 128-bit secure under the 2018 HE standard (what SEAL and OpenFHE
    # enforce); the 2024 table is stricter at 2^14 (430 bits).
    ctx = ckks.Context(poly_degree=N, coeff_mod_bits=q_bits, special_mod_bits=p_bits, scale_bits=scale_bits,
                       security_standard="2018")
    nat = ctx._native
    L = len(q_bits)
    scale = float(2 ** scale_bits)
    out = []

    def op(name, fn, **extra):
        timing = measure(fn, runs=runs if N < (1 << 16) else max(3, runs // 3))
        rec = result("pyppml", "ckks", N, L, name, timing, **extra)
        emit(rec)
        out.append(rec)

    sk = nat.keygen_secret()
    op("keygen", lambda: nat.keygen_public(nat.keygen_secret()), note="secret + public key")
    op("relin_keygen", lambda: nat.keygen_relin(sk))
    g1 = ctx.galois_element(1)
    op("galois_keygen", lambda: nat.keygen_galois(sk, [g1]), note="one key, rotation by 1")
    pk = nat.keygen_public(sk)
    rk = nat.keygen_relin(sk)
    gk = nat.keygen_galois(sk, [g1])
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1, 1, (2, N // 2))
    top = L - 1
    op("encode", lambda: nat.encode_real(x, scale, top), note="N/2 float64 from numpy, top level")
    pt = nat.encode_real(x, scale, top)
    pty = nat.encode_real(y, scale, top)
    op("encrypt", lambda: nat.encrypt_public(pk, pt), note="public key")
    ct = nat.encrypt_public(pk, pt)
    ct2 = nat.encrypt_public(pk, pty)
    op("decrypt", lambda: nat.decrypt(sk, ct))
    ptd = nat.decrypt(sk, ct)
    op("decode", lambda: nat.decode(ptd), note="to numpy complex128")
    op("decrypt_decode", lambda: nat.decode(nat.decrypt(sk, ct)))
    op("add", lambda: nat.add(ct, ct2))
    op("multiply", lambda: nat.multiply(ct, ct2), note="ct*ct -> size 3, no relin")
    c3 = nat.multiply(ct, ct2)
    op("relinearize", lambda: nat.relinearize(c3, rk))
    ptq = nat.encode_real(y, float(ctx.coeff_moduli[top]), top)
    op("multiply_plain", lambda: nat.multiply_plain(ct, ptq))
    cr = nat.relinearize(c3, rk)
    op("rescale", lambda: nat.rescale(cr))
    op("rotate", lambda: nat.apply_galois(ct, g1, gk), note="rotate by 1")
    # What ``a * b`` runs: the tensor, then one ModDown by q_l * P (relinearize + rescale).
    op("multiply_relin_rescale", lambda: nat.relinearize_rescale(nat.multiply(ct, ct2), rk))
    # The timed objects decrypt correctly.
    m = nat.decode(nat.decrypt(sk, nat.relinearize_rescale(nat.multiply(ct, ct2), rk))).real
    r = nat.decode(nat.decrypt(sk, nat.apply_galois(ct, g1, gk))).real
    ok = bool(np.max(np.abs(m - x * y)) < 1e-3 and np.max(np.abs(r[:-1] - x[1:])) < 1e-3)
    emit({"lib": "pyppml", "scheme": "ckks", "N": N, "L": L, "op": "_check", "ok": ok})
    return out


def run(args) -> None:
    sets = CKKS_SETS[:2] if getattr(args, "quick", False) else CKKS_SETS[:3]
    if getattr(args, "logn", None):
        sets = [s for s in CKKS_SETS if s[0].bit_length() - 1 in args.logn]
    runs = getattr(args, "runs", 10)
    records = []
    for N, first, scale_bits, depth, special in sets:
        q_bits, p_bits = chain(first, scale_bits, depth, special)
        records += bench_pyppml(N, q_bits, p_bits, scale_bits, runs)
        if getattr(args, "compare", False):
            records += peers.seal_ckks(N, q_bits, p_bits, scale_bits, runs)
            records += peers.openfhe(["--scheme", "ckks", "--logn", str(N.bit_length() - 1), "--runs", str(runs)])
    if getattr(args, "compare", False):
        peers.print_ratio_table(records, "ckks")
