"""Built-in steps, the @step decorator and Task behaviour outside a pipeline."""

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
from datasets import Dataset

from distilabel.distiset import Distiset
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.pipeline import Pipeline
from distilabel.pipeline.row_store import RowStore
from distilabel.steps import (
    ExpandColumns,
    FormatChatGenerationDPO,
    FormatTextGenerationDPO,
    FormatTextGenerationSFT,
    GroupColumns,
    KeepColumns,
    LoadDataFromDicts,
    LoadDataFromDisk,
    LoadDataFromFileSystem,
    LoadDataFromHub,
    MergeColumns,
    StepInput,
    step,
)
from distilabel.steps.tasks import ChatGeneration, TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM, EchoSyncLLM


def all_rows(generator_step: Any) -> List[Dict[str, Any]]:
    generator_step.load()
    return [row for batch, _ in generator_step.process() for row in batch]


def test_load_data_from_dicts_batches() -> None:
    load = LoadDataFromDicts(data=[{"a": i} for i in range(5)], batch_size=2)
    assert [([r["a"] for r in b], last) for b, last in load.process()] == [([0, 1], False), ([2, 3], False), ([4], True)]


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_load_data_from_file_system(tmp_path: Path, suffix: str) -> None:
    dataset = Dataset.from_list([{"instruction": "a", "n": 1}, {"instruction": "b", "n": 2}])
    path = tmp_path / f"data.{suffix}"
    {"jsonl": dataset.to_json, "csv": dataset.to_csv, "parquet": dataset.to_parquet}[suffix](str(path))
    rows = all_rows(LoadDataFromFileSystem(data_files=str(path)))
    assert [(r["instruction"], r["n"]) for r in rows] == [("a", 1), ("b", 2)]


def test_load_data_from_hub_reads_a_local_path_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    Dataset.from_list([{"x": 1}, {"x": 2}, {"x": 3}]).save_to_disk(str(tmp_path / "saved"))
    assert [r["x"] for r in all_rows(LoadDataFromHub(repo_id=str(tmp_path / "saved"), num_examples=2))] == [1, 2]
    (tmp_path / "files").mkdir()
    Dataset.from_list([{"y": "a"}]).to_json(str(tmp_path / "files" / "train.jsonl"))
    assert all_rows(LoadDataFromHub(repo_id=str(tmp_path / "files"))) == [{"y": "a"}]


def test_load_data_from_disk_reads_a_distiset(tmp_path: Path) -> None:
    from datasets import DatasetDict

    distiset = Distiset({"default": DatasetDict({"train": Dataset.from_list([{"z": 1}])})})
    distiset.save_to_disk(tmp_path / "d")
    assert all_rows(LoadDataFromDisk(dataset_path=str(tmp_path / "d"), is_distiset=True)) == [{"z": 1}]


def test_column_steps() -> None:
    assert next(KeepColumns(columns=["b", "a"]).process([{"a": 1, "b": 2, "c": 3}])) == [{"b": 2, "a": 1}]
    assert next(MergeColumns(columns=["a", "b"], output_column="m").process([{"a": [1], "b": 2}])) == [{"m": [1, 2]}]
    expanded = next(ExpandColumns(columns={"xs": "x"}).process([{"xs": [1, 2], "k": 0}]))
    # Renamed, the source list column stays (as in distilabel 1.5).
    assert expanded == [{"xs": [1, 2], "k": 0, "x": 1}, {"xs": [1, 2], "k": 0, "x": 2}]
    grouped = next(GroupColumns(columns=["g"]).process([{"g": 1, "id": 0}], [{"g": 2, "id": 0}]))
    assert grouped == [{"id": 0, "grouped_g": [1, 2]}]


def test_formatting_steps() -> None:
    [sft] = next(FormatTextGenerationSFT().process([{"instruction": "q", "generation": "a", "system_prompt": "s"}]))
    assert sft["messages"] == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a"},
    ]
    assert sft["prompt"] == "q" and len(sft["prompt_id"]) == 64
    [dpo] = next(
        FormatTextGenerationDPO().process(
            [{"instruction": "q", "generations": ["bad", "good"], "ratings": [1, 5], "generation_models": ["m1", "m2"]}]
        )
    )
    assert dpo["chosen"][-1]["content"] == "good" and dpo["chosen_model"] == "m2" and dpo["chosen_rating"] == 5
    assert dpo["rejected"][-1]["content"] == "bad" and dpo["rejected_rating"] == 1
    [chat] = next(
        FormatChatGenerationDPO().process(
            [{"messages": [{"role": "user", "content": "hi"}], "generations": ["x", "y"], "ratings": [None, None]}]
        )
    )
    assert chat["chosen"] is None and chat["prompt"] == "hi"


def test_step_decorator_makes_runtime_parameters(tmp_path: Path) -> None:
    @step(inputs=["instruction"], outputs=["length"])
    def Length(inputs: StepInput, factor: RuntimeParameter[int] = 1):
        for row in inputs:
            row["length"] = len(row["instruction"]) * factor
        yield inputs

    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        length = Length()
        LoadDataFromDicts(data=[{"instruction": "abc"}]) >> length
    assert length.runtime_parameters_names["factor"] is True
    train = pipeline.run(parameters={length.name: {"factor": 2}})["default"]["train"]
    assert train["length"] == [6]


def test_text_generation_template_and_system_prompt() -> None:
    task = TextGeneration(
        llm=EchoSyncLLM(), system_prompt="be brief", template="Translate {{ text }} to {{ lang }}", columns=["text", "lang"]
    )
    task.load()
    [row] = next(task.process([{"text": "hola", "lang": "en"}]))
    assert row["generation"] == "Sync: Translate hola to en"
    assert row["distilabel_metadata"]["raw_input_text_generation_0"][0] == {"role": "system", "content": "be brief"}
    with pytest.raises(ValueError, match="does not use the columns"):
        TextGeneration(llm=EchoSyncLLM(), template="{{ text }}", columns=["text", "lang"])


def test_task_rows_with_bad_input_fail_alone() -> None:
    task = ChatGeneration(llm=EchoAsyncLLM(), add_raw_output=False)
    task.load()
    rows = next(task.process([{"messages": "not a list"}, {"messages": [{"role": "user", "content": "hi"}]}]))
    assert rows[0]["generation"] is None
    assert "format_input failed" in rows[0]["distilabel_metadata"]["error_chat_generation_0"]
    assert rows[1]["generation"] == "Echo: hi"
    assert "raw_output_chat_generation_0" not in rows[1]["distilabel_metadata"]
    task.unload()


def test_row_store_skips_a_torn_last_line(tmp_path: Path) -> None:
    with RowStore(tmp_path) as store:
        store.append([((1,), {"a": 1}), ((0,), {"a": 0})])
    with open(tmp_path / "rows.jsonl", "a") as file:
        file.write('{"k": [2], "r": {"a"')
    assert RowStore.read_sorted(tmp_path) == [{"a": 0}, {"a": 1}]
    assert RowStore.keys(tmp_path) == {(0,), (1,)}
    assert json.loads((tmp_path / "rows.jsonl").read_text().splitlines()[0]) == {"k": [1], "r": {"a": 1}}


def test_distiset_save_load_and_split(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path / "cache") as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(10)])
        load >> [KeepColumns(name="a", columns=["instruction"]), KeepColumns(name="b", columns=["instruction"])]
    distiset = pipeline.run()
    assert sorted(distiset) == ["a", "b"]
    distiset.save_to_disk(tmp_path / "out")
    card = (tmp_path / "out" / "README.md").read_text()
    assert "config_name: a" in card and "distilabel pipeline run" in card
    loaded = Distiset.load_from_disk(tmp_path / "out")
    assert loaded["a"]["train"]["instruction"] == [f"q{i}" for i in range(10)]
    assert loaded.pipeline_path is not None and loaded.pipeline_path.exists()
    split = loaded.train_test_split(train_size=0.8, seed=0)
    assert (len(split["a"]["train"]), len(split["a"]["test"])) == (8, 2)
