"""Key holders' files: the secret context (parameters, public key, secret key, release
count) a data owner or an inference client keeps, and the public context (parameters,
public, relinearization and Galois keys, never the secret key) it sends to a server.

The secret file is the only way a secret key leaves a process in pyppml.ml, and only
when asked by name (``save_secret_context``); it is written readable by its owner only
(mode 0600). The public file is ``ckks.Context.to_bytes()`` as it is (its own versioned,
checksummed format), so a public context saved here and the bytes of
``DataOwner.public_context_bytes()`` are the same thing."""

from __future__ import annotations

from pyppml import ckks
from pyppml._core import FormatError, ParameterError
from pyppml._rlwe import release_count
from pyppml.ml import container

KIND = "SECRETKY"


def require_secret(context, api: str) -> None:
    """Refuse a context without the secret key, saying how to get one."""
    if context.secret_key is None:
        raise ParameterError(f"{api}: context has no secret key; expected the key holder's context (import the secret "
                             f"key: pyppml.ml.load_secret_context(path), DataOwner.load(path) or "
                             f"Context.import_secret_key(data)), got a public context")


def secret_context_to_bytes(context: ckks.Context) -> bytes:
    """Parameters, public key, secret key and the count of ``decrypt_for_release`` calls
    made under the key. No relinearization or Galois key (the server has them; they are
    most of a public context's size).

    Keep these bytes as secret as the data they protect: with them anyone decrypts
    everything encrypted under this key."""
    require_secret(context, "save_secret_context")
    pub = context.make_public()
    pub.relin_key = pub.galois_keys = None
    header = {"fingerprint": context.fingerprint, "key_id": context.secret_key.key_id,
              "releases_made": context.releases_made, "release_limit": context._releases().limit}
    return container.pack(KIND, header, [pub.to_bytes(), context.export_secret_key()])


def secret_context_from_bytes(data) -> ckks.Context:
    """The context ``secret_context_to_bytes`` wrote, secret key imported, release count
    restored (a reload must not reset the count ``max_releases`` guards).

    Raises
    ------
    pyppml.FormatError (a ValueError)
        bytes of another kind or version, altered or truncated, or parts that do not
        make one key set.
    """
    api = "load_secret_context"
    header, parts = container.unpack(data, KIND, api)
    if len(parts) != 2:
        raise FormatError(f"{api}: data has the wrong number of parts; expected 2, got {len(parts)}")
    made = container.field(header, "releases_made", int, api)
    limit = container.field(header, "release_limit", (int, type(None)), api)
    if made < 0 or (limit is not None and not 0 <= made <= limit):
        raise FormatError(f"{api}: data has an invalid release count; expected 0 <= releases_made <= release_limit, "
                          f"got {made} and {limit}")
    # The owner's own file (it holds the secret key): a context it made under the 2018
    # table loads as it was made, as a pickle would.
    ctx = ckks.Context.from_bytes(parts[0], security_standard="2018")
    if ctx.fingerprint != header.get("fingerprint") or ctx.public_key is None:
        raise FormatError(f"{api}: data has inconsistent parameters; expected the fingerprint of its own context and a "
                          f"public key, got fingerprint {header.get('fingerprint')!r}")
    try:
        ctx.import_secret_key(parts[1])
    except ValueError as exc:
        raise FormatError(f"{api}: data holds a secret key that does not match its public key; expected one key set, "
                          f"got: {exc}") from None
    # This key has made ``made`` releases already (as stored; a count this process already
    # holds for the key is never lowered by an older file).
    release_count(ctx._native.fingerprint, ctx.secret_key.key_id, made, limit)
    return ctx


def save_secret_context(context: ckks.Context, path) -> None:
    """Write the key holder's context, secret key included, to ``path`` (mode 0600).

    Examples
    --------
    >>> import os, tempfile
    >>> from pyppml.ml import inference_context
    >>> ctx = inference_context(8192, encrypted_model=False, output="score")
    >>> folder = tempfile.mkdtemp()
    >>> save_secret_context(ctx, os.path.join(folder, "client.key"))
    >>> save_public_context(ctx, os.path.join(folder, "client.ctx"))
    >>> ct = ctx.encrypt([0.5])
    >>> float(round(load_secret_context(os.path.join(folder, "client.key")).decrypt(ct)[0], 6))
    0.5
    >>> load_public_context(os.path.join(folder, "client.ctx")).is_private
    False
    """
    container.write_file(path, secret_context_to_bytes(context), secret=True)


def load_secret_context(path) -> ckks.Context:
    return secret_context_from_bytes(container.read_file(path))


def save_public_context(context: ckks.Context, path) -> None:
    """Write the context without its secret key (``Context.to_bytes()``) to ``path``."""
    container.write_file(path, context.to_bytes())


def load_public_context(path, **limits) -> ckks.Context:
    """A context from ``save_public_context`` (or any ``Context.to_bytes()``), loaded as
    untrusted input; ``limits`` as ``ckks.Context.from_bytes`` (min_security, ...).
    It has no secret key: it encrypts and computes, it cannot decrypt."""
    return ckks.Context.from_bytes(container.read_file(path), **limits)
