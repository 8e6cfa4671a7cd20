"""Thread scaling of the core (CKKS multiply+relin+rescale, rotate, encrypt) at 1 and 2
threads, n = 2^15 and 2^16.

    python bench/bench_threads.py --logn 15 16 --threads 1 2
Same as `pyppml bench threads ...`.
"""

import sys

from pyppml.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "threads"] + sys.argv[1:]))
