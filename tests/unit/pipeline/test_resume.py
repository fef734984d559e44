"""Resume: a run that died midway, run again, gives exactly the rows of a clean run.

The LLM "crashes" the run after some requests (an error that stops the pipeline,
like a kill, with rows in flight lost); a torn last line is added to a store, as a
kill mid-write leaves. The response cache is deleted before resuming, so what is
not sent again was reused from the row stores alone.
"""

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

from distilabel.errors import DistilabelError
from distilabel.pipeline import Pipeline, sample_n_steps
from distilabel.pipeline.row_store import RowStore
from distilabel.pipeline.signature import step_signatures
from distilabel.steps import (
    CombineOutputs,
    ExpandColumns,
    GlobalStep,
    GroupColumns,
    LoadDataFromDicts,
    StepInput,
    step,
)
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM, EchoSyncLLM


class Crash(DistilabelError):
    """Stops the run from inside a request (a DistilabelError is never turned into a failed row)."""


class Counter:
    def __init__(self, crash_after: Optional[int] = None) -> None:
        self.calls: List[str] = []
        self.crash_after = crash_after

    async def __call__(self, text: str) -> None:
        if self.crash_after is not None and len(self.calls) >= self.crash_after:
            raise Crash("killed")
        self.calls.append(text)


@step(inputs=["generation"], outputs=["part"])
def Split(inputs: StepInput) -> Any:
    """One row per word of the generation: a step that makes several rows of one."""
    yield [{**row, "part": part} for row in inputs for part in row["generation"].split()]


class CountAll(GlobalStep):
    @property
    def inputs(self) -> List[str]:
        return ["generation"]

    def process(self, inputs: StepInput) -> Any:  # type: ignore[override]
        yield [{**row, "total": len(inputs)} for row in inputs]


def echo(counter: Counter, **fields: Any) -> EchoAsyncLLM:
    llm = EchoAsyncLLM(max_concurrent_requests=3, **fields)
    llm._hook = counter
    return llm


def rows(n: int) -> List[Dict[str, Any]]:
    return [{"instruction": f"q{i}"} for i in range(n)]


def crash_then_resume(
    tmp_path: Path, build: Callable[[Counter], Pipeline], crash_after: int
) -> tuple:
    """(clean output, resumed output, requests of the resumed run, the resumed pipeline)."""
    clean = build(Counter()).run()
    crashed = build(Counter(crash_after))
    crashed._cache_dir = tmp_path / "crashed"
    with pytest.raises(Crash):
        crashed.run()
    for store in (crashed.run_dir / "steps").iterdir():
        with open(store / "rows.jsonl", "a") as file:
            file.write('{"k": [99999], "r": {"instruction": "torn')  # a kill mid-write
    (crashed.cache_root / "responses.sqlite").unlink()
    counter = Counter()
    resumed = build(counter)
    resumed._cache_dir = tmp_path / "crashed"
    return clean, resumed.run(), counter.calls, resumed


def table(distiset: Any) -> Dict[str, List[Dict[str, Any]]]:
    return {name: distiset[name]["train"].to_list() for name in distiset}


def test_linear_pipeline_with_batch_and_global_steps(tmp_path: Path) -> None:
    def build(counter: Counter) -> Pipeline:
        with Pipeline(name="linear", cache_dir=tmp_path / "clean") as pipeline:
            load = LoadDataFromDicts(data=rows(40), batch_size=7)
            task = TextGeneration(name="task", llm=echo(counter))
            load >> task >> Split(name="split", input_batch_size=3) >> CountAll(name="count")
        return pipeline

    clean, resumed, calls, pipeline = crash_then_resume(tmp_path, build, crash_after=15)
    assert table(resumed) == table(clean)
    kept = pipeline.last_run_summary["task"]["resumed_rows"]
    assert kept >= 10  # the rows finished before the crash (some were in flight)
    assert len(calls) == 40 - kept  # nothing finished was sent again
    assert len(RowStore.keys(pipeline.run_dir / "steps" / "task")) == 40


def test_branches_joined_by_row(tmp_path: Path) -> None:
    def build(counter: Counter) -> Pipeline:
        with Pipeline(name="join", cache_dir=tmp_path / "clean") as pipeline:
            load = LoadDataFromDicts(data=rows(30), batch_size=4)
            a = TextGeneration(name="a", llm=echo(counter), output_mappings={"generation": "gen_a"})
            b = TextGeneration(name="b", llm=EchoSyncLLM(), output_mappings={"generation": "gen_b"}, input_batch_size=5)
            load >> [a, b] >> CombineOutputs(name="combine", input_batch_size=4)
        return pipeline

    clean, resumed, calls, pipeline = crash_then_resume(tmp_path, build, crash_after=12)
    assert table(resumed) == table(clean)
    assert len(calls) == 30 - pipeline.last_run_summary["a"]["resumed_rows"]


def test_routed_rows_go_where_they_went_before(tmp_path: Path) -> None:
    def build(counter: Counter) -> Pipeline:
        with Pipeline(name="routed", cache_dir=tmp_path / "clean") as pipeline:
            load = LoadDataFromDicts(data=rows(20), batch_size=2)
            tasks = [TextGeneration(name=f"t{i}", llm=echo(counter)) for i in range(3)]
            load >> sample_n_steps(2) >> tasks >> GroupColumns(name="group", columns=["generation"])
        return pipeline

    _, resumed, calls, pipeline = crash_then_resume(tmp_path, build, crash_after=15)
    train = resumed["default"]["train"]
    assert train["instruction"] == [f"q{i}" for i in range(20)]
    assert all(len(generations) == 2 for generations in train["grouped_generation"])
    stored = sum(len(RowStore.keys(pipeline.run_dir / "steps" / f"t{i}")) for i in range(3))
    assert stored == 40
    # The three tasks' LLMs are alike: a prompt sent to two of them is answered once, then from the cache.
    resumed_rows = sum(pipeline.last_run_summary[f"t{i}"]["resumed_rows"] for i in range(3))
    assert len(calls) + pipeline.last_run_summary.totals["cache_hits"] == 40 - resumed_rows


def test_step_signatures_follow_the_graph(tmp_path: Path) -> None:
    def build(temperature: float, retries: int) -> Pipeline:
        with Pipeline(name="sig", cache_dir=tmp_path) as pipeline:
            load = LoadDataFromDicts(name="load", data=rows(3))
            task = TextGeneration(
                name="task", llm=EchoAsyncLLM(generation_kwargs={"temperature": temperature}, max_retries=retries)
            )
            load >> task >> ExpandColumns(name="expand", columns=["generation"])
        return pipeline

    def signatures(pipeline: Pipeline) -> Dict[str, str]:
        return step_signatures(pipeline.dump()["pipeline"], pipeline.dag.topological_order())

    base = signatures(build(0.5, 3))
    assert signatures(build(0.5, 9)) == base  # retries do not change what comes out
    hotter = signatures(build(0.9, 3))
    assert hotter["load"] == base["load"]  # upstream of the edit: reused
    assert hotter["task"] != base["task"] and hotter["expand"] != base["expand"]  # the edit and downstream: not
