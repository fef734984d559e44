"""The engine end to end with small in-process LLMs."""

import asyncio
import threading
from pathlib import Path
from typing import Any, Dict, List

import pytest

from distilabel.pipeline import Pipeline, sample_n_steps
from distilabel.pipeline.row_store import RowStore
from distilabel.steps import (
    CombineOutputs,
    ExpandColumns,
    GlobalStep,
    GroupColumns,
    KeepColumns,
    LoadDataFromDicts,
    StepInput,
    step,
)
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM, EchoSyncLLM


def rows(n: int) -> List[Dict[str, Any]]:
    return [{"instruction": f"q{i}"} for i in range(n)]


def test_rows_come_out_in_input_order_with_failures_kept(tmp_path: Path) -> None:
    data = rows(60)
    data[7]["instruction"] = "please fail"
    with Pipeline(name="p", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        load = LoadDataFromDicts(data=data, batch_size=7)
        generate = TextGeneration(llm=EchoAsyncLLM(max_concurrent_requests=5), input_batch_size=4)
        load >> generate
    distiset = pipeline.run()
    train = distiset["default"]["train"]
    assert train["instruction"] == [row["instruction"] for row in data]
    assert train["generation"][0] == "Echo: q0"
    assert train["generation"][7] is None
    error = train["distilabel_metadata"][7]["error_text_generation_0"]
    assert "the model refused 'please fail'" in error
    assert pipeline.last_run_summary["text_generation_0"]["failed"] == 1
    assert pipeline.last_run_summary["text_generation_0"]["rows"] == 60


def test_metadata_column_dropped_unless_enabled(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=rows(3)) >> TextGeneration(llm=EchoAsyncLLM())
    train = pipeline.run()["default"]["train"]
    assert train.column_names == ["instruction", "generation", "model_name"]


def test_slow_request_does_not_hold_back_the_others(tmp_path: Path) -> None:
    downstream_saw_rows = threading.Event()

    @step(inputs=["generation"], outputs=["seen"])
    def Watch(inputs: StepInput):
        for row in inputs:
            row["seen"] = True
        downstream_saw_rows.set()
        yield inputs

    async def hold_first_row(text: str) -> None:
        if text == "q0":
            # Bounded wait: only returns early if other rows flowed downstream meanwhile.
            for _ in range(500):
                if downstream_saw_rows.is_set():
                    return
                await asyncio.sleep(0.01)
            raise AssertionError("no row reached the next step while the first request was pending")

    llm = EchoAsyncLLM(max_concurrent_requests=4)
    llm._hook = hold_first_row
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        generate = TextGeneration(llm=llm, input_batch_size=10)
        LoadDataFromDicts(data=rows(30), batch_size=10) >> generate >> Watch(input_batch_size=3)
    train = pipeline.run()["default"]["train"]
    assert train["generation"][0] == "Echo: q0"
    assert all(train["seen"])


def test_sync_llm_task_runs_off_the_event_loop(tmp_path: Path) -> None:
    llm = EchoSyncLLM()
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=rows(10)) >> TextGeneration(llm=llm, input_batch_size=4)
    train = pipeline.run()["default"]["train"]
    assert train["generation"] == [f"Sync: q{i}" for i in range(10)]
    assert llm._threads and all(name.startswith("distilabel-step") for name in llm._threads)


def test_num_generations_split_or_grouped(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=rows(2))
        split = TextGeneration(name="split", llm=EchoAsyncLLM(), num_generations=2)
        grouped = TextGeneration(name="grouped", llm=EchoAsyncLLM(), num_generations=2, group_generations=True)
        load >> [split, grouped]
    distiset = pipeline.run()
    assert distiset["split"]["train"]["generation"] == ["Echo: q0", "Echo: q0 [1]", "Echo: q1", "Echo: q1 [1]"]
    assert distiset["grouped"]["train"]["generation"] == [["Echo: q0", "Echo: q0 [1]"], ["Echo: q1", "Echo: q1 [1]"]]


def test_branches_join_by_row(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=rows(25), batch_size=6)
        a = TextGeneration(name="a", llm=EchoAsyncLLM(), output_mappings={"generation": "gen_a"})
        b = TextGeneration(name="b", llm=EchoSyncLLM(), output_mappings={"generation": "gen_b"})
        combine = CombineOutputs(input_batch_size=4)
        load >> [a, b] >> combine
    train = pipeline.run()["default"]["train"]
    assert train["instruction"] == [f"q{i}" for i in range(25)]
    assert train["gen_a"] == [f"Echo: q{i}" for i in range(25)]
    assert train["gen_b"] == [f"Sync: q{i}" for i in range(25)]


def test_routing_batch_function_with_group_columns(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=rows(20), batch_size=5)
        tasks = [TextGeneration(name=f"t{i}", llm=EchoAsyncLLM()) for i in range(3)]
        group = GroupColumns(columns=["generation", "model_name"])
        load >> sample_n_steps(2) >> tasks >> group
    train = pipeline.run()["default"]["train"]
    assert len(train) == 20
    assert all(len(generations) == 2 for generations in train["grouped_generation"])
    counts = {name: len(RowStore.keys(pipeline.run_dir / "steps" / name)) for name in ("t0", "t1", "t2")}
    assert sum(counts.values()) == 40


def test_global_step_gets_every_row_and_replicas_share_batches(tmp_path: Path) -> None:
    calls: List[int] = []

    class CountAll(GlobalStep):
        @property
        def inputs(self):
            return ["instruction"]

        def process(self, inputs: StepInput):
            calls.append(len(inputs))
            yield [{**row, "total": len(inputs)} for row in inputs]

    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        keep = KeepColumns(columns=["instruction"], input_batch_size=3, resources={"replicas": 2})
        LoadDataFromDicts(data=rows(10), batch_size=4) >> keep >> CountAll()
    train = pipeline.run()["default"]["train"]
    assert calls == [10]
    assert train["total"] == [10] * 10


def test_one_to_many_step_keeps_order(tmp_path: Path) -> None:
    data = [{"items": [f"{i}-{j}" for j in range(3)]} for i in range(4)]
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=data) >> ExpandColumns(columns=["items"], input_batch_size=1)
    train = pipeline.run()["default"]["train"]
    assert train["items"] == [f"{i}-{j}" for i in range(4) for j in range(3)]


def test_dataset_argument_feeds_the_roots(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        TextGeneration(llm=EchoAsyncLLM())
    train = pipeline.run(dataset=rows(3))["default"]["train"]
    assert train["generation"] == ["Echo: q0", "Echo: q1", "Echo: q2"]


def test_dry_run_processes_one_row(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=rows(10)) >> TextGeneration(llm=EchoAsyncLLM())
    assert len(pipeline.dry_run()["default"]["train"]) == 1
    assert pipeline.dag.get("load_data_from_dicts_0").batch_size == 50


def test_runtime_parameters_reach_the_llm(tmp_path: Path) -> None:
    seen: List[float] = []

    class Recording(EchoAsyncLLM):
        async def agenerate(self, input: Any, num_generations: int = 1, temperature: float = 1.0) -> Any:
            seen.append(temperature)
            return await super().agenerate(input, num_generations, temperature)

    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        generate = TextGeneration(llm=Recording(generation_kwargs={"temperature": 0.9}))
        LoadDataFromDicts(data=rows(2)) >> generate
    pipeline.run(parameters={generate.name: {"llm": {"generation_kwargs": {"temperature": "0.3"}}}})
    assert seen == [0.3, 0.3]


def test_auth_error_stops_the_run(tmp_path: Path) -> None:
    from distilabel.errors import DistilabelUserError

    class Refused(Exception):
        status_code = 401

    class Locked(EchoAsyncLLM):
        async def agenerate(self, input: Any, num_generations: int = 1, temperature: float = 1.0) -> Any:
            raise Refused("invalid api key")

    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=rows(5)) >> TextGeneration(llm=Locked())
    with pytest.raises(DistilabelUserError, match="refused"):
        pipeline.run()
