"""Thin wrapper: `python bench/bench_mpc.py [--quick] [--runs R]` = `pyppml bench mpc`."""

import argparse

from pyppml.benchmarks import mpc

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    mpc.run(ap.parse_args())
