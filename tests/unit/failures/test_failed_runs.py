"""A run in which a task got no answer at all fails loudly: an error, status "failed", a non-zero exit.

Rows are kept (with their errors) and the summary is written before the error is
raised; a run with some answers, or with answers the task could not parse, still
finishes.
"""

import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from typer.testing import CliRunner

from distilabel.cli.app import app
from distilabel.errors import DistilabelUserError
from distilabel.models.llms.base import LLM
from distilabel.pipeline import DistilabelRunFailedError, Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM


def rows(texts: List[str]) -> List[Dict[str, Any]]:
    return [{"instruction": text} for text in texts]


def build(
    tmp_path: Path, texts: List[str], llm: Any = None, task: Any = TextGeneration
) -> Pipeline:
    with Pipeline(name="failing", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=rows(texts)) >> task(name="generate", llm=llm or EchoAsyncLLM())
    return pipeline


def test_every_row_failed_raises_after_writing_the_summary_and_keeping_the_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = build(tmp_path, [f"fail {i}" for i in range(4)])
    with (
        caplog.at_level(logging.INFO, logger="distilabel"),
        pytest.raises(DistilabelRunFailedError) as raised,
    ):
        pipeline.run(use_cache=False)
    error = raised.value
    assert isinstance(error, DistilabelUserError)
    assert error.steps == ["generate"]
    message = str(error)
    assert "every row of step 'generate' failed (4 rows" in message
    assert "the model refused 'fail 0'" in message  # an example of the real error
    assert str(pipeline.run_dir / "steps") in message
    # The summary says failed, in the log (at ERROR) and in summary.json; never "finished".
    summary = json.loads((pipeline.run_dir / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["message"] == message
    assert pipeline.last_run_summary.status == "failed"
    assert not any("Pipeline finished" in r.getMessage() for r in caplog.records)
    assert any(
        r.levelno == logging.ERROR and "Pipeline failed" in r.getMessage() for r in caplog.records
    )
    # The rows are kept, each with its error.
    train = error.distiset["default"]["train"]
    assert train["instruction"] == [f"fail {i}" for i in range(4)]
    assert train["generation"] == [None] * 4


def test_some_answers_make_a_finished_run(tmp_path: Path) -> None:
    pipeline = build(tmp_path, ["fail 0", "ok 1", "fail 2"])
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["generation"] == [None, "Echo: ok 1", None]
    assert pipeline.last_run_summary.status == "finished"
    assert pipeline.last_run_summary["generate"]["failed"] == 2


class Unparsable(TextGeneration):
    """Every answer arrives, and the parser rejects it."""

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        raise ValueError(f"cannot read {output!r}")


def test_answers_the_task_cannot_parse_do_not_fail_the_run(tmp_path: Path) -> None:
    pipeline = build(tmp_path, ["a", "b"], task=Unparsable)
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["generation"] == [None, None]
    assert pipeline.last_run_summary.status == "finished"
    assert pipeline.last_run_summary["generate"]["failed"] == 2


class BrokenSyncLLM(LLM):
    """A local LLM that fails every input (as llama.cpp does for prompts over n_ctx)."""

    @property
    def model_name(self) -> str:
        return "broken-sync"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        raise RuntimeError("the model cannot run here")


def test_a_sync_llm_failing_every_row_fails_the_run(tmp_path: Path) -> None:
    pipeline = build(tmp_path, ["a", "b", "c"], llm=BrokenSyncLLM())
    with pytest.raises(DistilabelRunFailedError, match="RuntimeError: the model cannot run here"):
        pipeline.run(use_cache=False)
    assert pipeline.last_run_summary.status == "failed"


def test_the_cli_exits_1_when_every_row_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))
    config = tmp_path / "pipeline.yaml"
    build(tmp_path / "cache", ["fail a", "fail b"]).save(config)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "pipeline",
            "run",
            "--config",
            str(config),
            "--allowed-module",
            "tests.unit.pipeline.fakes",
            "--ignore-cache",
            "--output-dir",
            str(out),
        ],
    )
    assert result.exit_code == 1, result.output
    assert (
        "Error: The run made no usable data: every row of step 'generate' failed" in result.output
    )
    assert not out.exists()  # nothing is saved as if it were a dataset


def test_the_cli_exits_2_with_the_address_when_the_server_is_not_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("openai", reason="the openai extra is not installed")
    import socket

    from distilabel.models.llms import OpenAILLM

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    config = tmp_path / "pipeline.yaml"
    llm = OpenAILLM(model="gpt-4o", base_url=f"http://127.0.0.1:{port}/v1")
    build(tmp_path / "cache", ["a", "b"], llm=llm).save(config)
    result = CliRunner().invoke(app, ["pipeline", "run", "--config", str(config), "--ignore-cache"])
    assert result.exit_code == 2, result.output
    assert f"cannot connect to 127.0.0.1:{port} (connection refused)" in result.output


def test_rows_that_fail_again_on_a_resumed_run_do_not_fail_it(tmp_path: Path) -> None:
    texts = ["ok 0", "fail 1", "ok 2"]
    first = build(tmp_path, texts)
    first.run()
    assert first.last_run_summary.status == "finished"
    # The same pipeline: resumes and, asked to, sends the failed row (an HTTP 400) again.
    again = build(tmp_path, texts)
    train = again.run(retry_failed=True)["default"]["train"]
    assert sorted(g for g in train["generation"] if g) == ["Echo: ok 0", "Echo: ok 2"]
    summary = again.last_run_summary
    assert summary["generate"]["resumed_rows"] == 2 and summary["generate"]["failed"] == 1
    assert summary.status == "finished"
