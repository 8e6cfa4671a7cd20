"""Thin wrapper: `python bench/bench_bgv_numba.py [--quick] [--runs R]` = `pyppml bench bgv_numba`."""

import argparse

from pyppml.benchmarks import bgv_numba

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--logn", type=int, nargs="+", default=None, help="ring degrees to run (13, 14)")
    bgv_numba.run(ap.parse_args())
