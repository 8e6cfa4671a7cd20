"""pytest-benchmark harness for the suites of pyppml.benchmarks (bench/test_bench_*.py).

Each test times one representative operation of a `pyppml bench` suite with the
``benchmark`` fixture, through ``ppml_bench`` below, which also files the operation under
the project's record fields ``{"lib", "scheme", "N", "L", "op"}``. After a timed test the
record gets ``median_us`` and ``runs`` from pytest-benchmark's statistics and is written as
one JSON line, the same line `pyppml bench` prints (pyppml.benchmarks.harness), to the file
named by ``--ppml-jsonl PATH`` (or ``PYPPML_BENCH_JSONL``; ``-`` prints them after the run).

Sizes: small by default (a CI smoke run with ``--benchmark-disable`` executes each test
once in well under a minute); ``--bench-full`` (or ``PYPPML_BENCH_FULL=1``) uses the
suites' own sizes. A test module declares ``PARAMS = {"argname": (small, full)}`` and
every test taking ``argname`` is parametrized with the list for the chosen size.

Baselines: ``bench/baseline.py`` saves and compares one baseline per processor family
(bench/baselines/<family>.json); see bench/README.md. No timing is asserted anywhere:
the tests check that each timed operation computes the right thing, nothing about speed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/baseline.py: cpu_family()

from baseline import cpu_family

_lines: list[str] = []


def pytest_addoption(parser):
    group = parser.getgroup("pyppml benchmarks")
    group.addoption("--bench-full", action="store_true", default=os.environ.get("PYPPML_BENCH_FULL") == "1",
                    help="the suites' full sizes instead of the small default (env PYPPML_BENCH_FULL=1)")
    group.addoption("--ppml-jsonl", metavar="PATH", default=os.environ.get("PYPPML_BENCH_JSONL"),
                    help="write one `pyppml bench` JSON line per timed test to PATH ('-': print them at the end; "
                         "env PYPPML_BENCH_JSONL)")


def pytest_configure(config):
    path = config.getoption("ppml_jsonl")
    if path and path != "-":
        Path(path).write_text("")  # one file per session


def pytest_report_header(config):
    size = "full" if config.getoption("bench_full") else "small (--bench-full for the suites' sizes)"
    return f"pyppml benchmarks: sizes {size}; cpu family {cpu_family()}"


def pytest_generate_tests(metafunc):
    params = getattr(metafunc.module, "PARAMS", {})
    full = metafunc.config.getoption("bench_full")
    for name, (small, large) in params.items():
        if name in metafunc.fixturenames:
            values = large if full else small
            metafunc.parametrize(name, values, ids=[name + ("x".join(map(str, v)) if isinstance(v, tuple) else str(v))
                                                    for v in values])


def pytest_benchmark_update_machine_info(config, machine_info):
    # bench/baseline.py picks the baseline by this; a comparison across families warns.
    machine_info["cpu_family"] = cpu_family()


class _Bench:
    """``ppml_bench(fn, scheme=..., N=..., L=..., op=...)`` times ``fn`` and returns its
    result; ``rounds`` switches to a fixed number of single calls for slow operations."""

    def __init__(self, benchmark):
        self.benchmark = benchmark
        self.record: dict | None = None

    def __call__(self, fn, *, scheme: str, N: int, L: int, op: str, lib: str = "pyppml", rounds: int | None = None,
                 **extra):
        self.record = {"lib": lib, "scheme": scheme, "N": N, "L": L, "op": op, **extra}
        self.benchmark.group = scheme
        self.benchmark.extra_info.update(self.record)
        if rounds is None:
            return self.benchmark(fn)
        return self.benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0)


@pytest.fixture
def ppml_bench(benchmark, request):
    bench = _Bench(benchmark)
    yield bench
    meta = getattr(benchmark, "stats", None)  # None when disabled (each test ran once)
    if bench.record is None or meta is None:
        return
    stats = meta.stats
    line = json.dumps({**bench.record, "median_us": round(stats.median * 1e6, 3), "runs": stats.rounds,
                       "min_us": round(stats.min * 1e6, 3), "test": request.node.nodeid})
    path = request.config.getoption("ppml_jsonl")
    if path == "-":
        _lines.append(line)
    elif path:
        with open(path, "a") as fh:
            fh.write(line + "\n")


def pytest_terminal_summary(terminalreporter, config):
    if _lines:
        terminalreporter.section("pyppml bench JSON lines")
        for line in _lines:
            terminalreporter.write_line(line)
