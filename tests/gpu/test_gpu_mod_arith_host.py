"""csrc/gpu/mod_arith.hpp, the modular arithmetic the CUDA kernels share with host code,
compiled by the host C++ compiler and checked against Python integers (runs everywhere;
the kernels themselves are compared with the CPU backend in the other tests here)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CXX = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")

PROGRAM = r"""
#include <cstdio>
#include <cinttypes>
#include "gpu/mod_arith.hpp"
using namespace ppml::gpu;
int main() {
  unsigned long long q, hi, lo, a, b, x1, x0;
  while (std::scanf("%llu %llu %llu %llu %llu %llu %llu", &q, &hi, &lo, &a, &b, &x1, &x0) == 7) {
    ModConst m{q, hi, lo};
    u128 x = (static_cast<u128>(x1) << 64) | x0;
    uint64_t ws = shoup_quotient(b, q);
    uint64_t X = a % (4 * q), Y = (a ^ b) % (4 * q);
    ct_butterfly(X, Y, b, ws, q);
    uint64_t U = a % (2 * q), V = (a ^ b) % (2 * q);
    gs_butterfly(U, V, b, ws, q);
    std::printf("%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
                (unsigned long long)reduce64(a, m), (unsigned long long)reduce128(x, m),
                (unsigned long long)add_mod(a % q, b, q), (unsigned long long)sub_mod(a % q, b, q),
                (unsigned long long)neg_mod(b, q), (unsigned long long)mul_mod(a % q, b, m),
                (unsigned long long)mul_shoup_lazy(a, b, ws, q), (unsigned long long)mul_shoup(a, b, ws, q),
                (unsigned long long)ws, (unsigned long long)X, (unsigned long long)Y,
                (unsigned long long)U, (unsigned long long)V);
  }
}
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    if CXX is None:
        pytest.skip("no host C++ compiler (c++/g++) to compile csrc/gpu/mod_arith.hpp")
    d = tmp_path_factory.mktemp("mod_arith")
    (d / "t.cpp").write_text(PROGRAM)
    exe = d / "t"
    subprocess.run([CXX, "-std=c++17", "-O2", "-Wall", "-Wextra", "-I", str(ROOT / "csrc"), str(d / "t.cpp"), "-o",
                    str(exe)], check=True, capture_output=True)
    return exe


def _cases():
    rng = random.Random(20260311)
    # Primes are not needed for these identities; any odd q in [2^20, 2^61) (and edges).
    qs = [2**61 - 1, 2**60 + 1, (1 << 50) - 27, 1152921504606584833, 1099511480321, 65537]
    qs += [rng.randrange(2**20, 2**61) | 1 for _ in range(60)]
    for q in qs:
        for _ in range(30):
            a = rng.choice([0, 1, q - 1, q, 2**64 - 1, rng.randrange(2**64)])
            b = rng.choice([0, 1, q - 1, rng.randrange(q)])
            x = rng.choice([0, (q - 1) ** 2, 2**128 - 1, rng.randrange(2**128)])
            yield q, a, b, x


def test_matches_python_integers(program):
    cases = list(_cases())
    lines = []
    for q, a, b, x in cases:
        r = (1 << 128) // q
        lines.append(f"{q} {r >> 64} {r & (2**64 - 1)} {a} {b} {x >> 64} {x & (2**64 - 1)}")
    out = subprocess.run([str(program)], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    rows = out.stdout.split("\n")
    assert len([r for r in rows if r]) == len(cases)
    for (q, a, b, x), row in zip(cases, rows):
        r64, r128, add, sub, neg, mul, lazy, shoup, ws, X, Y, U, V = map(int, row.split())
        assert r64 == a % q and r128 == x % q
        assert add == (a % q + b) % q and sub == (a % q - b) % q and neg == (-b) % q
        assert mul == (a % q) * b % q
        assert ws == (b << 64) // q
        assert lazy < 2 * q and lazy % q == a * b % q and shoup == a * b % q
        # Harvey butterflies: ranges kept ([0, 4q) forward, [0, 2q) inverse), values right mod q.
        x0, y0 = a % (4 * q), (a ^ b) % (4 * q)
        assert X < 4 * q and Y < 4 * q
        assert X % q == (x0 + y0 * b) % q and Y % q == (x0 - y0 * b) % q
        u0, v0 = a % (2 * q), (a ^ b) % (2 * q)
        assert U < 2 * q and V < 2 * q
        assert U % q == (u0 + v0) % q and V % q == (u0 - v0) * b % q
