"""Parameters accepted for distilabel 1.5 code but not used here warn once each, saying what happens instead."""

import warnings
from pathlib import Path
from typing import Iterator, List

import pytest

from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts, LoadDataFromDisk, LoadDataFromHub, StepResources
from distilabel.steps.tasks import TextGeneration
from distilabel.utils.ignored import IgnoredParameterWarning, reset_ignored_warnings
from tests.unit.pipeline.fakes import EchoAsyncLLM


@pytest.fixture(autouse=True)
def fresh_warnings() -> Iterator[None]:
    reset_ignored_warnings()
    yield
    reset_ignored_warnings()


def build(tmp_path: Path, resources: StepResources = None) -> Pipeline:  # type: ignore[assignment]
    with Pipeline(name="ignored", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=[{"instruction": "a"}]) >> TextGeneration(
            name="generate", llm=EchoAsyncLLM(), resources=resources or StepResources()
        )
    return pipeline


def ignored(record: List[warnings.WarningMessage]) -> List[str]:
    return [str(w.message) for w in record if issubclass(w.category, IgnoredParameterWarning)]


def test_run_arguments_that_change_nothing_warn_once_each(tmp_path: Path) -> None:
    pipeline = build(tmp_path)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        pipeline.run(
            use_cache=False,
            storage_parameters={"path": "s3://bucket"},
            use_fs_to_pass_data=True,
            load_groups="sequential_step_execution",
        )
    messages = ignored(record)
    # load_groups is honoured (the steps load one stage at a time): no warning for it.
    assert len(messages) == 2
    assert any(
        m.startswith(
            "Pipeline.run(storage_parameters=...) is ignored: each step's rows are stored in the run folder"
        )
        for m in messages
    )
    assert any(
        m.startswith(
            "Pipeline.run(use_fs_to_pass_data=True) is ignored: rows pass between steps in memory"
        )
        for m in messages
    )
    assert not any(m.startswith("Pipeline.run(load_groups=...)") for m in messages)
    # The warning points at the caller's line, not at distilabel.
    assert all(
        Path(w.filename) == Path(__file__)
        for w in record
        if issubclass(w.category, IgnoredParameterWarning)
    )
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        pipeline.run(
            use_cache=False, storage_parameters={"path": "s3://bucket"}, use_fs_to_pass_data=True
        )
    assert ignored(again) == []  # once per process


def test_defaults_do_not_warn(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        build(tmp_path).run(use_cache=False)
    assert ignored(record) == []


def test_step_resources_other_than_replicas_warn(tmp_path: Path) -> None:
    pipeline = build(tmp_path, StepResources(replicas=2, cpus=4, gpus=1, memory=2**30))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        pipeline.run(use_cache=False)
    messages = ignored(record)
    assert sorted(m.split(" is ignored")[0] for m in messages) == [
        "StepResources(cpus=...)",
        "StepResources(gpus=...)",
        "StepResources(memory=...)",
    ]
    assert all("only `replicas` (batches processed at once) is used" in m for m in messages)


@pytest.fixture
def saved_dataset(tmp_path: Path) -> Path:
    from datasets import Dataset

    path = tmp_path / "saved"
    Dataset.from_list([{"instruction": f"q{i}"} for i in range(3)]).save_to_disk(str(path))
    return path


def test_streaming_warns_and_loads_the_rows(saved_dataset: Path) -> None:
    step = LoadDataFromHub(repo_id=str(saved_dataset), split=None, streaming=True)
    with pytest.warns(
        IgnoredParameterWarning,
        match=r"LoadDataFromHub\(streaming=True\) is ignored: the split is loaded",
    ):
        step.load()
    [(batch, last)] = list(step.process())
    assert [row["instruction"] for row in batch] == ["q0", "q1", "q2"] and last


def test_keep_in_memory_is_honoured(saved_dataset: Path) -> None:
    in_memory = LoadDataFromDisk(dataset_path=str(saved_dataset), keep_in_memory=True)
    in_memory.load()
    mapped = LoadDataFromDisk(dataset_path=str(saved_dataset))
    mapped.load()
    assert in_memory._dataset.cache_files == []  # read into memory
    assert mapped._dataset.cache_files != []  # memory-mapped from the files
    assert in_memory._dataset["instruction"] == ["q0", "q1", "q2"]
