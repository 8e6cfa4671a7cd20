"""docs/threat-model.md names the test guarding each claim: every named test file and test
function must exist, so the page cannot point at a test that was renamed or removed."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "threat-model.md"


def _references():
    """(file, test name or None) for each reference; a bare ``::name`` refers to the last
    file named before it in the same paragraph or table row."""
    refs = []
    for block in re.split(r"\n\s*\n|\n(?=\|)", DOC.read_text()):
        current = None
        for path, name in re.findall(r"`(?:([\w/]+\.py))?(?:::(\w+))?", block):
            if path:
                current = path
            if current and (path or name):
                refs.append((current, name or None))
    return refs


def test_threat_model_names_tests():
    assert len(_references()) >= 40


def test_every_named_test_exists():
    missing = []
    for path, name in _references():
        file = ROOT / "tests" / path
        if not file.exists():
            missing.append(path)
        elif name and not re.search(rf"^(async )?def {name}\(", file.read_text(), flags=re.M):
            missing.append(f"{path}::{name}")
    assert not missing, f"threat-model.md names tests that do not exist: {sorted(set(missing))}"
