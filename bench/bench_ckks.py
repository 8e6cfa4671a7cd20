"""CKKS benchmark (pyppml; with --compare also SEAL and OpenFHE in the same run).

    python bench/bench_ckks.py --compare --logn 14 15
Same as `pyppml bench ckks --compare ...`.
"""

import sys

from pyppml.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "ckks"] + sys.argv[1:]))
