"""Thin wrapper: `python bench/bench_ldp.py [--quick] [--runs R] [--compare]` = `pyppml bench ldp`."""

import argparse

from pyppml.benchmarks import ldp

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--compare", action="store_true", help="also run pure-ldp in the same run")
    ldp.run(ap.parse_args())
