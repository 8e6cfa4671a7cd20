"""The bootstrap part of a context's bytes: the plan's configuration and the two
ephemeral-secret keys, appended to the CKKS extra field after the scale.

Layout: b"BOT2", eleven little-endian int32 (BootstrapConfig.to_tuple), then two
length-prefixed keys (empty when the context has none), each in the core's key format.
Bytes written before SlotsToCoeffs-first existed (b"BOOT", ten int32) still load.
"""

from __future__ import annotations

import math
import struct

from pyppml._core import FormatError, ParameterError
from pyppml._core import he as _he

MAGIC = b"BOT2"
_CONFIG = struct.Struct("<11i")
_LEGACY = (b"BOOT", struct.Struct("<10i"))  # stc_first = 0


def dump(ctx) -> bytes:
    plan = getattr(ctx, "_bootstrap_plan", None)
    if plan is None:
        return b""
    out = bytearray(MAGIC + _CONFIG.pack(*plan.config.to_tuple()))
    keys = ctx._bootstrap_keys or ()
    for k in keys or (None, None):
        data = _he.save(ctx._native, k) if k is not None else b""
        out += len(data).to_bytes(8, "little") + data
    return bytes(out)


def dump_config_only(ctx) -> bytes:
    """The plan without keys (``to_bytes(include_public_keys=False)``)."""
    plan = ctx._bootstrap_plan
    return MAGIC + _CONFIG.pack(*plan.config.to_tuple()) + bytes(16)


def load(ctx, data: bytes) -> None:
    """Attach the plan and keys stored by :func:`dump` (FormatError when malformed)."""
    from pyppml.ckks.bootstrap import attach, check_sparse_key
    from pyppml.ckks.bootstrap.plan import BootstrapConfig

    if not data:
        return
    layout = _CONFIG if data[:4] == MAGIC else _LEGACY[1] if data[:4] == _LEGACY[0] else None
    if layout is None or len(data) < 4 + layout.size:
        raise FormatError("Context.from_bytes: data has a malformed bootstrap part; expected 'BOT2' and its configuration, got other bytes")
    fields = layout.unpack_from(data, 4)
    try:
        cfg = BootstrapConfig.from_tuple(fields if layout is _CONFIG else fields + (0,))
        # The weight and the key's modulus come from the sender: a context whose sparse
        # key would give the secret away must not load as secure.
        q0_p_bits = sum(math.log2(q) for q in [ctx.coeff_moduli[0], *ctx.special_moduli])
        check_sparse_key("Context.from_bytes", ctx.security, cfg.ephemeral_weight, q0_p_bits, ctx.poly_degree)
        attach(ctx, cfg)
        ctx.compact_keys = True  # gigabytes of keys at 2^16: held compact (see _rlwe.context_from_bytes)
    except (ParameterError, ValueError) as e:
        raise FormatError(f"Context.from_bytes: data has an invalid bootstrap configuration; expected one matching the chain, got: {e}") from None
    pos, keys = 4 + layout.size, []
    for _ in range(2):
        if pos + 8 > len(data):
            raise FormatError("Context.from_bytes: data has a truncated bootstrap key; expected a length field, got the end")
        size = int.from_bytes(data[pos:pos + 8], "little")
        pos += 8
        if size > len(data) - pos:
            raise FormatError(f"Context.from_bytes: data has a truncated bootstrap key; expected {size} bytes, got {len(data) - pos}")
        keys.append(_he.load_relin_key(ctx._native, data[pos:pos + size], compact=ctx.compact_keys) if size else None)
        pos += size
    if pos != len(data):
        raise FormatError(f"Context.from_bytes: data has trailing bytes after the bootstrap keys; expected {pos} bytes, got {len(data)}")
    if (keys[0] is None) != (keys[1] is None):
        raise FormatError("Context.from_bytes: data has one bootstrap key of two; expected both or none, got one")
    if keys[0] is not None:
        if keys[0].key_id != keys[1].key_id:
            raise FormatError("Context.from_bytes: data mixes bootstrap keys of two key sets; expected one key id, got two")
        ctx._bootstrap_keys = tuple(keys)
