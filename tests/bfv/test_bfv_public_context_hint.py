"""A public BFV context asked to decrypt names the remedy (import the secret key), not
keygen(), which would make keys that cannot decrypt the ciphertexts it holds."""

import pytest

from pyppml import ParameterError, bfv


def test_public_context_decrypt_names_import_secret_key():
    owner = bfv.Context(poly_degree=4096, plain_modulus=65537, depth=1, security=None)
    owner.keygen()
    public = bfv.Context.from_bytes(owner.to_bytes(), min_security=None, allow_insecure=True)
    with pytest.raises(ParameterError, match=r"import_secret_key") as info:
        public.decrypt(owner.encrypt([1, 2]))
    assert "call keygen()" not in str(info.value)
    public.import_secret_key(owner.export_secret_key())
    assert list(public.decrypt(owner.encrypt([1, 2]))[:2]) == [1, 2]
