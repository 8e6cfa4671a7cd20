"""Save or compare the pytest-benchmark baseline of this machine's processor family.

One baseline per family sits in bench/baselines/<family>.json (``amd``, ``intel``; other
machines get their architecture's name), in pytest-benchmark's own JSON format without the
raw samples, so ``--benchmark-compare`` reads it directly:

    python bench/baseline.py compare            # this run against the landed baseline of this family
    python bench/baseline.py save               # (re)write the baseline of this family
    python bench/baseline.py family             # print the family name
    python bench/baseline.py compare -- -k ntt  # anything after -- goes to pytest

``compare`` is ``pytest bench --benchmark-only --benchmark-storage=bench/baselines
--benchmark-compare=<family>``; nothing fails on a slower figure (no timing is asserted),
the table shows the change per test. Pin a core for stable figures (``taskset -c 1``).
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINES = HERE / "baselines"


def cpu_family() -> str:
    """``amd``, ``intel``, or the machine architecture (``aarch64``, ``arm64``...) elsewhere.

    Example
    -------
    >>> cpu_family() in ("amd", "intel") or cpu_family() == platform.machine().lower()
    True
    """
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    for line in text.splitlines():
        if line.startswith("vendor_id"):
            vendor = line.split(":", 1)[1].strip()
            if vendor == "AuthenticAMD":
                return "amd"
            if vendor == "GenuineIntel":
                return "intel"
    proc = platform.processor().lower()
    if "intel" in proc:
        return "intel"
    if "amd" in proc:
        return "amd"
    return platform.machine().lower() or "unknown"


def baseline_path(family: str | None = None) -> Path:
    return BASELINES / f"{family or cpu_family()}.json"


def _pytest(args: list[str]) -> int:
    cmd = [sys.executable, "-m", "pytest", str(HERE), "--benchmark-only", "-p", "no:cacheprovider", *args]
    print("+", " ".join(cmd), file=sys.stderr)
    return subprocess.call(cmd, cwd=HERE.parent)


def save(extra: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "run.json"
        rc = _pytest([f"--benchmark-json={raw}", *extra])
        if rc != 0:
            return rc
        data = json.loads(raw.read_text())
    for bench in data["benchmarks"]:
        bench["stats"].pop("data", None)  # the raw samples: large, and compare needs only the stats
    BASELINES.mkdir(exist_ok=True)
    out = baseline_path()
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"baseline written: {out.relative_to(HERE.parent)} ({len(data['benchmarks'])} benchmarks)", file=sys.stderr)
    return 0


def compare(extra: list[str]) -> int:
    path = baseline_path()
    if not path.is_file():
        have = sorted(p.stem for p in BASELINES.glob("*.json"))
        print(f"no baseline for cpu family {cpu_family()!r} ({path}); present: {have}. "
              f"Run `python bench/baseline.py save` on this machine and commit it.", file=sys.stderr)
        return 2
    return _pytest([f"--benchmark-storage={BASELINES}", f"--benchmark-compare={path.stem}",
                    "--benchmark-columns=min,median,max,rounds", *extra])


def main(argv: list[str]) -> int:
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    command = argv[0] if argv else "compare"
    if command == "family":
        print(cpu_family())
        return 0
    if command == "save":
        return save(extra)
    if command == "compare":
        return compare(extra)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
