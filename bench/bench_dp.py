"""Thin wrapper: `python bench/bench_dp.py [--quick] [--runs R] [--compare]` = `pyppml bench dp`."""

import argparse

from pyppml.benchmarks import dp

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--compare", action="store_true", help="also time OpenDP in the same run")
    dp.run(ap.parse_args())
