"""Thin wrapper: `python bench/bench_fl.py [--quick] [--runs R] [--compare]` = `pyppml bench fl`."""

import argparse
import pathlib
import sys

try:
    from pyppml.benchmarks import fl
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    from pyppml.benchmarks import fl

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--compare", action="store_true", help="also run Flower's SecAgg+ (flwr) for the same sizes")
    ap.add_argument("--no-public-key", dest="public_key", action="store_false",
                    help="skip the collective-public-key CKKS round (slow at 10^6 parameters)")
    fl.run(ap.parse_args())
