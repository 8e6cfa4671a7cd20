"""Decryption for release, against IND-CPA^D attacks on CKKS (Li-Micciancio 2021;
Guo et al. 2024; SECURITY.md section 3).

A plain CKKS decryption returns m + e where the error e depends on the secret key; an
adversary who sees decryptions of ciphertexts it chose can solve for the key. Before
decoding, ``flooded_decrypt`` adds to every coefficient of the decrypted polynomial an
exact discrete Gaussian (pyppml.dp, fed by the CSPRNG) of standard deviation
``sigma = scale * 2**-bits_of_precision``, then rounds each output to a grid of step
``2**-bits_of_precision``. The flooding noise must dominate the evaluation noise by a
statistical-security margin: choose ``bits_of_precision`` at least ``s`` bits below the
precision the computation actually has (see ``precision_stats``), where 2^-s is the
acceptable statistical distance (OpenFHE's NOISE_FLOODING_DECRYPT uses the same rule).
"""

from __future__ import annotations

import numpy as np

from pyppml._core import ParameterError


def flooded_decrypt(ctx, ct, bits_of_precision: float, complex: bool):
    if not 1 <= bits_of_precision <= 50:
        raise ParameterError(f"decrypt_for_release: bits_of_precision is out of range; expected 1..50, got {bits_of_precision}")
    from pyppml import dp

    pt = ctx._native.decrypt(ctx.secret_key, ct._native)
    coeffs = ctx._native.decode_coefficients(pt)  # centered integers as float64
    sigma = ct.scale * 2.0 ** -bits_of_precision
    # Coefficient noise of std sigma gives slot noise of std ~ sigma * sqrt(n) / scale.
    sigma_coeff = max(sigma / np.sqrt(ctx.poly_degree), 1.0)
    noise = dp.discrete_gaussian(int(round(sigma_coeff)), ctx.poly_degree).astype(np.float64)
    values = ctx._native.decode_from_coefficients(coeffs + noise, ct.scale)
    step = 2.0 ** -np.floor(bits_of_precision)
    values = np.round(values / step) * step
    return values if complex else values.real.copy()
