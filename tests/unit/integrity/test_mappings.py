"""Input and output mappings never lose or swap a column (distilabel 1.5's semantics).

A step reads a mapped column under its own input name; its output columns are
written under their ``output_mappings`` names, the mapped input goes back under
its dataset name, and a column the input view hid is restored.
"""

from pathlib import Path
from typing import Any, Dict, List

import pytest

from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts, StepInput, step
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM, EchoSyncLLM


def _critique_chain(tmp_path: Path, llm_type: type) -> List[Dict[str, Any]]:
    with Pipeline(name="critique", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": "q0"}, {"instruction": "q1"}])
        answer = TextGeneration(llm=llm_type())
        critique = TextGeneration(
            llm=llm_type(),
            template="Rate: {{ answer }}",
            columns=["answer"],
            input_mappings={"answer": "generation"},
            output_mappings={"generation": "critique"},
        )
        load >> answer >> critique
    return pipeline.run()["default"]["train"].to_list()


@pytest.mark.parametrize(
    "llm_type", [EchoAsyncLLM, EchoSyncLLM], ids=["async-rows", "sync-batches"]
)
def test_critique_chain_keeps_the_first_answer_and_adds_the_second(
    tmp_path: Path, llm_type: type
) -> None:
    prefix = "Echo: " if llm_type is EchoAsyncLLM else "Sync: "
    rows = _critique_chain(tmp_path, llm_type)
    assert [row["generation"] for row in rows] == [f"{prefix}q0", f"{prefix}q1"]
    assert [row["critique"] for row in rows] == [
        f"{prefix}Rate: {prefix}q0",
        f"{prefix}Rate: {prefix}q1",
    ]
    assert "answer" not in rows[0]


def test_a_column_hidden_by_an_input_mapping_is_restored(tmp_path: Path) -> None:
    # The rows already have an `answer` column; the step reads `generation` as `answer`.
    data = [{"instruction": "q0", "answer": "kept"}]
    with Pipeline(name="restore", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=data)
        first = TextGeneration(llm=EchoAsyncLLM())
        second = TextGeneration(
            llm=EchoAsyncLLM(),
            template="Rate: {{ answer }}",
            columns=["answer"],
            input_mappings={"answer": "generation"},
            output_mappings={"generation": "critique"},
        )
        load >> first >> second
    [row] = pipeline.run()["default"]["train"].to_list()
    assert row["answer"] == "kept"
    assert row["generation"] == "Echo: q0"
    assert row["critique"] == "Echo: Rate: Echo: q0"


def test_a_step_output_wins_over_the_restored_input_of_the_same_name(tmp_path: Path) -> None:
    @step(inputs=["text"], outputs=["source"])
    def CopyToSource(inputs: StepInput):
        for row in inputs:
            row["source"] = row["text"].upper()
        yield inputs

    data = [{"source": "abc"}]
    with Pipeline(name="collide", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=data) >> CopyToSource(input_mappings={"text": "source"})
    [row] = pipeline.run()["default"]["train"].to_list()
    # The step wrote `source` itself: its value is the one kept (as in distilabel 1.5).
    assert row == {"source": "ABC"}


def test_map_output_row_unit() -> None:
    task = TextGeneration(
        llm=EchoAsyncLLM(),
        template="Rate: {{ answer }}",
        columns=["answer"],
        input_mappings={"answer": "generation"},
        output_mappings={"generation": "critique"},
    )
    original = {"instruction": "q", "generation": "first", "answer": "old"}
    view = task._map_input_row(original)
    assert view == {"instruction": "q", "answer": "first"}
    assert original == {
        "instruction": "q",
        "generation": "first",
        "answer": "old",
    }  # not changed in place
    out = task._map_output_row({**view, "generation": "second", "model_name": "m"}, original)
    assert out == {
        "instruction": "q",
        "generation": "first",
        "critique": "second",
        "model_name": "m",
        "answer": "old",
    }
