"""The speed targets of issues 13 (bootstrapping) and 14 (key switching, threads), measured
and judged in one run on this machine.

    python bench/confirm_targets.py                  # all of them, about 25 min on 2 cores
    python bench/confirm_targets.py --only ckks boot  # some groups: ckks bfv threads boot boot2

Each group runs `pyppml bench` suites as child processes with the thread settings its
targets name (one thread unless stated), reads their JSON lines, and prints one row per
target: what was measured, the target and whether it holds, after the machine line
(lscpu's model name: the targets must hold on Intel and on AMD Zen 4 alike). The last
line of stdout is a JSON summary. Exit status: 0 when every target was measured and holds,
1 when one fails, 2 when one could not be measured (a peer missing, a suite failing).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

# SEAL 4.4 built with Intel HEXL (AVX-512 IFMA) on an AMD EPYC (Zen 4), one thread, ms
# (../shared/peers/RESULTS-native.md): the issue asks for 1.5x these.
SEAL_HEXL_MS = {(1 << 14, "multiply_relin_rescale"): 15.109, (1 << 14, "rotate"): 13.822,
                (1 << 15, "multiply_relin_rescale"): 120.515, (1 << 15, "rotate"): 114.492}
GROUPS = ("ckks", "bfv", "threads", "boot", "boot2")


def run_suite(args: list[str], threads: int) -> list[dict]:
    """The JSON lines of `pyppml bench <args>` run with `threads` threads (ours and the
    peers' OpenMP)."""
    env = dict(os.environ, PYPPML_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1")
    code = "import sys; from pyppml.cli import main; sys.exit(main(sys.argv[1:]))"
    print(f"# pyppml bench {' '.join(args)}  ({threads} thread{'s' if threads > 1 else ''})", file=sys.stderr, flush=True)
    proc = subprocess.run([sys.executable, "-c", code, "bench", *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def _find(records, **match) -> dict | None:
    for r in records:
        if all(r.get(k) == v for k, v in match.items()):
            return r
    return None


def _row(issue: int, name: str, measured, target: str, ok) -> dict:
    return {"lib": "target", "issue": issue, "target": name, "measured": measured, "needs": target, "ok": ok}


def judge_ckks(records: list[dict]) -> list[dict]:
    """Issue 14: multiply+relinearize+rescale and rotate at least 4x SEAL's PyPI build at
    2^14 and 2^15, and within SEAL+HEXL's time / 1.5."""
    rows = []
    for n in (1 << 14, 1 << 15):
        for op in ("multiply_relin_rescale", "rotate"):
            mine = _find(records, lib="pyppml", scheme="ckks", N=n, op=op)
            seal = _find(records, lib="seal", scheme="ckks", N=n, op=op)
            label = f"CKKS {op} n=2^{n.bit_length() - 1}"
            if mine and seal:
                ratio = seal["median_us"] / mine["median_us"]
                rows.append(_row(14, f"{label} vs SEAL (PyPI)", f"{ratio:.2f}x", ">= 4x", ratio >= 4.0))
            else:
                rows.append(_row(14, f"{label} vs SEAL (PyPI)", None, ">= 4x", None))
            if mine:
                limit = SEAL_HEXL_MS[(n, op)] / 1.5
                ms = mine["median_us"] / 1e3
                rows.append(_row(14, f"{label} vs SEAL+HEXL (AMD anchor)", f"{ms:.2f} ms", f"<= {limit:.2f} ms",
                                 ms <= limit))
            else:
                rows.append(_row(14, f"{label} vs SEAL+HEXL (AMD anchor)", None, "pyppml measured", None))
    return rows


def judge_bfv(records: list[dict]) -> list[dict]:
    """Issue 14: BFV multiply+relinearize at least 4x SEAL at 2^15 and 2^16."""
    rows = []
    for n in (1 << 15, 1 << 16):
        mine = _find(records, lib="pyppml", scheme="bfv", N=n, op="multiply_relin")
        seal = _find(records, lib="seal", scheme="bfv", N=n, op="multiply_relin")
        name = f"BFV multiply_relin n=2^{n.bit_length() - 1} vs SEAL"
        if mine and seal:
            ratio = seal["median_us"] / mine["median_us"]
            rows.append(_row(14, name, f"{ratio:.2f}x", ">= 4x", ratio >= 4.0))
        else:
            rows.append(_row(14, name, None, ">= 4x", None))
    return rows


def judge_threads(records: list[dict]) -> list[dict]:
    """Issue 14: 2 threads at least 1.8x one on multiply+relin+rescale and rotate at 2^15
    and 2^16. The machine's ceilings of the same run are printed beside them: 2^16 key
    switches read their keys from DRAM, so its read rate bounds their speedup."""
    for kind in ("ntt", "memory"):
        c = _find(records, lib="machine", op=f"{kind}_processes_ceiling_speedup", threads=2)
        if c:
            rate = "".join(f", {v} GB/s at {k}" for k, v in c.get("gb_per_s", {}).items())
            print(f"# machine: 2 processes' {kind} ceiling {c['ceiling_speedup']:.2f}x one{rate}", file=sys.stderr)
    rows = []
    for n in (1 << 15, 1 << 16):
        for op in ("multiply_relin_rescale", "rotate"):
            r = _find(records, lib="pyppml", N=n, op=op + "_speedup", threads=2)
            name = f"CKKS {op} n=2^{n.bit_length() - 1}, 2 threads over 1"
            rows.append(_row(14, name, f"{r['speedup']:.2f}x" if r else None, ">= 1.8x",
                             r["speedup"] >= 1.8 if r else None))
    return rows


def _boot(records: list[dict], lib: str, stc_first: bool = True) -> dict | None:
    return _find(records, lib=lib, op="bootstrap", stc_first=stc_first)


def judge_boot(records: list[dict]) -> list[dict]:
    """Issue 13 at N = 2^16, one thread: at least 3x OpenFHE's SlotsToCoeffs-first
    bootstrap in the same run, at least 10 levels left, at least 20 bits of mean
    precision and more max-error bits than OpenFHE, keys under half OpenFHE's memory."""
    mine, ofh = _boot(records, "pyppml"), _boot(records, "openfhe")
    if not mine or not ofh:
        return [_row(13, "bootstrap 2^16 vs OpenFHE", None, "both libraries measured", None)]
    ratio = ofh["median_s"] / mine["median_s"]
    key_gb, peak_gb = mine["key_bytes"] / 1e9, ofh["peak_rss_gb"]
    return [
        _row(13, "bootstrap 2^16 vs OpenFHE, SlotsToCoeffs first", f"{ratio:.2f}x ({mine['median_s']} s against "
             f"{ofh['median_s']} s)", ">= 3x", ratio >= 3.0),
        _row(13, "levels left", mine["levels_after"], ">= 10", mine["levels_after"] >= 10),
        _row(13, "mean precision (bits)", mine["precision_bits_mean"], ">= 20", mine["precision_bits_mean"] >= 20),
        _row(13, "max-error precision (bits)", mine["precision_bits_max"], f"> OpenFHE's {ofh['precision_bits_max']}",
             mine["precision_bits_max"] > ofh["precision_bits_max"]),
        _row(13, "key memory (GB)", round(key_gb, 2), f"< half OpenFHE's peak {peak_gb} GB", key_gb < peak_gb / 2),
    ]


def judge_boot_threads(one: list[dict], two: list[dict]) -> list[dict]:
    """Issue 14 on the bootstrap: 2 threads at least 1.8x one, and ahead of OpenFHE at 2
    threads by at least the one-thread factor."""
    m1, m2 = _boot(one, "pyppml"), _boot(two, "pyppml")
    o1, o2 = _boot(one, "openfhe"), _boot(two, "openfhe")
    rows = []
    if m1 and m2:
        s = m1["median_s"] / m2["median_s"]
        rows.append(_row(14, "bootstrap 2^16, 2 threads over 1", f"{s:.2f}x", ">= 1.8x", s >= 1.8))
    else:
        rows.append(_row(14, "bootstrap 2^16, 2 threads over 1", None, ">= 1.8x", None))
    if m1 and m2 and o1 and o2:
        r1, r2 = o1["median_s"] / m1["median_s"], o2["median_s"] / m2["median_s"]
        rows.append(_row(14, "bootstrap 2^16 vs OpenFHE at 2 threads", f"{r2:.2f}x", f">= the 1-thread {r1:.2f}x",
                         r2 >= r1))
    else:
        rows.append(_row(14, "bootstrap 2^16 vs OpenFHE at 2 threads", None, "both libraries at 1 and 2", None))
    return rows


def summary(rows: list[dict]) -> int:
    """Prints the rows and the summary line; the exit status."""
    width = max(len(r["target"]) for r in rows)
    for r in rows:
        verdict = {True: "ok", False: "FAIL", None: "not measured"}[r["ok"]]
        print(f"issue {r['issue']}  {r['target']:<{width}}  {str(r['measured']):>28}  needs {r['needs']:<34} {verdict}")
    failed = sum(r["ok"] is False for r in rows)
    missing = sum(r["ok"] is None for r in rows)
    print(json.dumps({"lib": "targets", "rows": len(rows), "failed": failed, "not_measured": missing}))
    return 1 if failed else 2 if missing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=GROUPS, default=list(GROUPS), help="groups of targets to run")
    args = parser.parse_args(argv)
    from pyppml.benchmarks.harness import machine

    print(json.dumps({"lib": "machine", "op": "confirm_targets", **machine()}))
    rows: list[dict] = []
    if "ckks" in args.only:
        rows += judge_ckks(run_suite(["ckks", "--compare", "--logn", "14", "15", "--runs", "10"], 1))
    if "bfv" in args.only:
        rows += judge_bfv(run_suite(["bfv", "--compare", "--logn", "15", "16"], 1))
    if "threads" in args.only:
        rows += judge_threads(run_suite(["threads", "--logn", "15", "16", "--threads", "1", "2"], 2))
    one = []
    if "boot" in args.only or "boot2" in args.only:
        one = run_suite(["boot", "--compare", "--logn", "16", "--runs", "3"], 1)
    if "boot" in args.only:
        rows += judge_boot(one)
    if "boot2" in args.only:
        rows += judge_boot_threads(one, run_suite(["boot", "--compare", "--logn", "16", "--runs", "3"], 2))
    return summary(rows)


if __name__ == "__main__":
    sys.exit(main())
