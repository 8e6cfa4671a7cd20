"""Fixed-width bit packing (common/fixed_width_packing.cpp): pack / unpack / accumulate_packed_mod
bit-for-bit against a pure-Python reference bit stream (one big int, ``int.from_bytes``) for
every width 1..64 and every count 0..200 (whole 8-value groups through the per-width kernels,
then the byte-exact tail), random cases with hypothesis, the error contract (one-line
ValueError subclasses; a rejected accumulate leaves ``acc`` untouched), and 10^6-value cases
against a reference built with NumPy shifts."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pyppml import _core

ParameterError = _core.ParameterError
FormatError = _core.FormatError

ALL_BITS = list(range(1, 65))
MAX_COUNT = 200


# ---- Reference: the whole stream as one Python int ------------------------------------------


def ref_size(count, bits):
    return (count * bits + 7) // 8


def ref_pack(values, bits):
    stream = 0
    for i, v in enumerate(values):
        assert 0 <= int(v) < 1 << bits
        stream |= int(v) << (i * bits)
    return stream.to_bytes(ref_size(len(values), bits), "little")


def ref_unpack(data, bits, count):
    stream = int.from_bytes(bytes(data), "little")
    mask = (1 << bits) - 1
    return [(stream >> (i * bits)) & mask for i in range(count)]


def random_values(rng, count, bits):
    """Uniform values of `bits` bits, with the extremes 0 and 2^bits - 1 mixed in."""
    hi = (1 << bits) - 1
    v = rng.integers(0, hi, count, dtype=np.uint64, endpoint=True)
    if count:
        v[rng.integers(0, count, max(1, count // 8))] = hi
        v[rng.integers(0, count, max(1, count // 16))] = 0
    return v


def unpack(data, bits, count):
    return _core.unpack_fixed_width(data, bits, count)


# ---- Round trips against the reference ------------------------------------------------------


@pytest.mark.parametrize("bits", ALL_BITS, ids=[f"bits{b}" for b in ALL_BITS])
def test_round_trip_every_count(bits):
    rng = np.random.default_rng(1000 + bits)
    for count in range(MAX_COUNT + 1):
        values = random_values(rng, count, bits)
        data = _core.pack_fixed_width(values, bits)
        assert isinstance(data, bytes)
        assert len(data) == ref_size(count, bits) == _core.packed_size(count, bits)
        assert data == ref_pack(values, bits), f"count={count}"
        got = unpack(data, bits, count)
        assert got.dtype == np.uint64 and got.shape == (count,)
        np.testing.assert_array_equal(got, values)
        # Unpacking reads what the reference writes (not only what pack writes).
        assert got.tolist() == ref_unpack(data, bits, count)


@pytest.mark.parametrize("bits", ALL_BITS, ids=[f"bits{b}" for b in ALL_BITS])
def test_all_ones_and_zero_padding(bits):
    for count in (1, 7, 8, 9, 63, 64, 65, 129):
        hi = (1 << bits) - 1
        data = _core.pack_fixed_width(np.full(count, hi, dtype=np.uint64), bits)
        used = count * bits % 8
        assert data[:-1] == b"\xff" * (len(data) - 1)
        assert data[-1] == (0xFF if used == 0 else (1 << used) - 1)  # padding bits are zero
        assert _core.pack_fixed_width(np.zeros(count, dtype=np.uint64), bits) == bytes(len(data))


def test_known_answer():
    # 3-bit values 1..5 at stream bits 0, 3, 6, 9, 12: 0b101_100_011_010_001 = 0x58D1.
    values = np.array([1, 2, 3, 4, 5], dtype=np.uint64)
    expected = (1 | 2 << 3 | 3 << 6 | 4 << 9 | 5 << 12).to_bytes(2, "little")
    assert expected == bytes([0xD1, 0x58])
    assert _core.pack_fixed_width(values, 3) == expected
    assert _core.pack_fixed_width(np.array([0xABCDEF], dtype=np.uint64), 24) == bytes([0xEF, 0xCD, 0xAB])
    assert _core.pack_fixed_width(np.array([1], dtype=np.uint64), 1) == b"\x01"
    assert _core.pack_fixed_width(np.array([], dtype=np.uint64), 43) == b""


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 64).flatmap(lambda b: st.tuples(st.just(b), st.lists(st.integers(0, (1 << b) - 1), max_size=300))))
def test_round_trip_hypothesis(case):
    bits, values = case
    arr = np.array(values, dtype=np.uint64)
    data = _core.pack_fixed_width(arr, bits)
    assert data == ref_pack(values, bits)
    assert unpack(data, bits, len(values)).tolist() == values


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_accumulate_hypothesis(data):
    q = data.draw(st.integers(2, (1 << 63) - 1), label="modulus")
    bits = data.draw(st.integers(max(1, (q - 1).bit_length()), 64), label="bits")
    count = data.draw(st.integers(0, 150), label="count")
    values = data.draw(st.lists(st.integers(0, q - 1), min_size=count, max_size=count), label="values")
    acc0 = data.draw(st.lists(st.integers(0, q - 1), min_size=count, max_size=count), label="acc")
    acc = np.array(acc0, dtype=np.uint64)
    _core.accumulate_packed_mod(acc, ref_pack(values, bits), bits, q)
    assert acc.tolist() == [(a + v) % q for a, v in zip(acc0, values)]


def test_multidimensional_values_are_flattened():
    values = np.arange(24, dtype=np.uint64).reshape(2, 3, 4)
    assert _core.pack_fixed_width(values, 5) == ref_pack(values.ravel(), 5)


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "uint8", "int8", "sliced"])
def test_unpack_accepts_bytes_like(kind):
    rng = np.random.default_rng(7)
    values = random_values(rng, 77, 43)
    raw = _core.pack_fixed_width(values, 43)
    if kind == "bytes":
        data = raw
    elif kind == "bytearray":
        data = bytearray(raw)
    elif kind == "memoryview":
        data = memoryview(raw)
    elif kind == "uint8":
        data = np.frombuffer(raw, dtype=np.uint8)
    elif kind == "int8":
        data = np.frombuffer(raw, dtype=np.int8)
    else:  # a contiguous slice of a larger buffer, at an odd offset
        data = memoryview(b"\x00" + raw + b"\x00")[1:-1]
    np.testing.assert_array_equal(unpack(data, 43, 77), values)
    acc = np.zeros(77, dtype=np.uint64)
    _core.accumulate_packed_mod(acc, data, 43, (1 << 43) + 1)
    np.testing.assert_array_equal(acc, values)


# ---- accumulate_packed_mod against Python-int arithmetic ------------------------------------

MODULUS_BITS = [40, 41, 43, 45, 47, 50, 53, 55, 57, 58, 59, 60, 61, 62, 63]


@pytest.mark.parametrize("qbits", MODULUS_BITS, ids=[f"q{b}" for b in MODULUS_BITS])
def test_accumulate_matches_python_ints(qbits):
    rng = np.random.default_rng(qbits)
    # The largest modulus below 2^qbits (values may then reach 2^qbits - 2) and a random one.
    for q in ((1 << qbits) - 1, int(rng.integers(1 << (qbits - 1), 1 << qbits))):
        q |= 1
        # bits = width of q - 1 (values checked against q), one wider, and 64; plus one
        # narrower than q when 2^(bits) <= q (every packed value is below q by construction).
        widths = [(q - 1).bit_length(), (q - 1).bit_length() + 1, 64, qbits - 1]
        for bits in widths:
            vmax = min(q, 1 << bits)
            for count in (0, 1, 8, 13, 64, 1000, 1003):
                values = rng.integers(0, vmax, count, dtype=np.uint64)
                acc = rng.integers(0, q, count, dtype=np.uint64)
                if count:
                    values[0], acc[0] = vmax - 1, q - 1  # the largest sum, 2q - 2 when vmax = q
                    values[-1], acc[-1] = vmax - 1, q - 1
                expected = (acc.astype(object) + values.astype(object)) % q
                data = _core.pack_fixed_width(values, bits)
                _core.accumulate_packed_mod(acc, data, bits, q)
                assert acc.tolist() == expected.tolist(), f"q={q} bits={bits} count={count}"


def test_accumulate_many_clients():
    q = (1 << 45) - 55
    rng = np.random.default_rng(3)
    acc = np.zeros(999, dtype=np.uint64)
    total = [0] * 999
    for _ in range(20):
        v = rng.integers(0, q, 999, dtype=np.uint64)
        _core.accumulate_packed_mod(acc, _core.pack_fixed_width(v, 45), 45, q)
        total = [(t + int(x)) % q for t, x in zip(total, v)]
    assert acc.tolist() == total


def test_accumulate_multidimensional_acc():
    q = 1009
    acc = np.full((3, 5), q - 1, dtype=np.uint64)
    values = np.arange(15, dtype=np.uint64)
    _core.accumulate_packed_mod(acc, _core.pack_fixed_width(values, 10), 10, q)
    assert acc.ravel().tolist() == [(q - 1 + v) % q for v in range(15)]


# ---- Large cases: the group kernels against a NumPy-shift reference -------------------------


def numpy_pack(values, bits, chunk=1 << 16):
    """Reference stream: every value's bits (value >> j) & 1, LSB first, packed little-endian."""
    shifts = np.arange(bits, dtype=np.uint64)
    parts = [((values[i : i + chunk, None] >> shifts) & np.uint64(1)).astype(np.uint8).ravel()
             for i in range(0, len(values), chunk)]
    return np.packbits(np.concatenate(parts), bitorder="little").tobytes()


def numpy_unpack(data, bits, count, chunk=1 << 16):
    stream = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
    weights = np.uint64(1) << np.arange(bits, dtype=np.uint64)
    out = np.empty(count, dtype=np.uint64)
    for i in range(0, count, chunk):
        rows = stream[i * bits : min(count, i + chunk) * bits].reshape(-1, bits).astype(np.uint64)
        out[i : i + len(rows)] = (rows * weights).sum(axis=1, dtype=np.uint64)
    return out


LARGE = [(43, 10**6), (32, 10**6 + 3), (50, 10**5 + 5), (61, 10**5 + 7), (64, 10**5 + 1)]


@pytest.mark.parametrize("bits,count", LARGE, ids=[f"bits{b}_n{n}" for b, n in LARGE])
def test_large_against_numpy_reference(bits, count):
    rng = np.random.default_rng(bits)
    q = (1 << min(bits, 62)) - 1 if bits < 64 else (1 << 62) + 135  # modulus for accumulate
    values = random_values(rng, count, min(bits, 62)) % np.uint64(q)
    data = _core.pack_fixed_width(values, bits)
    assert data == numpy_pack(values, bits)
    np.testing.assert_array_equal(numpy_unpack(data, bits, count), values)
    np.testing.assert_array_equal(unpack(data, bits, count), values)
    acc = rng.integers(0, q, count, dtype=np.uint64)
    expected = (acc + values) % np.uint64(q)  # q < 2^63: the sum fits in uint64
    _core.accumulate_packed_mod(acc, data, bits, q)
    np.testing.assert_array_equal(acc, expected)


# ---- Errors ---------------------------------------------------------------------------------


def one_line(excinfo):
    assert "\n" not in str(excinfo.value)
    return str(excinfo.value)


def test_error_types_are_value_errors():
    assert issubclass(ParameterError, ValueError) and issubclass(FormatError, ValueError)


@pytest.mark.parametrize("bits", [0, 65, -1])
def test_bits_out_of_range(bits):
    v = np.zeros(4, dtype=np.uint64)
    with pytest.raises(ParameterError) as e:
        _core.pack_fixed_width(v, bits)
    assert one_line(e) == f"pack_fixed_width: bits is out of range; expected 1 <= bits <= 64, got {bits}"
    with pytest.raises(ParameterError, match="unpack_fixed_width: bits is out of range"):
        unpack(b"\x00" * 4, bits, 4)
    with pytest.raises(ParameterError, match="accumulate_packed_mod: bits is out of range"):
        _core.accumulate_packed_mod(v, b"\x00" * 4, bits, 17)
    with pytest.raises(ParameterError, match="packed_size: bits"):
        _core.packed_size(4, bits)


@pytest.mark.parametrize("bits", [1, 7, 43, 63])
def test_pack_value_too_wide(bits):
    v = np.zeros(100, dtype=np.uint64)
    v[57] = 1 << bits
    with pytest.raises(ParameterError) as e:
        _core.pack_fixed_width(v, bits)
    assert one_line(e) == (f"pack_fixed_width: values has a value too wide; expected every value < 2^{bits}, "
                           f"got {1 << bits} at index 57")
    v[57] = (1 << bits) - 1
    v[99] = np.uint64(2**64 - 1)
    with pytest.raises(ParameterError, match="at index 99"):
        _core.pack_fixed_width(v, bits)


def test_pack_rejects_bad_arrays():
    with pytest.raises(ParameterError, match="dtype"):
        _core.pack_fixed_width(np.zeros(4, dtype=np.int64), 8)
    with pytest.raises(ParameterError, match="C-contiguous"):
        _core.pack_fixed_width(np.zeros(8, dtype=np.uint64)[::2], 8)
    with pytest.raises(ParameterError, match="NumPy array"):
        _core.pack_fixed_width([1, 2, 3], 8)


@pytest.mark.parametrize("bits", [3, 43, 64])
def test_unpack_wrong_length(bits):
    data = _core.pack_fixed_width(np.arange(10, dtype=np.uint64) % np.uint64(8), bits)
    n = len(data)
    for bad in (data[:-1], data + b"\x00", b""):
        with pytest.raises(FormatError) as e:
            unpack(bad, bits, 10)
        assert one_line(e) == (f"unpack_fixed_width: data has the wrong length; expected {n} bytes for 10 values "
                               f"of {bits} bits, got {len(bad)} bytes")
    with pytest.raises(FormatError, match="wrong length"):
        unpack(data, bits, 11 if bits != 64 else 9)


@pytest.mark.parametrize("bits,count", [(1, 1), (3, 5), (43, 7), (43, 1001), (63, 3)])
def test_unpack_nonzero_padding(bits, count):
    data = bytearray(_core.pack_fixed_width(np.zeros(count, dtype=np.uint64), bits))
    used = count * bits % 8
    assert used != 0
    for pad_bit in range(used, 8):
        bad = bytearray(data)
        bad[-1] |= 1 << pad_bit
        with pytest.raises(FormatError) as e:
            unpack(bad, bits, count)
        assert "unpack_fixed_width: data has non-zero padding bits" in one_line(e)
    # The last value's own top bit is not padding.
    ok = bytearray(data)
    ok[-1] |= 1 << (used - 1)
    assert int(unpack(ok, bits, count)[-1]) == 1 << (bits - 1)


def test_unpack_rejects_bad_arguments():
    with pytest.raises(ParameterError, match="count is negative"):
        unpack(b"", 8, -1)
    with pytest.raises(ParameterError, match="bytes-like"):
        unpack([1, 2], 8, 2)
    with pytest.raises(ParameterError, match="bytes-like"):
        unpack(memoryview(b"abcdefgh")[::2], 8, 4)
    with pytest.raises(ParameterError, match="items wider than a byte"):
        unpack(np.zeros(1, dtype=np.uint64), 64, 1)
    with pytest.raises(ParameterError, match="count is too large"):
        unpack(b"", 64, 2**62)


def _accumulate_case(count=1000, bits=43, q=(1 << 43) - 57, seed=5):
    rng = np.random.default_rng(seed)
    acc = rng.integers(0, q, count, dtype=np.uint64)
    values = rng.integers(0, q, count, dtype=np.uint64)
    return acc, values, bits, q


def _assert_rejected_unchanged(acc, data, bits, q, exc, match):
    before = acc.copy()
    with pytest.raises(exc, match=match) as e:
        _core.accumulate_packed_mod(acc, data, bits, q)
    one_line(e)
    np.testing.assert_array_equal(acc, before)


@pytest.mark.parametrize("index", [0, 500, 999])
def test_accumulate_value_not_below_modulus_leaves_acc_unchanged(index):
    acc, values, bits, q = _accumulate_case()
    values[index] = q  # still fits in 43 bits
    data = _core.pack_fixed_width(values, bits)
    _assert_rejected_unchanged(acc, data, bits, q, FormatError,
                               f"accumulate_packed_mod: data has a value out of range; expected every value "
                               f"< modulus = {q}, got {q} at index {index}$")
    values[index] = (1 << bits) - 1
    _assert_rejected_unchanged(acc, _core.pack_fixed_width(values, bits), bits, q, FormatError, "out of range")


def test_accumulate_64_bit_values_not_below_modulus():
    acc, values, _, q = _accumulate_case(count=50)
    for bad in (q, 1 << 63, 2**64 - 1):
        v = values.copy()
        v[49] = np.uint64(bad)
        _assert_rejected_unchanged(acc, _core.pack_fixed_width(v, 64), 64, q, FormatError, f"got {bad} at index 49")


def test_accumulate_acc_not_below_modulus_leaves_acc_unchanged():
    acc, values, bits, q = _accumulate_case()
    data = _core.pack_fixed_width(values, bits)
    for bad in (q, 2**64 - 1, 1 << 63):
        a = acc.copy()
        a[777] = np.uint64(bad)
        _assert_rejected_unchanged(a, data, bits, q, ParameterError,
                                   f"accumulate_packed_mod: acc has a value out of range; expected every value "
                                   f"< modulus = {q}, got {bad} at index 777$")


def test_accumulate_malformed_bytes_leave_acc_unchanged():
    acc, values, bits, q = _accumulate_case(count=1001)
    data = _core.pack_fixed_width(values, bits)
    _assert_rejected_unchanged(acc, data[:-1], bits, q, FormatError, "wrong length")
    _assert_rejected_unchanged(acc, data + b"\x00", bits, q, FormatError, "wrong length")
    padded = bytearray(data)
    padded[-1] |= 0x80  # 1001 * 43 = 43043 bits: 3 bits used in the last byte
    _assert_rejected_unchanged(acc, padded, bits, q, FormatError, "non-zero padding bits")
    _assert_rejected_unchanged(acc, data, bits + 1, q, FormatError, "wrong length")


def test_accumulate_rejects_bad_arguments():
    acc, values, bits, q = _accumulate_case(count=16)
    data = _core.pack_fixed_width(values, bits)
    for bad_q in (0, 1, 1 << 63, 2**64 - 1):
        _assert_rejected_unchanged(acc, data, bits, bad_q, ParameterError,
                                   f"accumulate_packed_mod: modulus is out of range; expected 2 <= modulus < 2\\^63, "
                                   f"got {bad_q}$")
    ro = acc.copy()
    ro.flags.writeable = False
    with pytest.raises(ParameterError, match="read-only"):
        _core.accumulate_packed_mod(ro, data, bits, q)
    with pytest.raises(ParameterError, match="dtype"):
        _core.accumulate_packed_mod(acc.astype(np.int64), data, bits, q)
    with pytest.raises(ParameterError, match="C-contiguous"):
        _core.accumulate_packed_mod(np.zeros(32, dtype=np.uint64)[::2], data, bits, q)
    with pytest.raises(ParameterError, match="bytes-like"):
        _core.accumulate_packed_mod(acc, list(data), bits, q)


def test_accumulate_rejects_overlapping_buffers():
    acc = np.zeros(8, dtype=np.uint64)
    # acc's own bytes as the packed stream of 8 64-bit values: would be read while written.
    _assert_rejected_unchanged(acc, acc.view(np.uint8), 64, 17, ParameterError, "overlaps")


def test_empty():
    assert _core.pack_fixed_width(np.zeros(0, dtype=np.uint64), 64) == b""
    assert unpack(b"", 17, 0).shape == (0,)
    acc = np.zeros(0, dtype=np.uint64)
    _core.accumulate_packed_mod(acc, b"", 17, 3)
    with pytest.raises(FormatError, match="wrong length"):
        _core.accumulate_packed_mod(acc, b"\x00", 17, 3)


def test_unpack_checks_length_before_allocating():
    # 2^40 values would need 8 TiB: the wrong length must be reported, not a MemoryError.
    with pytest.raises(FormatError, match="wrong length"):
        unpack(b"\x00" * 16, 43, 1 << 40)
