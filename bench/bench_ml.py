"""Thin wrapper: `python bench/bench_ml.py [--quick] [--runs R]` = `pyppml bench ml`."""

import argparse
import pathlib
import sys

try:
    from pyppml.benchmarks import ml
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    from pyppml.benchmarks import ml

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ml.run(ap.parse_args())
