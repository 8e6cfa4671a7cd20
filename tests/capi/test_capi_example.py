"""examples/c/roundtrip.c compiles with the system C compiler against the shipped header
and library (strict C99, warnings as errors) and its CKKS and BFV round trips succeed; the
header also compiles as C++."""

import pathlib
import shutil
import subprocess

import pytest

from pyppml import capi

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "c" / "roundtrip.c"


def _compiler(names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_compiler(["cc", "gcc", "clang"]) is None, reason="no C compiler on this machine")
def test_c_example_builds_and_runs(tmp_path):
    cc = _compiler(["cc", "gcc", "clang"])
    libdir = capi.library_path().parent
    exe = tmp_path / "roundtrip"
    build = subprocess.run([cc, "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", f"-I{capi.include_dir()}",
                            str(EXAMPLE), f"-L{libdir}", "-lpyppml_capi", f"-Wl,-rpath,{libdir}", "-lm", "-o", str(exe)],
                           check=False, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "bfv: x^2 mod 65537 for 16 slots, 0 wrong" in run.stdout
    assert "ckks: x^2 for 8 slots" in run.stdout


@pytest.mark.skipif(_compiler(["c++", "g++", "clang++"]) is None, reason="no C++ compiler on this machine")
def test_header_compiles_as_cpp(tmp_path):
    src = tmp_path / "use.cpp"
    src.write_text('#include "pyppml/pyppml.h"\nint main() { return ppml_abi_version() == 0; }\n')
    cxx = _compiler(["c++", "g++", "clang++"])
    build = subprocess.run([cxx, "-std=c++11", "-Wall", "-Wextra", "-Werror", f"-I{capi.include_dir()}", "-fsyntax-only",
                            str(src)], check=False, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
