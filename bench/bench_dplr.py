"""Thin wrapper: `python bench/bench_dplr.py [--quick] [--runs R] [--compare] [--out DIR]` = `pyppml bench dplr`."""

import argparse

from pyppml.benchmarks import dplr

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--compare", action="store_true", help="also fit diffprivlib's LogisticRegression in the same run")
    ap.add_argument("--out", default=None, help="folder for the AUC / accuracy against epsilon plots")
    dplr.run(ap.parse_args())
