"""AES-128 CTR expansion of public uniform polynomials (csrc/random/aes_ctr.hpp).

Oracle chain: FIPS-197 / SP 800-38A vectors -> portable scalar cipher -> AES-NI and VAES
kernels (bit-identical); a pure-Python mask-and-reject over the scalar keystream -> every
kernel of uniform_mod_ctr; a chi-square test at false-failure rate 1e-6 for uniformity."""

import math

import numpy as np
import pytest

from pyppml import _core, ring

KEY = bytes(range(16))
U64 = 1 << 64
Q52 = 4503599626321921  # largest prime < 2^52 that is 1 mod 2^17 (NTT-friendly up to N = 2^16)
Q60 = 1152921504606584833  # same, below 2^60
Q40 = (1 << 40) + 15  # prime just above 2^40: a masked word is accepted with probability ~1/2
QS = [2, 3, (1 << 31) - 1, Q40, Q52, Q60, (1 << 63) - 25]
COUNTS = [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4096]


def kernels():
    """{kernel name: backend selecting it}, one entry per kernel reachable on this machine."""
    out = {}
    for b in ring.available_backends():
        with ring.use_backend(b):
            out.setdefault(_core.aes128_ctr_kernel(), b)
    return out


KERNELS = kernels()


def on(kernel, fn, *args):
    with ring.use_backend(KERNELS[kernel]):
        assert _core.aes128_ctr_kernel() == kernel
        return fn(*args)


def block_words(block):
    """(counter, nonce) whose little-endian bytes make up the 16-byte input `block`."""
    return int.from_bytes(block[:8], "little"), int.from_bytes(block[8:], "little")


def test_kernel_names_follow_backend():
    assert "scalar" in KERNELS
    with ring.use_backend("scalar"):
        assert _core.aes128_ctr_kernel() == "scalar"
    feats = _core.cpu_features()
    if "avx512" in ring.available_backends() and "vaes" in feats and "aes" in feats:
        assert "vaes" in KERNELS
    if "avx2" in ring.available_backends() and "aes" in feats:
        assert "aesni" in KERNELS


@pytest.mark.parametrize("kernel", KERNELS)
def test_fips197_appendix_c1(kernel):
    counter, nonce = block_words(bytes.fromhex("00112233445566778899aabbccddeeff"))
    got = on(kernel, _core.aes128_ctr, bytes(range(16)), nonce, counter, 1)
    assert got.hex() == "69c4e0d86a7b0430d8cdb78070b4c55a"


@pytest.mark.parametrize("kernel", KERNELS)
def test_sp800_38a_f51_ctr_aes128(kernel):
    # FIPS-197 A.1 key; SP 800-38A F.5.1 counter blocks (a 128-bit big-endian counter, so each
    # block is its own call here: only its last bytes, our nonce half, change).
    key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    plain = bytes.fromhex(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
    )
    cipher = bytes.fromhex(
        "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
        "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"
    )
    base = int.from_bytes(bytes.fromhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), "big")
    stream = b""
    for i in range(4):
        counter, nonce = block_words(((base + i) % (1 << 128)).to_bytes(16, "big"))
        stream += on(kernel, _core.aes128_ctr, key, nonce, counter, 1)
    assert stream[:16].hex() == "ec8cdf7398607cb0f2d21675ea9ea1e4"
    assert bytes(a ^ b for a, b in zip(stream, plain)) == cipher


def test_matches_cryptography_library():
    """Independent oracle when the `cryptography` package is present: E_k of each input block."""
    ciphers = pytest.importorskip("cryptography.hazmat.primitives.ciphers")
    key, nonce, counter = bytes(range(100, 116)), 0x0123456789ABCDEF, U64 - 40
    ecb = ciphers.Cipher(ciphers.algorithms.AES(key), ciphers.modes.ECB()).encryptor()
    blocks = b"".join(((counter + i) % U64).to_bytes(8, "little") + nonce.to_bytes(8, "little") for i in range(100))
    want = ecb.update(blocks)
    for kernel in KERNELS:
        assert on(kernel, _core.aes128_ctr, key, nonce, counter, 100) == want, kernel


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("counter", [0, 5, (1 << 32) - 3, U64 - 1, U64 - 5, U64 - 40])
@pytest.mark.parametrize("nonce", [0, 0xFFFFFFFFFFFFFFFF, 0x0123456789ABCDEF])
def test_ctr_kernels_bit_identical_and_wrap(kernel, counter, nonce):
    for blocks in [0, 1, 3, 4, 5, 31, 32, 33, 67, 100]:
        want = on("scalar", _core.aes128_ctr, KEY, nonce, counter, blocks)
        got = on(kernel, _core.aes128_ctr, KEY, nonce, counter, blocks)
        assert len(got) == 16 * blocks
        assert got == want, (kernel, blocks)
    # Definition: block i is E(counter + i mod 2^64 || nonce); the nonce never changes.
    got = on(kernel, _core.aes128_ctr, KEY, nonce, counter, 67)
    for i in range(67):
        single = on("scalar", _core.aes128_ctr, KEY, nonce, (counter + i) % U64, 1)
        assert got[16 * i : 16 * i + 16] == single, (kernel, i)


def python_uniform(key, nonce, q, count):
    """Oracle: the scalar keystream from counter 0 as little-endian words, masked to the
    bit length of q - 1, kept when below q."""
    mask = (1 << (q - 1).bit_length()) - 1
    out, counter = [], 0
    while len(out) < count:
        chunk = on("scalar", _core.aes128_ctr, key, nonce, counter, 64)
        counter += 64
        for k in range(0, len(chunk), 8):
            v = int.from_bytes(chunk[k : k + 8], "little") & mask
            if v < q and len(out) < count:
                out.append(v)
    return np.array(out, dtype=np.uint64)


@pytest.mark.parametrize("q", QS)
def test_uniform_scalar_matches_python_oracle(q):
    for count in [0, 1, 9, 300]:
        got = on("scalar", _core.aes128_uniform_mod, KEY, 11, q, count)
        assert got.dtype == np.uint64 and got.shape == (count,)
        assert np.array_equal(got, python_uniform(KEY, 11, q, count)), count


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("q", QS)
def test_uniform_kernels_bit_identical(kernel, q):
    nonce = 0xDEADBEEF
    longest = on("scalar", _core.aes128_uniform_mod, KEY, nonce, q, max(COUNTS))
    assert np.all(longest < q)
    for count in COUNTS:
        got = on(kernel, _core.aes128_uniform_mod, KEY, nonce, q, count)
        # A prefix of the same stream: shorter requests keep the first `count` values.
        assert np.array_equal(got, longest[:count]), (kernel, count)
    if kernel != "scalar":
        assert np.array_equal(got, python_uniform(KEY, nonce, q, max(COUNTS)))


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("q", QS)
def test_consecutive_streams_equal_one_call_per_nonce(kernel, q):
    """Key expansion's form (256-word streams, consecutive nonces, round keys loaded once):
    the same values as one call per stream, on every kernel."""
    nonce, streams, count = (3 << 48) | (5 << 32) | 7, 5, 256
    want = np.concatenate([on("scalar", _core.aes128_uniform_mod, KEY, nonce + k, q, count) for k in range(streams)])
    got = on(kernel, _core.aes128_uniform_mod, KEY, nonce, q, count, streams)
    assert np.array_equal(got, want), kernel
    assert np.array_equal(on(kernel, _core.aes128_uniform_mod, KEY, nonce, q, 9, 3)[9:18],
                          on("scalar", _core.aes128_uniform_mod, KEY, nonce + 1, q, 9))
    with pytest.raises(_core.ParameterError, match=r"aes128_uniform_mod: streams is out of range"):
        _core.aes128_uniform_mod(KEY, nonce, q, count, 0)


def test_uniform_streams_differ_by_nonce_and_key():
    a = _core.aes128_uniform_mod(KEY, 0, Q60, 64)
    assert not np.array_equal(a, _core.aes128_uniform_mod(KEY, 1, Q60, 64))
    assert not np.array_equal(a, _core.aes128_uniform_mod(bytes(16), 0, Q60, 64))


def chi2_threshold(df, alpha=1e-6):
    """Upper alpha-quantile of chi-square(df): scipy if present, else Wilson-Hilferty with a
    margin (that approximation is within a few percent in this range; +10% keeps it safe)."""
    try:
        from scipy.stats import chi2

        return chi2.isf(alpha, df)
    except ImportError:
        z = 4.7534243  # upper 1e-6 point of the standard normal
        return 1.1 * df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def chi2_statistic(values, q, buckets=64):
    counts = np.bincount((values.astype(object) * buckets // q).astype(np.int64), minlength=buckets)
    edges = [(q * i + buckets - 1) // buckets for i in range(buckets + 1)]  # first value of each bucket
    expected = np.diff(np.array(edges, dtype=np.float64)) / q * len(values)
    return float(((counts - expected) ** 2 / expected).sum())


@pytest.mark.parametrize("q", [Q40, Q60, (1 << 31) - 1])
def test_uniform_chi_square(q):
    values = _core.aes128_uniform_mod(bytes(range(32, 48)), 7, q, 200_000)
    assert np.all(values < q)
    assert chi2_statistic(values, q) < chi2_threshold(63)


def test_chi_square_detects_modulo_bias():
    """Power check: unmasked words reduced mod q = 3 * 2^61 + 1 (2^64 = 2q + 2^62 - 2) put
    weight 3 on [0, 2^62) and 2 on [2^62, q); the same statistic must reject it."""
    q = 3 * (1 << 61) + 1
    words = np.frombuffer(_core.aes128_ctr(bytes(range(32, 48)), 7, 0, 100_000), dtype="<u8")
    biased = np.array([int(w) % q for w in words], dtype=np.uint64)
    assert chi2_statistic(biased, q) > chi2_threshold(63)


def test_bad_arguments_raise_parameter_error():
    with pytest.raises(_core.ParameterError, match=r"aes128_ctr: key has the wrong length; expected 16 bytes, got 15"):
        _core.aes128_ctr(bytes(15), 0, 0, 1)
    with pytest.raises(_core.ParameterError, match=r"aes128_ctr: blocks is negative"):
        _core.aes128_ctr(KEY, 0, 0, -1)
    with pytest.raises(_core.ParameterError, match=r"aes128_ctr: counter is out of range.*got 18446744073709551616"):
        _core.aes128_ctr(KEY, 0, U64, 1)
    with pytest.raises(_core.ParameterError, match=r"aes128_ctr: blocks is too large"):
        _core.aes128_ctr(KEY, 0, 0, 1 << 60)
    with pytest.raises(_core.ParameterError, match=r"aes128_ctr: nonce is out of range.*got -1"):
        _core.aes128_ctr(KEY, -1, 0, 1)
    with pytest.raises(_core.ParameterError, match=r"aes128_uniform_mod: key has the wrong length"):
        _core.aes128_uniform_mod(bytes(17), 0, 3, 1)
    for q in [-5, 0, 1, 1 << 63, U64 - 1, U64]:
        with pytest.raises(_core.ParameterError, match=r"aes128_uniform_mod: q is out of range; expected 2 <= q < 2\^63"):
            _core.aes128_uniform_mod(KEY, 0, q, 1)
    with pytest.raises(_core.ParameterError, match=r"aes128_uniform_mod: count is negative"):
        _core.aes128_uniform_mod(KEY, 0, 3, -1)
    assert issubclass(_core.ParameterError, ValueError)
    with pytest.raises(TypeError):
        _core.aes128_ctr(KEY, 1.5, 0, 1)
