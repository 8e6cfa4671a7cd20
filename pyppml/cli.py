"""The `pyppml` command: info, bench, demo."""

from __future__ import annotations

import argparse
import importlib
import json
import sys

# Benchmark suites: every module under pyppml.benchmarks with a `run(args)` function.
def _bench_suites() -> list[str]:
    import pkgutil

    import pyppml.benchmarks as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name != "harness")


def _cmd_info(args) -> int:
    from pyppml import info

    data = info()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    width = max(len(k) for k in data)
    for key, value in data.items():
        if isinstance(value, dict):
            print(f"{key:<{width}}")
            for k, v in value.items():
                print(f"  {k:<{width}} {v}")
        else:
            if isinstance(value, list):
                value = ", ".join(value)
            print(f"{key:<{width}}  {value}")
    return 0


def _available_suites() -> list[str]:
    out = []
    for name in _bench_suites():
        try:
            module = importlib.import_module(f"pyppml.benchmarks.{name}")
        except ImportError:
            continue
        if callable(getattr(module, "run", None)):
            out.append(name)
    return out


def _bounded_int(low: int, high: int):
    """An argparse type: an integer in [low, high] (argparse turns the ValueError into a
    one-line usage error naming the option)."""
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected an integer in [{low}, {high}], got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def _cmd_bench(args) -> int:
    from pyppml import get_num_threads
    from pyppml.benchmarks.harness import emit, machine

    available = _available_suites()
    unknown = [name for name in args.suite if name not in available]
    if unknown:
        args.parser.error(f"unknown suite {unknown[0]!r}; expected one of {', '.join(available)}")
    suites = args.suite or available
    # Every run starts with the machine it ran on: ratios hold for one kind of processor.
    emit({"lib": "machine", "op": "bench", **machine(), "threads": get_num_threads()})
    for name in suites:
        module = importlib.import_module(f"pyppml.benchmarks.{name}")
        module.run(args)
    return 0


def _cmd_demo(args) -> int:
    from pyppml import demo

    return demo.main(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyppml", description="privacy-preserving machine learning engine")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("info", help="version, build flags, CPU features and the kernel each operation uses")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("bench", help="micro-benchmarks as JSON lines (see bench/README.md)")
    p.add_argument("suite", nargs="*", help="suites to run (default: all)")
    p.add_argument("--quick", action="store_true", help="fewer sizes and runs")
    p.add_argument("--compare", action="store_true", help="also time the peers when importable (SEAL, OpenFHE, OpenDP, TenSEAL, diffprivlib, pure-ldp; Flower's SecAgg+ for fl)")
    p.add_argument("--runs", type=_bounded_int(1, 10**6), default=10)
    p.add_argument("--logn", type=_bounded_int(10, 17), nargs="*", default=None, help="restrict to these log2(N)")
    p.add_argument("--out", default=None, help="folder for the plots some suites draw (dplr, audit)")
    p.add_argument("--threads", type=_bounded_int(1, 4096), nargs="*", default=None,
                   help="thread counts for the threads suite (default 1 2) and the per-worker pool of the dask suite")
    p.add_argument("--workers", type=_bounded_int(1, 4096), nargs="*", default=None,
                   help="worker processes for the dask suite (default 1 2)")
    p.set_defaults(func=_cmd_bench, parser=p)

    p = sub.add_parser("demo", help="the main job end to end on the embedded data set")
    p.add_argument("--quick", action="store_true", help="smaller run")
    p.set_defaults(func=_cmd_demo)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
