"""Every Python block of docs/numba.md and examples/bgv/README.md runs and its asserts hold
(in this process, from the repository root, each block in a fresh namespace)."""

import pytest

pytest.importorskip("numba", reason='numba is optional: pip install "pyppml[numba]"')

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "numba.md", ROOT / "examples" / "bgv" / "README.md"]
BLOCKS = [(doc, i, code) for doc in DOCS
          for i, code in enumerate(re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.DOTALL))]


def test_docs_have_blocks():
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("doc,index,code", BLOCKS, ids=[f"{d.parent.name}_{d.stem}_{i}" for d, i, _ in BLOCKS])
def test_block_runs(doc, index, code, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(ROOT))
    exec(compile(code, f"{doc.name}[{index}]", "exec"), {"__name__": "__doc_block__"})  # noqa: S102 - our own doc blocks
