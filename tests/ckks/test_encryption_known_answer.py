"""Known-answer test of key generation and public-key encryption from the seeded test
generator: the SHA-256 of the secret key, the public key and two encryptions at each of
1, 2 and 3 threads, each object's bytes without its format minor and checksum (what the
format version changes). The digest was recorded with the implementation before the
fused per-limb encryption (commit 4d6a393: u, e0 and e1 lifted and transformed as whole
polynomials, format 2.2), so it pins the order in which the CSPRNG's stream is consumed
(s, then per encryption u, e0, e1) and every residue of the result, whatever the thread
count."""

import hashlib
import warnings

import numpy as np

import pyppml
from pyppml import _core, ckks
from pyppml._core import he

DIGEST = "bed3aeb9c8c49b1a1f77c77b9946282c22102bcf866b6f0c28be6348a05c4547"
MINOR, TRAILER = 5, 8


def _content(blob) -> bytes:
    blob = bytes(blob)
    return blob[:MINOR] + blob[MINOR + 1:-TRAILER]


def test_seeded_keys_and_encryptions_match_the_recorded_digest():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a small insecure ring: fast
        ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[50, 30, 30], special_mod_bits=[50], scale_bits=30,
                           security=None)
    nat = ctx._native
    before = pyppml.get_num_threads()
    try:
        _core._seed_thread_prng_for_tests(bytes(range(32)))
        sk = nat.keygen_secret()
        pk = nat.keygen_public(sk)
        pt = nat.encode_real(np.linspace(-1, 1, 2048), 2.0 ** 30, 2)
        h = hashlib.sha256()
        for t in (1, 2, 3):
            pyppml.set_num_threads(t)
            for _ in range(2):
                h.update(_content(he.save(nat, nat.encrypt_public(pk, pt))))
        h.update(_content(he.export_secret_key(nat, sk)))
    finally:
        pyppml.set_num_threads(before)
    assert h.hexdigest() == DIGEST
    # ... and the pinned ciphertexts decrypt to what was encrypted.
    out = nat.decode(nat.decrypt(sk, nat.encrypt_public(pk, pt))).real
    assert np.max(np.abs(out - np.linspace(-1, 1, 2048))) < 1e-3
