"""Thin wrapper: `python bench/bench_audit.py [--quick] [--repeats R] [--plot] [--out DIR]` = `pyppml bench audit`
(plus the plot options)."""

import argparse

from pyppml.benchmarks import audit

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=10, help="unused (the shared CLI's option)")
    ap.add_argument("--repeats", type=int, default=None, help="fresh splits per model (default 2, quick 1)")
    ap.add_argument("--plot", action="store_true", help="write audit_vs_epsilon.png")
    ap.add_argument("--out", default=None, help="folder for the plot (implies --plot)")
    audit.run(ap.parse_args())
