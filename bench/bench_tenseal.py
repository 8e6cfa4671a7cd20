"""Thin wrapper: `python bench/bench_tenseal.py [--quick] [--runs R] [--compare]` = `pyppml bench tenseal`."""

import argparse

from pyppml.benchmarks import tenseal

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--compare", action="store_true", help="also time TenSEAL in the same run")
    tenseal.run(ap.parse_args())
