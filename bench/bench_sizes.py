"""Thin wrapper: `python bench/bench_sizes.py [--quick] [--runs R] [--compare]` = `pyppml bench sizes`."""

import argparse

from pyppml.benchmarks import sizes

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--compare", action="store_true", help="also serialize TenSEAL's objects at the same parameters")
    sizes.run(ap.parse_args())
