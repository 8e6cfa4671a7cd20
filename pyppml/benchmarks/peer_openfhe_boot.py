"""OpenFHE's CKKS bootstrap for `pyppml bench boot --compare`, run under a Python that has
the `openfhe` wheel (cpython-310 only). Standard library, numpy and openfhe only.

Parameters as OpenFHE's own bootstrapping benchmark at 128-bit security: N = 2^16, full
slots, FLEXIBLEAUTO, HYBRID key switching with 4 digits, level budget {3, 3}, 50-bit
scaling primes and a 57-bit first prime, SPARSE_ENCAPSULATED secret (a dense secret with
the sparse ephemeral one for the bootstrap), 9 levels asked for after it. ``--stc-first``
runs SlotsToCoeffs before ModRaise (OpenFHE 1.6's faster ordering)."""

import argparse
import json
import math
import time

import numpy as np
import openfhe as o


def line(**rec):
    print(json.dumps(dict(lib="openfhe", scheme="ckks", **rec)), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--logn", type=int, default=16)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--stc-first", action="store_true")
    a = ap.parse_args()
    budget, levels_after = [3, 3], 9
    secret = o.SPARSE_ENCAPSULATED
    params = o.CCParamsCKKSRNS()
    params.SetSecretKeyDist(secret)
    params.SetSecurityLevel(o.HEStd_128_classic if a.logn >= 16 else o.HEStd_NotSet)
    params.SetRingDim(1 << a.logn)
    params.SetScalingModSize(50)
    params.SetFirstModSize(57)
    params.SetScalingTechnique(o.FLEXIBLEAUTO)
    params.SetKeySwitchTechnique(o.HYBRID)
    params.SetNumLargeDigits(4)
    depth = levels_after + o.CryptoContext.GetBootstrapDepth(budget, secret)
    params.SetMultiplicativeDepth(depth)
    cc = o.GenCryptoContext(params)
    for feature in (o.PKE, o.KEYSWITCH, o.LEVELEDSHE, o.ADVANCEDSHE, o.FHE):
        cc.Enable(feature)
    n = cc.GetRingDimension()
    slots = n // 2
    t0 = time.perf_counter()
    if a.stc_first:
        cc.EvalBootstrapSetup(budget, [0, 0], slots, 0, True, True)
    else:
        cc.EvalBootstrapSetup(budget, [0, 0], slots)
    keys = cc.KeyGen()
    cc.EvalMultKeyGen(keys.secretKey)
    cc.EvalBootstrapKeyGen(keys.secretKey, slots)
    line(N=n, op="bootstrap_keygen", seconds=round(time.perf_counter() - t0, 2), depth=depth, stc_first=a.stc_first)
    x = np.random.default_rng(1).uniform(-1, 1, slots)
    level = depth - 1 - (budget[1] if a.stc_first else 0)
    ct = cc.Encrypt(keys.publicKey, cc.MakeCKKSPackedPlaintext(x.tolist(), 1, level, None, slots))
    times, res = [], None
    for _ in range(a.runs):
        t0 = time.perf_counter()
        res = cc.EvalBootstrap(ct)
        times.append(time.perf_counter() - t0)
    pt = cc.Decrypt(keys.secretKey, res)
    pt.SetLength(slots)
    err = np.abs(np.array(pt.GetRealPackedValue()) - x)
    times.sort()
    med = times[len(times) // 2]
    line(N=n, op="bootstrap", slots=slots, median_s=round(med, 3), median_us=round(med * 1e6, 1), runs=a.runs,
         precision_bits_max=round(-math.log2(max(err.max(), 1e-300)), 2),
         precision_bits_mean=round(-math.log2(max(err.mean(), 1e-300)), 2),
         levels_after=depth - res.GetLevel() - (budget[1] if a.stc_first else 0), stc_first=a.stc_first)


if __name__ == "__main__":
    main()
