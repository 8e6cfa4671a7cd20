"""Secrets do not outlive their use in freed memory (threat model section 1: secret keys
"are zeroed when freed").

- Products with the secret key (a*s, P*s^2) computed by encryption and key generation are
  found in no block of the core's memory pool once they are freed: with a public, a*s
  gives s limb by limb. Checked with the pool's test hook, on every platform.
- Serialized secret-key bytes leave no copy behind in the process's memory after
  export_secret_key / import_secret_key (the Python API and the C ABI), and the PRNG
  keystream consumed by uniform_below is wiped. Checked by reading /proc/self/mem (Linux).

Ring degree 4096: one limb is 32 KiB, the smallest block the pool caches.
"""

import ctypes
import mmap
import sys

import numpy as np
import pytest

from pyppml import _core, bfv, ckks, ring
from pyppml._core import he as _he

WINDOW = slice(1000, 1016)  # 16 words = 128 bytes of a limb: no chance match


def _ckks():
    return ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)


def _secret_rows(ctx) -> list[list[int]]:
    """NTT(s) on every prime (data, then special), from the exported key."""
    data, n, rows, off = ctx.export_secret_key(), ctx.poly_degree, [], 32
    for q in ctx.coeff_moduli + ctx.special_moduli:
        bits, size = q.bit_length(), _core.packed_size(ctx.poly_degree, q.bit_length())
        rows.append([int(v) for v in _core.unpack_fixed_width(data[off:off + size], bits, n)])
        off += size
    return rows


def _expand_uniform(seed: bytes, moduli, n) -> list[list[int]]:
    """The core's uniform polynomial of a 32-byte seed (rlwe::sample_uniform, stream 0)."""
    prng = _core.Prng(seed, 0)
    return [[int(v) for v in prng.uniform_mod(q, n)] for q in moduli]


def _words(values) -> bytes:
    return b"".join(int(v).to_bytes(8, "little") for v in values)


def _product_needle(a_row, s_row, q) -> bytes:
    return _words(a * s % q for a, s in zip(a_row[WINDOW], s_row[WINDOW]))


def _centered_max(row, q) -> int:
    return max(min(v, q - v) for v in row)


def _in_pool(needle: bytes) -> bool:
    return _core._pool_cache_contains_for_tests(needle)


def test_symmetric_encryption_leaves_no_a_times_s_in_the_pool():
    ctx = _ckks()
    ctx.keygen(relin=False)
    s = _secret_rows(ctx)
    ct = ctx.encrypt(np.zeros(ctx.slots), symmetric=True)
    c0, a = (np.asarray(ct._native.poly(k).coeffs) for k in (0, 1))
    for i, q in enumerate(ctx.coeff_moduli):
        # The needle is right: c0 + a*s is the NTT of a small error (m = 0).
        phase = np.array([(int(x) + int(y) * z) % q for x, y, z in zip(c0[i], a[i], s[i])], dtype=np.uint64)
        assert _centered_max([int(v) for v in ring.NttTables(ctx.poly_degree, q).inverse(phase)], q) < 64
        assert not _in_pool(_product_needle([int(v) for v in a[i]], s[i], q)), f"a*s of limb {i} left in the pool"


# Each key is generated last, by the native call: a later key generation would reuse (and
# overwrite) the same pool blocks and hide a leftover.
def test_public_key_generation_leaves_no_a_times_s_in_the_pool():
    ctx = _ckks()
    ctx.keygen(relin=False)
    s = _secret_rows(ctx)
    pk = ctx._native.keygen_public(ctx.secret_key)
    seed = _he.save(ctx._native, pk)[32:64]  # the public key's body starts with the seed of a
    a = _expand_uniform(seed, ctx.coeff_moduli, ctx.poly_degree)
    for i, q in enumerate(ctx.coeff_moduli):
        assert not _in_pool(_product_needle(a[i], s[i], q)), f"a*s of limb {i} left in the pool"


def test_relinearization_key_generation_leaves_no_p_times_s_squared_in_the_pool():
    # generate_switch_key's scratch ends holding P*s' on each digit's limbs (s' = s^2 here;
    # sigma(s), s and the sparse s' for Galois and bootstrapping keys, same code).
    ctx = _ckks()
    ctx.keygen(relin=False)
    s = _secret_rows(ctx)
    ctx._native.keygen_relin(ctx.secret_key, compact=False)
    P = 1
    for p in ctx.special_moduli:
        P *= p
    for i, q in enumerate(ctx.coeff_moduli):  # one prime per digit
        needle = _words(P % q * v * v % q for v in s[i][WINDOW])
        assert not _in_pool(needle), f"P*s^2 of limb {i} left in the pool"


def test_relinearization_key_generation_leaves_no_s_squared_in_the_pool():
    # s^2 itself (generate_relin_key's temporary, over every prime of QP) gives s up to the
    # sign of each NTT slot: it must be wiped like the scratch P*s^2 above.
    ctx = _ckks()
    ctx.keygen(relin=False)
    s = _secret_rows(ctx)
    ctx._native.keygen_relin(ctx.secret_key, compact=False)
    for i, q in enumerate(ctx.coeff_moduli + ctx.special_moduli):
        assert not _in_pool(_words(v * v % q for v in s[i][WINDOW])), f"s^2 of limb {i} left in the pool"


def _automorphism_ntt(s_row, q, n, g) -> list[int]:
    """NTT(s(X^g)) mod q, computed here in numpy memory (not the pool): X^j -> X^(jg mod 2n),
    negated past n, in coefficient form."""
    t = ring.NttTables(n, q)
    coeffs = t.inverse(np.array(s_row, dtype=np.uint64))
    out = np.zeros(n, dtype=np.uint64)
    for j, c in enumerate(coeffs):
        k = j * g % (2 * n)
        out[k % n] = c if k < n or c == 0 else q - int(c)
    return [int(v) for v in t.forward(out)]


def test_galois_key_generation_leaves_no_rotated_secret_in_the_pool():
    # sigma(s) (generate_galois_key's temporary) is a signed permutation of s.
    ctx = _ckks()
    ctx.keygen(relin=False)
    s = _secret_rows(ctx)
    g = ctx.galois_element(3)
    rotated = [_automorphism_ntt(row, q, ctx.poly_degree, g) for row, q in zip(s, ctx.coeff_moduli + ctx.special_moduli)]
    assert _automorphism_ntt(s[0], ctx.coeff_moduli[0], ctx.poly_degree, 1) == s[0]  # the NTT tables are the core's
    assert rotated[0][WINDOW] != s[0][WINDOW]
    ctx._native.keygen_galois(ctx.secret_key, [g], compact=False)
    for i, row in enumerate(rotated):
        assert not _in_pool(_words(row[WINDOW])), f"sigma(s) of limb {i} left in the pool"


def test_public_key_share_leaves_no_a_times_s_in_the_pool():
    ctx = _ckks()
    ctx.keygen(relin=False)
    s = _secret_rows(ctx)
    crs = bytes(range(32))
    ctx._native.public_key_share(ctx.secret_key, crs)
    a = _expand_uniform(crs, ctx.coeff_moduli, ctx.poly_degree)
    for i, q in enumerate(ctx.coeff_moduli):
        assert not _in_pool(_product_needle(a[i], s[i], q)), f"a*s_i of limb {i} left in the pool"


# ------------------------------------------------------------------ process memory (Linux)
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/mem")


def _copies_in_memory(needle: bytes, *held) -> list[int]:
    """Addresses of `needle` in this process's writable memory, outside the objects the
    test itself holds (`held`, the needle, and the scan's own buffer)."""
    # The scan's buffer is mapped on its own: taken from the heap, it could be carved out of
    # the very blocks under test and overwrite a leftover before it is read.
    chunk = mmap.mmap(-1, 1 << 22)
    chunk_at = ctypes.addressof(ctypes.c_char.from_buffer(chunk))
    excluded = [(id(o), id(o) + sys.getsizeof(o)) for o in (needle, *held)] + [(chunk_at, chunk_at + len(chunk))]
    view = memoryview(chunk)
    found = []
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    with open("/proc/self/mem", "rb", 0) as mem:
        for r in regions:
            if not r[1].startswith("rw") or (len(r) > 5 and r[5] in ("[vvar]", "[vsyscall]", "[vvar_vclock]")):
                continue
            lo, hi = (int(x, 16) for x in r[0].split("-"))
            pos = lo
            while pos < hi:
                size = min(len(chunk), hi - pos)
                try:
                    mem.seek(pos)
                    got = mem.readinto(view[:size])
                except OSError:
                    break
                i = chunk.find(needle, 0, got)
                while i >= 0:
                    at = pos + i
                    if not any(a <= at < b for a, b in excluded):
                        found.append(at)
                    i = chunk.find(needle, i + 1, got)
                if pos + size >= hi:
                    break
                pos += size - len(needle) + 1  # overlap: a copy across two reads is still seen
    view.release()
    return found


def _key_window(data: bytes) -> bytes:
    # Inside the first packed row, past the 32-byte header and the bytes malloc reuses
    # for its own bookkeeping when a block is freed.
    return data[96:224]


@linux_only
@pytest.mark.parametrize("scheme", ["ckks", "bfv"])
def test_export_secret_key_leaves_no_copy(scheme):
    ctx = _ckks() if scheme == "ckks" else bfv.Context(poly_degree=4096, coeff_mod_bits=[35, 35], special_mod_bits=[35])
    ctx.keygen()
    exported = ctx.export_secret_key()
    needle = _key_window(exported)
    assert _copies_in_memory(needle, exported) == []


@linux_only
def test_import_secret_key_leaves_no_copy():
    owner = _ckks()
    owner.keygen(relin=False)
    exported = owner.export_secret_key()
    needle = _key_window(exported)
    _ckks().import_secret_key(exported)
    assert _copies_in_memory(needle, exported) == []


@linux_only
def test_capi_secret_key_export_leaves_no_copy():
    from pyppml.capi import check, ffi, handles, lib

    ctx = handles.new("ppml_context", lib.ppml_ckks_context_create, 4096, handles.ints([38, 28]), 2,
                      handles.ints([38]), 1, 2.0 ** 28, 128)
    sk = handles.new("ppml_secret_key", lib.ppml_secret_key_generate, ctx)
    needed = ffi.new("size_t*")
    check(lib.ppml_secret_key_export(ctx, sk, ffi.NULL, 0, needed))
    out = ffi.new("uint8_t[]", needed[0])  # the caller's copy, which the caller wipes
    check(lib.ppml_secret_key_export(ctx, sk, out, needed[0], needed))
    needle = ffi.buffer(out, needed[0])[96:224]  # a slice: no second whole copy made here
    at = int(ffi.cast("uintptr_t", out))
    assert [x for x in _copies_in_memory(needle) if not at <= x < at + needed[0]] == []
    ffi.memmove(out, bytes(needed[0]), needed[0])


@linux_only
def test_uniform_below_wipes_the_keystream_it_consumed():
    # The sparse secret's positions come from uniform_below (next_u64): once drawn, the
    # keystream words must not stay in the generator's buffer.
    prng = _core.Prng(bytes(range(32)), 7)
    draws = [prng.uniform_below((1 << 64) - 1) for _ in range(17)]
    needle = _words(draws[1:])  # the first draw refills the buffer through fill(), which wipes
    assert _copies_in_memory(needle) == []
    del prng
