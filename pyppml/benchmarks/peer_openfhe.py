"""OpenFHE timings for `pyppml bench --compare`, run as a script under a Python that has
the `openfhe` wheel (cpython-310 only). Standalone: standard library, numpy, openfhe.
Same parameter sets and op names as pyppml's CKKS and BFV benchmarks; JSON lines out."""

import argparse
import gc
import json
import statistics
import time

import numpy as np
import openfhe as o

CKKS = {13: (55, 40, 2), 14: (55, 40, 8), 15: (55, 40, 19), 16: (55, 40, 40)}  # first, scale, depth
BFV = {13: (39, 4, 3), 14: (47, 8, 9), 15: (54, 15, 20)}  # prime bits, L, depth knob
T = 786433


def measure(fn, runs):
    gc.disable()
    fn()
    t0 = time.perf_counter_ns()
    fn()
    one = max(time.perf_counter_ns() - t0, 1)
    inner = 1 if one >= 5e6 else int(min(2000, -(-5e6 // one)))
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter_ns() - t0) / inner)
    gc.enable()
    return {"median_us": round(statistics.median(samples) / 1e3, 3), "runs": runs, "inner": inner}


def emit(scheme, N, L, op, fn, runs):
    print(json.dumps(dict(lib="openfhe", scheme=scheme, N=N, L=L, op=op, **measure(fn, runs))), flush=True)


def enable(cc):
    for f in (o.PKE, o.KEYSWITCH, o.LEVELEDSHE):
        cc.Enable(f)
    return cc


def ckks(logn, runs):
    first, scale, depth = CKKS[logn]
    N, L = 1 << logn, depth + 1
    p = o.CCParamsCKKSRNS()
    p.SetRingDim(N)
    p.SetBatchSize(N // 2)
    p.SetMultiplicativeDepth(depth)
    p.SetFirstModSize(first)
    p.SetScalingModSize(scale)
    p.SetScalingTechnique(o.FIXEDMANUAL)
    p.SetKeySwitchTechnique(o.HYBRID)
    p.SetNumLargeDigits(L)
    p.SetSecurityLevel(o.HEStd_128_classic)
    cc = enable(o.GenCryptoContext(p))
    sk, pk = timed_keys(cc, "ckks", N, L, runs)
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1, 1, (2, N // 2)).tolist()
    emit("ckks", N, L, "encode", lambda: cc.MakeCKKSPackedPlaintext(x), runs)
    pt, pty = cc.MakeCKKSPackedPlaintext(x), cc.MakeCKKSPackedPlaintext(y)
    emit("ckks", N, L, "encrypt", lambda: cc.Encrypt(pk, pt), runs)
    ct, ct2 = cc.Encrypt(pk, pt), cc.Encrypt(pk, pty)
    emit("ckks", N, L, "decrypt_decode", lambda: cc.Decrypt(sk, ct).GetRealPackedValue(), runs)
    emit("ckks", N, L, "add", lambda: cc.EvalAdd(ct, ct2), runs)
    emit("ckks", N, L, "multiply", lambda: cc.EvalMultNoRelin(ct, ct2), runs)
    c3 = cc.EvalMultNoRelin(ct, ct2)
    emit("ckks", N, L, "relinearize", lambda: cc.Relinearize(c3), runs)
    emit("ckks", N, L, "multiply_plain", lambda: cc.EvalMult(ct, pty), runs)
    cr = cc.EvalMult(ct, ct2)
    emit("ckks", N, L, "rescale", lambda: cc.Rescale(cr), runs)
    emit("ckks", N, L, "rotate", lambda: cc.EvalRotate(ct, 1), runs)
    emit("ckks", N, L, "multiply_relin_rescale", lambda: cc.Rescale(cc.EvalMult(ct, ct2)), runs)


def timed_keys(cc, scheme, N, L, runs):
    """Time key, relinearization-key and rotation-key generation; return (sk, pk) with
    the evaluation keys of one product and a rotation by 1 in place."""
    kp = cc.KeyGen()
    sk, pk = kp.secretKey, kp.publicKey
    emit(scheme, N, L, "keygen", lambda: cc.KeyGen(), runs)
    # OpenFHE keeps generated keys in a global map: clear it so each call really generates.
    emit(scheme, N, L, "relin_keygen", lambda: (o.ClearEvalMultKeys(), cc.EvalMultKeyGen(sk)), runs)
    emit(scheme, N, L, "galois_keygen", lambda: (cc.ClearEvalAutomorphismKeys(), cc.EvalRotateKeyGen(sk, [1])), runs)
    cc.EvalMultKeyGen(sk)
    cc.EvalRotateKeyGen(sk, [1])
    return sk, pk


def bfv(logn, runs):
    bits, L, depth = BFV[logn]
    N = 1 << logn
    p = o.CCParamsBFVRNS()
    p.SetPlaintextModulus(T)
    p.SetRingDim(N)
    p.SetMultiplicativeDepth(depth)
    p.SetScalingModSize(bits)
    p.SetKeySwitchTechnique(o.HYBRID)
    p.SetNumLargeDigits(L)
    p.SetSecurityLevel(o.HEStd_128_classic)
    cc = enable(o.GenCryptoContext(p))
    sk, pk = timed_keys(cc, "bfv", N, L, runs)
    rng = np.random.default_rng(2)
    x, y = rng.integers(0, 1000, (2, N)).tolist()
    emit("bfv", N, L, "encode", lambda: cc.MakePackedPlaintext(x), runs)
    pt, pty = cc.MakePackedPlaintext(x), cc.MakePackedPlaintext(y)
    emit("bfv", N, L, "encrypt", lambda: cc.Encrypt(pk, pt), runs)
    ct, ct2 = cc.Encrypt(pk, pt), cc.Encrypt(pk, pty)
    emit("bfv", N, L, "decrypt_decode", lambda: cc.Decrypt(sk, ct).GetPackedValue(), runs)
    emit("bfv", N, L, "add", lambda: cc.EvalAdd(ct, ct2), runs)
    emit("bfv", N, L, "multiply", lambda: cc.EvalMultNoRelin(ct, ct2), runs)
    c3 = cc.EvalMultNoRelin(ct, ct2)
    emit("bfv", N, L, "relinearize", lambda: cc.Relinearize(c3), runs)
    emit("bfv", N, L, "multiply_plain", lambda: cc.EvalMult(ct, pty), runs)
    emit("bfv", N, L, "rotate", lambda: cc.EvalRotate(ct, 1), runs)
    emit("bfv", N, L, "multiply_relin", lambda: cc.EvalMult(ct, ct2), runs)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--scheme", choices=["ckks", "bfv"], required=True)
    ap.add_argument("--logn", type=int, required=True)
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args()
    (ckks if a.scheme == "ckks" else bfv)(a.logn, a.runs)
