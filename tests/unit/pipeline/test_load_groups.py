"""``Pipeline.run(load_groups=...)``: steps loaded, run and unloaded one stage after another."""

from pathlib import Path
from typing import Any, ClassVar, Dict, List

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline, sample_n_steps
from distilabel.pipeline.load_stages import engine_stages
from distilabel.pipeline.row_store import RowStore
from distilabel.steps import CombineOutputs, GroupColumns, LoadDataFromDicts, Step, StepInput
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM, EchoSyncLLM

EVENTS: List[str] = []


class Recorded(Step):
    """Appends ``tag`` to ``instruction`` into ``out_<name>``; records load/unload/process in EVENTS."""

    tag: str = "x"
    fail_on: List[str] = []
    calls: ClassVar[Dict[str, int]] = {}

    @property
    def inputs(self) -> List[str]:
        return ["instruction"]

    @property
    def outputs(self) -> List[str]:
        return [f"out_{self.name}"]

    def load(self) -> None:
        super().load()
        EVENTS.append(f"load {self.name}")

    def unload(self) -> None:
        EVENTS.append(f"unload {self.name}")
        super().unload()

    def process(self, inputs: StepInput):
        Recorded.calls[self.name] = Recorded.calls.get(self.name, 0) + len(inputs)
        EVENTS.append(f"process {self.name}")
        for row in inputs:
            if row["instruction"] in self.fail_on:
                raise RuntimeError(f"{self.name} cannot take {row['instruction']!r}")
        yield [{**row, f"out_{self.name}": f"{row['instruction']}+{self.tag}"} for row in inputs]


def data(n: int) -> List[Dict[str, Any]]:
    return [{"instruction": f"q{i}"} for i in range(n)]


def chain(tmp_path: Path, name: str = "groups", fail_on: Any = ()) -> Pipeline:
    """load -> [a (TextGeneration), b (batch step)] -> combine -> c (batch step)."""
    with Pipeline(name=name, cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(name="load", data=data(23), batch_size=5)
        a = TextGeneration(name="a", llm=EchoAsyncLLM(max_concurrent_requests=3), input_batch_size=4)
        b = Recorded(name="b", tag="B", input_batch_size=6)
        combine = CombineOutputs(name="combine")
        c = Recorded(name="c", tag="C", input_batch_size=7, fail_on=list(fail_on))
        load >> [a, b] >> combine >> c
    return pipeline


def columns(distiset: Any) -> Dict[str, List[Any]]:
    train = distiset["default"]["train"]
    return {name: train[name] for name in sorted(train.column_names)}


@pytest.fixture(autouse=True)
def _clear() -> None:
    EVENTS.clear()
    Recorded.calls.clear()


def test_same_rows_with_and_without_load_groups(tmp_path: Path) -> None:
    plain = columns(chain(tmp_path / "plain").run(use_cache=False))
    assert plain["out_b"] == [f"q{i}+B" for i in range(23)]
    assert plain["out_c"] == [f"q{i}+C" for i in range(23)]
    assert plain["generation"] == [f"Echo: q{i}" for i in range(23)]
    for groups in ("sequential_step_execution", [["a", "b"], ["c"]], [["load", "b"], ["a"]]):
        pipeline = chain(tmp_path / str(abs(hash(str(groups)))))
        assert columns(pipeline.run(load_groups=groups, use_cache=False)) == plain, groups
        assert pipeline.last_run_summary["c"]["rows"] == 23


def test_a_group_is_unloaded_before_the_next_loads(tmp_path: Path) -> None:
    pipeline = chain(tmp_path)
    pipeline.run(load_groups=[["b"], ["c"]], use_cache=False)
    assert EVENTS.index("unload b") < EVENTS.index("load c")
    # b ran to the end before c loaded: every process call of b comes first.
    last_b = max(i for i, event in enumerate(EVENTS) if event == "process b")
    assert last_b < EVENTS.index("load c") < EVENTS.index("process c")
    assert EVENTS.count("load b") == EVENTS.count("unload b") == 1
    # Without groups every step is loaded before any processes.
    EVENTS.clear()
    chain(tmp_path / "plain").run(use_cache=False)
    assert EVENTS.index("load c") < EVENTS.index("process b")


def test_stages_the_engine_runs(tmp_path: Path) -> None:
    pipeline = chain(tmp_path)
    # Without load groups: one stage of every step.
    assert engine_stages(pipeline) == [pipeline.dag.topological_order()]
    stages = engine_stages(pipeline, [["a", "b"], ["c"]])
    # combine is global (it needs all its rows): a stage of its own, as in 1.5.
    assert stages == [["load"], ["a", "b"], ["combine"], ["c"]]
    assert stages == pipeline.get_load_stages([["a", "b"], ["c"]])[0]
    assert engine_stages(pipeline, "sequential_step_execution") == [[n] for n in pipeline.dag.topological_order()]


def test_load_groups_are_checked(tmp_path: Path) -> None:
    pipeline = chain(tmp_path)
    with pytest.raises(DistilabelUserError, match=r"not in the pipeline: 'cc'\. Did you mean 'c'\?") as error:
        pipeline.run(load_groups=[["a"], ["cc"]])
    assert "'combine'" in str(error.value) and "'load'" in str(error.value)
    with pytest.raises(DistilabelUserError, match="'b' is in load groups 0 and 1"):
        pipeline.run(load_groups=[["a", "b"], ["b"]])
    with pytest.raises(DistilabelUserError, match="sequential_step_execution"):
        pipeline.run(load_groups="one_by_one")
    # A group that holds a step and its successor's successor, with the step between
    # in a later stage, cannot run.
    with pytest.raises(DistilabelUserError, match="loaded later"):
        pipeline.run(load_groups=[["b", "c"]])
    assert not (pipeline.run_dir / "steps").exists()


def test_resume_in_the_middle_of_the_groups(tmp_path: Path) -> None:
    failing = chain(tmp_path, fail_on=["q20"])
    with pytest.raises(RuntimeError, match="cannot take 'q20'"):
        failing.run(load_groups="sequential_step_execution")
    # b (stage 2 of 6) finished: its rows are in its store.
    assert len(RowStore.keys(failing.run_dir / "steps" / "b")) == 23
    calls_before = dict(Recorded.calls)
    EVENTS.clear()
    # fail_on is a field of c: another run folder, whose unchanged steps reuse the first run's rows.
    again = chain(tmp_path)
    distiset = again.run(load_groups="sequential_step_execution")
    assert columns(distiset)["out_c"] == [f"q{i}+C" for i in range(23)]
    # b's rows were reused: it was neither loaded nor run again.
    assert "load b" not in EVENTS and Recorded.calls["b"] == calls_before["b"]
    assert again.last_run_summary["b"]["resumed_rows"] == 23
    assert again.last_run_summary["c"]["rows"] == 23


def test_routing_across_groups(tmp_path: Path) -> None:
    with Pipeline(name="routed", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(name="load", data=data(20), batch_size=5)
        tasks = [
            TextGeneration(name=f"t{i}", llm=EchoAsyncLLM() if i % 2 else EchoSyncLLM()) for i in range(3)
        ]
        group = GroupColumns(name="group", columns=["generation", "model_name"])
        load >> sample_n_steps(2) >> tasks >> group
    train = pipeline.run(load_groups=[["t0"], ["t1"], ["t2"]], use_cache=False)["default"]["train"]
    assert train["instruction"] == [f"q{i}" for i in range(20)]
    assert all(len(generations) == 2 for generations in train["grouped_generation"])
    counts = {name: len(RowStore.keys(pipeline.run_dir / "steps" / name)) for name in ("t0", "t1", "t2")}
    # Each row went to the two steps its batch was routed to, though they ran at different times.
    assert sum(counts.values()) == 40
    for row in range(20):
        routed = [name for name in counts if (row,) in RowStore.keys(pipeline.run_dir / "steps" / name)]
        assert len(routed) == 2
