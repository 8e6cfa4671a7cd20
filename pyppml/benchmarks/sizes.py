"""Sizes on the wire: the bytes of every CKKS object pyppml serializes, beside TenSEAL's
for the same parameters under ``--compare`` (TenSEAL compresses with zstd; pyppml stores
uniform halves as 32-byte seeds and packs every row at its prime's width, after which
zstd finds nothing left: the ``zstd_bytes`` field shows it).

One JSON line per (library, parameter set, object): ``op`` is ``bytes_<object>``,
``bytes`` the serialized size, ``median_us`` the time to serialize it.

    pyppml bench sizes [--compare]
"""

from __future__ import annotations

import numpy as np

from pyppml.benchmarks.harness import emit, measure, result

# (n, data prime bits, special prime bits, scale bits): TenSEAL's tutorial set, then the
# peers' 2^13 and 2^14 chains (../shared/peers/common.py).
SETS = [(8192, [60, 40, 40], [60], 40), (8192, [55, 40, 40], [60], 40), (16384, [55] + [40] * 8, [60], 40)]


def _zstd(data: bytes):
    try:
        import zstandard
    except ImportError:
        return None
    return len(zstandard.ZstdCompressor(level=19).compress(data))


def _emit(lib, n, levels, name, data_fn, runs, **extra):
    data = data_fn()
    timing = measure(data_fn, runs=runs, target_ms=2.0)
    emit(result(lib, "ckks", n, levels, f"bytes_{name}", timing, bytes=len(data), zstd_bytes=_zstd(data), **extra))


def _pyppml(n, q_bits, p_bits, scale_bits, runs):
    from pyppml import ckks

    ctx = ckks.Context(poly_degree=n, coeff_mod_bits=q_bits, special_mod_bits=p_bits, scale_bits=scale_bits,
                       security_standard="2018")
    ctx.keygen(rotations=[1])
    L = len(q_bits)
    x = np.random.default_rng(0).uniform(-1, 1, n // 2)
    pk_ct, sym_ct = ctx.encrypt(x, symmetric=False), ctx.encrypt(x)
    _emit("pyppml", n, L, "ciphertext_public_key", pk_ct.to_bytes, runs, note="fresh, public-key encryption")
    _emit("pyppml", n, L, "ciphertext_symmetric", sym_ct.to_bytes, runs, note="fresh, secret-key: c1 as a seed")
    _emit("pyppml", n, L, "ciphertext_after_multiply", lambda: (pk_ct * pk_ct).to_bytes(), runs,
          note="relinearized and rescaled: one level less")
    _emit("pyppml", n, L, "public_key", lambda: ctx.key_to_bytes(ctx.public_key), runs)
    _emit("pyppml", n, L, "relin_key", lambda: ctx.key_to_bytes(ctx.relin_key), runs)
    _emit("pyppml", n, L, "galois_key_one_rotation", lambda: ctx.key_to_bytes(ctx.galois_keys), runs, note="rotation by 1")
    _emit("pyppml", n, L, "secret_key", ctx.export_secret_key, runs)
    ctx.generate_rotation_keys(ctx.default_rotations())
    _emit("pyppml", n, L, "public_context_power_of_two_rotations", ctx.to_bytes, max(2, runs // 5),
          note="public + relin + Galois keys for +-2^k and conjugation, like TenSEAL's generate_galois_keys")


def _tenseal(n, q_bits, p_bits, scale_bits, runs):
    import tenseal as ts

    t = ts.context(ts.SCHEME_TYPE.CKKS, n, coeff_mod_bit_sizes=q_bits + p_bits)
    t.global_scale = 2.0**scale_bits
    L = len(q_bits)
    x = np.random.default_rng(0).uniform(-1, 1, n // 2)
    v = ts.ckks_vector(t, x)
    _emit("tenseal", n, L, "ciphertext_public_key", v.serialize, runs, note="CKKSVector, public-key encryption")
    _emit("tenseal", n, L, "ciphertext_after_multiply", lambda: (v * v).serialize(), runs)
    _emit("tenseal", n, L, "secret_key", lambda: t.serialize(save_public_key=False, save_secret_key=True,
                                                                save_galois_keys=False, save_relin_keys=False), runs,
          note="context with the secret key only")
    t.generate_galois_keys()
    _emit("tenseal", n, L, "public_context_power_of_two_rotations",
          lambda: t.serialize(save_secret_key=False), max(2, runs // 5), note="public + relin + Galois keys")


def run(args) -> None:
    runs = 3 if args.quick else max(3, args.runs // 2)
    for n, q_bits, p_bits, scale_bits in SETS[:1] if args.quick else SETS:
        _pyppml(n, q_bits, p_bits, scale_bits, runs)
        if args.compare:
            try:
                import tenseal  # noqa: F401
            except ImportError:
                emit({"lib": "tenseal", "op": "_skipped", "note": "TenSEAL not installed (pip install tenseal)"})
                continue
            _tenseal(n, q_bits, p_bits, scale_bits, runs)
