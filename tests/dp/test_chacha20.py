"""ChaCha20 keystream: RFC 8439 vector, and every SIMD path (AVX-512: 16 blocks in
parallel) bit-identical to the scalar path and to blocks composed from the RFC block function."""

import numpy as np
import pytest

from pyppml import _core, ring

KEY = bytes(range(32))


def test_rfc8439_block_vector():
    # RFC 8439, section 2.3.2.
    out = _core.chacha20_block(KEY, 1, bytes.fromhex("000000090000004a00000000"))
    assert out[:16].hex() == "10f1e7e4d13b5915500fdd1fa32071c4"
    assert out[-4:].hex() == "a2503c4e"


def composed(seed, stream, blocks):
    """Keystream from the RFC block function: words 12..13 = 64-bit counter, 14..15 = stream."""
    out = b""
    for c in range(blocks):
        nonce = (c >> 32).to_bytes(4, "little") + stream.to_bytes(8, "little")
        out += _core.chacha20_block(seed, c & 0xFFFFFFFF, nonce)
    return out


@pytest.mark.parametrize("blocks", [1, 15, 16, 17, 33, 100])
def test_each_backend_matches_rfc_composition(backend, blocks):
    want = composed(KEY, 7, blocks)
    got = _core.Prng(KEY, 7).random_bytes(64 * blocks)
    assert got == want, f"backend {backend}"


def test_avx512_equals_scalar_on_long_streams():
    backends = ring.available_backends()
    outs = {}
    for b in backends:
        with ring.use_backend(b):
            p = _core.Prng(KEY, 3)
            outs[b] = np.concatenate([p.uint64(1), p.uint64(1000), p.uint64(4099)])
    ref = outs["scalar"]
    for b, o in outs.items():
        assert np.array_equal(o, ref), b
