"""docs/flower.md's ServerApp / ClientApp example runs as written (it builds the apps a
deployment would run and executes them in process through Flower's ServerApp machinery
with :func:`pyppml.fl.flower.run_apps`), and its claims hold: three Flower rounds are
three SecAgg+ rounds, FedAdam moves the model, each node gets 4 fit + 1 evaluate
messages per round."""

import pathlib
import re

import pytest

pytest.importorskip("flwr")

pytestmark = pytest.mark.flower

DOC = pathlib.Path(__file__).resolve().parents[3] / "docs" / "flower.md"


def test_serverapp_example_runs(capsys):
    (code, *_) = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    scope = {"__name__": "flower_doc_example"}
    exec(compile(code, str(DOC), "exec"), scope)  # noqa: S102 - the documentation's own example
    strategy, grid = scope["strategy"], scope["grid"]
    assert [h["round"] for h in strategy.history] == [1, 2, 3]
    assert all(h["survivors"] == [0, 1, 2, 3] and abs(h["examples"] - 100) < 1e-4 for h in strategy.history)
    assert all(t["messages"] == 15 for t in grid.traffic.values())
    assert "'messages': 15" in capsys.readouterr().out
    losses = scope["losses"]
    assert len(losses) == 4 and losses == sorted(losses, reverse=True)
