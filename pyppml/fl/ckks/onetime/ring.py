"""The ring side shared by clients and committee members: the round's common reference
string a_t (uniform, expanded from a public seed, one per block t), one-time key parts
(ternary, expanded from 32-byte seeds), noise, and the two products

    client:  c_t = Encode(x_t) - a_t s + e_t          (s = sum of the client's parts)
    member:  d_t = a_t S + E_t                          (S = sum of its parts over clients)

so that sum_i c_t + sum_j d_t = Encode(sum_i x_t) + noise: the server adds uploads and
shares and decodes, and never holds a key.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from pyppml import _core
from pyppml.dp import discrete_gaussian
from pyppml.fl.ckks.onetime.params import NOISE_VARIANCE, OneTimeParams
from pyppml.fl.common.masks import agree, aead, nonce

SEED_BYTES = 32
NOISE_SIGMA = math.sqrt(NOISE_VARIANCE)


def crs_seed(params: OneTimeParams, round: int) -> bytes:
    return hashlib.sha256(b"pyppml-fl onetime crs" + params.session + int(round).to_bytes(4, "little")).digest()


def crs_block(params: OneTimeParams, seed: bytes, block: int):
    """a_t in evaluation form (uniform there, as in the coefficient domain)."""
    a = _core.Prng(seed, block).uniform_mod(params.modulus, params.poly_degree)
    return _core.RnsPoly.from_array(params.base, a.reshape(1, -1), "evaluation")


def key_in_ntt_form(params: OneTimeParams, seeds) -> object:
    """Sum of the ternary parts expanded from ``seeds``, in evaluation form; the
    intermediate NumPy buffers are wiped."""
    n, q = params.poly_degree, params.modulus
    acc = np.zeros(n, dtype=np.int64)
    for seed in seeds:
        part = _core.Prng(bytes(seed), 0).ternary(n)
        acc += part
        part.fill(0)
    acc %= q
    words = acc.astype(np.uint64).reshape(1, n)
    acc.fill(0)
    key = _core.RnsPoly.from_array(params.base, words, "coefficient")
    words.fill(0)
    key.ntt()
    return key


def noise(params: OneTimeParams) -> np.ndarray:
    """Discrete Gaussian noise of variance NOISE_VARIANCE for every block, (blocks, n),
    reduced mod q; exact sampler keyed from the operating system."""
    e = discrete_gaussian(NOISE_SIGMA, params.blocks * params.poly_degree)
    e %= params.modulus
    return e.astype(np.uint64).reshape(params.blocks, params.poly_degree)


def encode_block(params: OneTimeParams, values: np.ndarray) -> np.ndarray:
    """``values`` (n reals) as the coefficients round(scale * value) mod q, one real per
    coefficient. The encoding is additive on the plan's grid (values that are multiples
    of 1 / scale, such as the distributed-DP grid when :meth:`OneTimeParams.holds_grid`):
    the sum of the clients' encodings is the encoding of their sum, so the decrypted
    coefficients carry nothing beyond the sum and the noise. (Slot encoding rounded
    scale * sigma^-1(x) per client: each upload's rounding pattern, a function of the whole
    vector, stayed in the decrypted sum, and a server recovered the two summands of a DP
    sum from it, review 2026-12-08.) Off the grid each entry is rounded on its own
    coefficient, as any fixed-point secure sum quantizes its inputs."""
    scaled = np.rint(np.asarray(values, dtype=np.float64) * params.scale)  # scale: a power of two, exact
    return (scaled.astype(np.int64) % params.modulus).astype(np.uint64)


def client_block(params: OneTimeParams, key, a, values: np.ndarray, e: np.ndarray) -> np.ndarray:
    """c_t = Encode(values) - a_t s + e_t in coefficient form; ``values`` holds n reals
    (:func:`encode_block`)."""
    as_ = a * key
    as_.intt()
    c = _core.eltwise("sub", params.modulus, encode_block(params, values), as_.coeffs[0])
    as_.coeffs.fill(0)  # a_t s reveals the one-time key to whoever holds a_t: wipe it
    return _core.eltwise("add", params.modulus, c, e)


def member_block(params: OneTimeParams, key_sum, a, e: np.ndarray) -> np.ndarray:
    """d_t = a_t S + E_t in coefficient form."""
    d = a * key_sum
    d.intt()
    return _core.eltwise("add", params.modulus, d.coeffs[0], e)


def decode_block(params: OneTimeParams, coeffs: np.ndarray) -> np.ndarray:
    """The n reals of a decrypted block (coefficients of Encode(sum) + noise mod q)."""
    q = params.modulus
    centered = np.asarray(coeffs, dtype=np.uint64).astype(np.int64)  # q < 2^61: exact in int64
    centered[centered > q // 2] -= q
    return centered.astype(np.float64) / params.scale


def seed_key(params: OneTimeParams, secret_key, peer_public: bytes, round: int, client: int, member: int) -> bytes:
    """The AEAD key for the seeds client -> member: HKDF of their X25519 secret, bound to
    the plan (its digest covers the session, members, threshold, ...), the round and both
    indices."""
    info = b"pyppml-fl onetime seeds" + params.digest + b"".join(
        int(v).to_bytes(4, "little") for v in (round, client, member))
    return agree(secret_key, peer_public, info)


def seal_aad(params: OneTimeParams, round: int) -> bytes:
    """Associated data of the sealed seeds: the session, the round and the plan's digest,
    so that seeds sealed under one plan fail to open under another."""
    return params.session + int(round).to_bytes(4, "little") + params.digest


def key_statement(params: OneTimeParams, round: int, client: int, public_key: bytes) -> bytes:
    """What a client's identity key signs: its ephemeral X25519 key for this round. A
    server cannot then invent clients (to reach ``min_clients`` with sybils), and cannot
    pair a real client's key with seeds of its own (it lacks the ephemeral secret)."""
    return (b"pyppml-fl onetime key" + params.session + int(round).to_bytes(4, "little")
            + int(client).to_bytes(4, "little") + bytes(public_key))


def seal(key: bytes, client: int, member: int, plaintext: bytes, aad: bytes) -> bytes:
    return aead(key).encrypt(nonce(client, member), plaintext, aad)


def open_sealed(key: bytes, client: int, member: int, blob: bytes, aad: bytes) -> bytes:
    """Raises cryptography's InvalidTag when the blob was not sealed under ``key``."""
    return aead(key).decrypt(nonce(client, member), bytes(blob), aad)
