"""Known-answer test of key generation and public-key encryption from the seeded test
generator: the SHA-256 of the secret key, the public key and two encryptions at each of
1, 2 and 3 threads. The digest was recorded with the implementation before the fused
per-limb encryption (commit 4d6a393: u, e0 and e1 lifted and transformed as whole
polynomials), so it pins the order in which the CSPRNG's stream is consumed (s, then
per encryption u, e0, e1) and every residue of the result, whatever the thread count."""

import hashlib
import warnings

import numpy as np

import pyppml
from pyppml import _core, ckks
from pyppml._core import he

DIGEST = "0ce806f7f4472b8f8f9dc24b492e9b21a65f0a7d504325253bdd290bfbec13bd"


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
                h.update(he.save(nat, nat.encrypt_public(pk, pt)))
        h.update(bytes(he.export_secret_key(nat, sk)))
    finally:
        pyppml.set_num_threads(before)
    assert h.hexdigest() == DIGEST
    # ... and the pinned ciphertexts decrypt to what was encrypted.
    out = nat.decode(nat.decrypt(sk, nat.encrypt_public(pk, pt))).real
    assert np.max(np.abs(out - np.linspace(-1, 1, 2048))) < 1e-3
