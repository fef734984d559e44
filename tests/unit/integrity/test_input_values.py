"""Bad input values fail their rows before a request is paid for; a run without its dataset does not say finished."""

import json
import logging
from pathlib import Path
from typing import Any, Dict, List

import pyarrow as pa
import pytest

from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts, StepInput, step
from distilabel.steps.tasks import TextGeneration
from tests.servers.openai_server import OpenAIServer
from tests.unit.pipeline.fakes import EchoAsyncLLM, EchoSyncLLM, last_text

_BAD = [None, {"q": "a dict"}, 42, "", "   ", [{"role": "user", "content": "a conversation"}]]
_REASONS = [
    "is None (a missing value)",
    "must hold text (str), got dict",
    "must hold text (str), got int",
    "The prompt of this row is empty",
    "The prompt of this row is empty",
    "holds a conversation, not text",
]


def _data() -> List[Dict[str, Any]]:
    return [{"instruction": "good"}, *({"instruction": value} for value in _BAD)]


def _check_failed_rows(rows: List[Dict[str, Any]], step_name: str) -> None:
    assert rows[0]["generation"].endswith("good")
    for row, reason in zip(rows[1:], _REASONS, strict=True):
        assert row["generation"] is None
        error = row["distilabel_metadata"][f"error_{step_name}"]
        assert error.startswith("format_input failed: DistilabelUserError: ") and reason in error, (
            error
        )


def test_bad_instructions_fail_before_a_request_async(tmp_path: Path) -> None:
    sent: List[str] = []

    async def record(text: str) -> None:
        sent.append(text)

    llm = EchoAsyncLLM()
    llm._hook = record
    with Pipeline(name="bad", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        LoadDataFromDicts(data=_data()) >> TextGeneration(llm=llm, name="gen")
    rows = pipeline.run()["default"]["train"].to_list()
    assert sent == ["good"]  # "None", "{'q': ...}", "42" were never sent
    _check_failed_rows(rows, "gen")
    summary = pipeline.last_run_summary
    assert summary["gen"]["failed"] == len(_BAD)
    assert summary["gen"]["llm"]["requests"] == 1
    # The mixed `instruction` column (None, dict, int, str, list) still makes a dataset.
    assert summary.status == "finished"
    assert rows[2]["instruction"] == json.dumps({"q": "a dict"})


def test_bad_instructions_fail_before_a_request_sync(tmp_path: Path) -> None:
    llm = EchoSyncLLM()
    seen: List[str] = []
    original = llm.generate

    def generate(inputs: List[Any], num_generations: int = 1, top_k: int = 1) -> List[Any]:
        seen.extend(last_text(i) for i in inputs)
        return original(inputs, num_generations)

    object.__setattr__(llm, "generate", generate)
    with Pipeline(name="bad-sync", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        LoadDataFromDicts(data=_data()) >> TextGeneration(llm=llm, name="gen")
    rows = pipeline.run()["default"]["train"].to_list()
    assert seen == ["good"]
    _check_failed_rows(rows, "gen")


def test_bad_values_cost_no_request_on_a_real_sdk(tmp_path: Path, openai_env: OpenAIServer) -> None:
    with Pipeline(name="bad-openai", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        load = LoadDataFromDicts(
            data=[
                {"instruction": "q0"},
                {"instruction": "q1 [[status:400]]"},
                {"instruction": None},
            ]
        )
        first = TextGeneration(llm=OpenAILLM(model="gpt-4o-mini"), name="answer")
        # The critique of a failed answer has no answer to rate: it fails without a request.
        critique = TextGeneration(
            llm=OpenAILLM(model="gpt-4o-mini"),
            name="critique",
            template="Rate: {{ answer }}",
            columns=["answer"],
            input_mappings={"answer": "generation"},
            output_mappings={"generation": "critique"},
        )
        load >> first >> critique
    rows = pipeline.run()["default"]["train"].to_list()
    bodies = [
        r["json"]["messages"][-1]["content"] for r in openai_env.requests("/v1/chat/completions")
    ]
    assert sorted(bodies) == ["Rate: Echo: q0", "q0", "q1 [[status:400]]"]
    assert rows[0]["critique"] == "Echo: Rate: Echo: q0"
    assert rows[1]["critique"] is None and rows[2]["critique"] is None
    assert "Column 'answer' is None" in rows[1]["distilabel_metadata"]["error_critique"]
    assert "Column 'instruction' is None" in rows[2]["distilabel_metadata"]["error_answer"]


def test_template_values_other_than_none_still_render(tmp_path: Path) -> None:
    task = TextGeneration(
        llm=EchoAsyncLLM(),
        template="Score {{ n }} for {{ items | join(', ') }}",
        columns=["n", "items"],
    )
    [message] = task.format_input({"n": 3, "items": ["a", "b"]})
    assert message["content"] == "Score 3 for a, b"
    with pytest.raises(ValueError, match="Column 'n' is None"):
        task.format_input({"n": None, "items": ["a"]})
    with pytest.raises(ValueError, match="'system_prompt' must hold text"):
        TextGeneration(llm=EchoAsyncLLM()).format_input({"instruction": "q", "system_prompt": 5})


def test_a_column_of_mixed_types_made_by_a_step_is_written_as_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    @step(inputs=["instruction"], outputs=["score"])
    def Score(inputs: StepInput):
        for i, row in enumerate(inputs):
            row["score"] = i if i % 2 == 0 else "n/a"
        yield inputs

    with Pipeline(name="mixed", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(4)]) >> Score()
    with caplog.at_level(logging.WARNING, logger="distilabel"):
        train = pipeline.run()["default"]["train"]
    assert train["score"] == ["0", "n/a", "2", "n/a"]
    assert any(
        "Column 'score' mixes value types (int, str)" in r.getMessage() for r in caplog.records
    )
    assert pipeline.last_run_summary.status == "finished"


def test_a_run_that_cannot_build_its_dataset_does_not_say_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import distilabel.distiset

    def fail(rows: List[Dict[str, Any]]) -> Any:
        raise pa.ArrowInvalid("Could not convert 'x' with type str: tried to convert to int64")

    monkeypatch.setattr(distilabel.distiset, "rows_to_dataset", fail)
    with Pipeline(name="nodataset", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=[{"instruction": "q"}]) >> TextGeneration(llm=EchoAsyncLLM())
    with caplog.at_level(logging.INFO, logger="distilabel"), pytest.raises(pa.ArrowInvalid):
        pipeline.run()
    summary = pipeline.last_run_summary
    assert summary.status == "failed"
    assert "The dataset could not be built" in summary.message
    written = json.loads((pipeline.run_dir / "summary.json").read_text())
    assert written["status"] == "failed"
    assert not any(r.getMessage().startswith("Pipeline finished") for r in caplog.records)


def test_a_message_without_text_fails_its_row() -> None:
    from distilabel.steps.tasks import ChatGeneration

    task = ChatGeneration(llm=EchoAsyncLLM())
    assert task.format_input({"messages": [{"role": "user", "content": "hi"}]}) == [
        {"role": "user", "content": "hi"}
    ]
    with pytest.raises(
        ValueError, match="Message 0 of the 'messages' column has content NoneType None"
    ):
        task.format_input({"messages": [{"role": "user", "content": None}]})
