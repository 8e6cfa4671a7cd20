"""Thin wrapper: `python bench/bench_bfv.py [--quick] [--compare] [--runs R] [--logn 13 14]` = `pyppml bench bfv`."""

import argparse

from pyppml.benchmarks import bfv

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--logn", type=int, nargs="*", default=None)
    bfv.run(ap.parse_args())
