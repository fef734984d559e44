"""A torn last line of ``rows.jsonl`` (cut inside a UTF-8 character) is dropped and its rows redone."""

from pathlib import Path
from typing import List

from distilabel.pipeline import Pipeline
from distilabel.pipeline.row_store import DONE_FILE, RowStore
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM

_DATA = [{"instruction": f"café №{i} 🌊"} for i in range(6)]


def _run(tmp_path: Path, seen: List[str]) -> Pipeline:
    async def record(text: str) -> None:
        seen.append(text)

    llm = EchoAsyncLLM()
    llm._hook = record
    with Pipeline(name="torn", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=_DATA, batch_size=2) >> TextGeneration(llm=llm, name="gen")
    pipeline.run(use_cache=True)
    return pipeline


def _tear_inside_a_character(path: Path) -> bytes:
    """Cut the file inside the last multi-byte character of its last line (a full disk does this)."""
    data = path.read_bytes()
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    cut = data.rfind("🌊".encode(), last_start) + 2  # two of the emoji's four bytes
    assert cut > last_start + 2
    path.write_bytes(data[:cut])
    return data[last_start:cut]


def test_reading_skips_a_line_cut_inside_a_character(tmp_path: Path) -> None:
    with RowStore(tmp_path) as store:
        store.append([((0,), {"text": "naïve 🌊"})])
        store.append([((1,), {"text": "second 🌊"})])
    torn = _tear_inside_a_character(tmp_path / "rows.jsonl")
    try:
        torn.decode("utf-8")
        raise AssertionError("the cut should split a character")
    except UnicodeDecodeError:
        pass
    assert list(RowStore.read(tmp_path)) == [((0,), {"text": "naïve 🌊"})]
    assert [group.inputs for group in RowStore.groups(tmp_path)] == [[(0,)]]
    assert RowStore.read_sorted(tmp_path) == [{"text": "naïve 🌊"}]


def test_a_torn_utf8_line_is_redone_by_the_next_run(tmp_path: Path) -> None:
    seen: List[str] = []
    pipeline = _run(tmp_path, seen)
    assert len(seen) == 6
    step_dir = pipeline.run_dir / "steps" / "gen"
    _tear_inside_a_character(step_dir / "rows.jsonl")
    (step_dir / DONE_FILE).unlink()  # the run that tore it never finished

    seen.clear()
    pipeline = _run(tmp_path, seen)
    summary = pipeline.last_run_summary
    assert summary.status == "finished"
    # The torn row is made again (its answer comes from the response cache); the other
    # five are reused as they were.
    assert summary["gen"]["resumed_rows"] == 5
    assert summary["gen"]["llm"]["cache_hits"] == 1
    assert seen == []
    rows = RowStore.read_sorted(step_dir)
    assert [row["generation"] for row in rows] == [f"Echo: {row['instruction']}" for row in _DATA]
