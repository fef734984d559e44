"""The progress display in a Jupyter notebook: one output, updated in place.

A real kernel (ipykernel) runs a notebook whose cell runs a small pipeline for
about two seconds; nbclient records every message the kernel sends for the cell.
"""

import os
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install 'distilabel[tests]')")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install 'distilabel[tests]')")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install 'distilabel[tests]')")

REPO = Path(__file__).resolve().parents[3]

SETUP = """
import os, sys
sys.path.insert(0, {repo!r})
os.environ.pop("DISTILABEL_PROGRESS", None)
os.environ["DISTILABEL_CACHE_DIR"] = {cache!r}
"""

RUN = """
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM

with Pipeline(name="notebook-progress") as pipeline:
    load = LoadDataFromDicts(data=[{"instruction": f"q {i}"} for i in range(320)], batch_size=40)
    load >> TextGeneration(llm=EchoAsyncLLM(delay=0.05, max_concurrent_requests=8))
distiset = pipeline.run(use_cache=False)
print("ROWS", len(distiset["default"]["train"]))
"""


class RecordingClient(nbclient.NotebookClient):
    """A notebook client that keeps the type and display id of every message of every cell."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.messages: List[Tuple[int, str, Any]] = []

    def process_message(self, msg: Dict[str, Any], cell: Any, cell_index: int) -> Any:
        transient = msg["content"].get("transient") or {}
        self.messages.append((cell_index, msg["msg_type"], transient.get("display_id")))
        return super().process_message(msg, cell, cell_index)


def test_a_notebook_shows_one_output_updated_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(SETUP.format(repo=str(REPO), cache=str(tmp_path / "cache"))),
        nbformat.v4.new_code_cell(RUN),
    ]
    client = RecordingClient(notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(REPO)}})
    client.execute(env={**os.environ})
    outputs = notebook.cells[1].outputs
    displays = [o for o in outputs if o.output_type == "display_data"]
    # One display: the progress table, in its last state.
    assert len(displays) == 1, outputs
    final = displays[0].data["text/plain"]
    assert "Run folder: " in final
    assert "text_generation_0" in final and "320/320" in final and "done" in final
    assert "<table" in displays[0].data["text/html"]
    run_messages = [(kind, display_id) for index, kind, display_id in client.messages if index == 1]
    shown = [display_id for kind, display_id in run_messages if kind == "display_data"]
    updates = [display_id for kind, display_id in run_messages if kind == "update_display_data"]
    assert len(shown) == 1 and shown[0]
    assert len(updates) >= 3 and set(updates) == set(shown)  # refreshed in place while it ran
    # No refresh printed the table again as text: the log lines are the run's, once each.
    streams = "".join(o.text for o in outputs if o.output_type == "stream")
    assert "ROWS 320" in streams
    assert "tok/s" not in streams and "distilabel.progress" not in streams and "Progress (end)" not in streams
    assert streams.count("Pipeline finished") == 1
