"""Thin wrapper: `python bench/bench_ntt.py [--quick] [--runs R] [--logn 14 16]` = `pyppml bench ntt`."""

import argparse
import sys
from pathlib import Path

try:
    from pyppml.benchmarks import ntt
except ModuleNotFoundError:  # run from a source checkout (dev-build.sh) without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pyppml.benchmarks import ntt

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--logn", type=int, nargs="*", default=None)
    ntt.run(ap.parse_args())
