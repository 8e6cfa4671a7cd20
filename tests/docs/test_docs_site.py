"""Every ```python block of the documentation site (docs/**/*.md) runs and its asserts hold.

Each page's blocks run in order, in one fresh interpreter, in a temporary working
directory, as a reader would paste them: a page may build on its own earlier blocks, never
on another page. Pages whose blocks another test already runs are left to it (below, with
the test that runs them; the test checks that it still names the page). A page that needs
an optional package (flwr, numba, cffi) is skipped with the reason when it is absent. A
block that must not run is marked on the line before it with
``<!-- docs-test: skip (why) -->``; the reason is required.

The README's blocks and the modules' doctests are run by test_readme_and_doctests.py.
"""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

import pyppml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# Pages with their own runner (git log: added with their features), and that runner.
RUN_ELSEWHERE = {
    "flower.md": "tests/fl/flower/test_flower_docs.py",
    "numba.md": "tests/numba/test_docs_numba.py",
}
# Import names a page may need that CI might not install, and the pip extra to name.
OPTIONAL = {"flwr": "flower", "numba": "numba", "cffi": "cffi"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.MULTILINE | re.DOTALL)
_SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*(?:\((?P<why>[^)]*)\))?\s*-->\s*$")


def _pages():
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


def _blocks(page: pathlib.Path):
    """(runnable python blocks, [(line, reason) of the skipped ones])."""
    text = page.read_text()
    run, skipped = [], []
    for m in _FENCE.finditer(text):
        if m.group("info").strip().split(" ")[0] != "python":
            continue
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = _SKIP.search(before)
        line = text.count("\n", 0, m.start()) + 1
        if mark:
            skipped.append((line, (mark.group("why") or "").strip()))
        else:
            body = m.group("body")
            indent = m.group("indent")
            run.append((line, "\n".join(s.removeprefix(indent) for s in body.split("\n"))))
    return run, skipped


def _site_pages():
    return [p for p in _pages() if p.name not in RUN_ELSEWHERE and _blocks(p)[0]]


def _needs(code: str) -> list[str]:
    names = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_][\w]*)", code, flags=re.MULTILINE))
    if re.search(r"\bpyppml\.capi\b|from pyppml import[^\n]*\bcapi\b", code):
        names.add("cffi")
    if re.search(r"\bpyppml\.numba\b", code):
        names.add("numba")
    if re.search(r"\bpyppml\.fl\.flower\b", code):
        names.add("flwr")
    return sorted(n for n in names if n in OPTIONAL)


def test_site_has_pages_with_code():
    names = {p.relative_to(DOCS).as_posix() for p in _site_pages()}
    assert {"guides/framework-authors.md", "guides/cryptographers.md", "guides/data-owners.md"} <= names, names


@pytest.mark.parametrize("page", sorted(RUN_ELSEWHERE))
def test_pages_left_to_other_runners_are_run_there(page):
    runner = ROOT / RUN_ELSEWHERE[page]
    assert runner.is_file(), f"{page}: its runner {RUN_ELSEWHERE[page]} is gone; run the page here instead"
    assert page in runner.read_text(), f"{RUN_ELSEWHERE[page]} no longer names docs/{page}"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_skipped_blocks_say_why(page):
    _, skipped = _blocks(page)
    assert all(why for _, why in skipped), f"{page.name}: blocks marked docs-test: skip without a reason at lines " \
        f"{[line for line, why in skipped if not why]}"


@pytest.mark.parametrize("page", _site_pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_blocks_run(page, tmp_path):
    blocks, _ = _blocks(page)
    code = "\n\n".join(body for _, body in blocks)
    for name in _needs(code):
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"{page.name} needs {name} (pip install \"pyppml[{OPTIONAL[name]}]\")")
    # A file, so a traceback quotes the failing line; markers name the page's line numbers.
    script = tmp_path / f"{page.stem}.py"
    script.write_text("\n".join(f"# --- docs/{page.relative_to(DOCS).as_posix()} line {line}\n{body}"
                                for line, body in blocks))
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(pyppml.__file__).resolve().parents[1]),
               MPLBACKEND="Agg")
    run = subprocess.run([sys.executable, script.name], check=False, capture_output=True, text=True, timeout=300,
                         cwd=tmp_path,
                         env=env)
    assert run.returncode == 0, f"{page.relative_to(ROOT)} failed:\n--- stderr ---\n{run.stderr[-4000:]}"
