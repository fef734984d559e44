"""Redo only what failed: permanent failures stay failed on a plain rerun, ``retry_failed`` resends them.

``FlakyLLM`` answers ``Echo: <prompt>``; a prompt with ``refuse`` gets an HTTP 400
(permanent) and one with ``busy`` an HTTP 503 (transient, no retries here), until
the test says they are fixed. Its ``calls`` say which prompts were sent.
"""

import json
from pathlib import Path
from typing import Any, List

import pytest
from pydantic import PrivateAttr
from typer.testing import CliRunner

from distilabel.cli.app import app
from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.pipeline import Pipeline
from distilabel.runtime.failures import FailureReason, is_permanent, row_failure
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import last_text

TEXTS = ["ok 0", "refuse 1", "busy 2", "ok 3"]
FIXED: List[str] = []


class HTTPError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"the server answered {status}")
        self.status_code = status


class FlakyLLM(AsyncLLM):
    _calls: List[str] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "flaky"

    async def agenerate(self, input: Any, num_generations: int = 1) -> Any:
        text = last_text(input)
        self._calls.append(text)
        if "fixed" not in FIXED:
            if "refuse" in text:
                raise HTTPError(400)
            if "busy" in text:
                raise HTTPError(503)
        return prepare_output([f"Echo: {text}"], [2], [3])


def build(tmp_path: Path) -> Pipeline:
    with Pipeline(name="retry-failed", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        load = LoadDataFromDicts(name="load", data=[{"instruction": t} for t in TEXTS])
        load >> TextGeneration(name="generate", llm=FlakyLLM(max_retries=0))
    return pipeline


def calls(pipeline: Pipeline) -> List[str]:
    return sorted(pipeline.dag.get("generate").llm._calls)


@pytest.fixture(autouse=True)
def _broken() -> Any:
    FIXED.clear()
    yield
    FIXED.clear()


def test_failed_rows_keep_their_reason_and_whether_it_is_permanent(tmp_path: Path) -> None:
    pipeline = build(tmp_path)
    rows = pipeline.run()["default"]["train"].to_list()
    meta = [row["distilabel_metadata"] for row in rows]
    # (The dataset gives every row the same metadata keys: a finished row's are None.)
    assert meta[0].get("error_generate") is None and meta[0].get("error_generate_permanent") is None
    assert (
        "HTTPError (HTTP 400)" in meta[1]["error_generate"]
        and meta[1]["error_generate_permanent"] is True
    )
    assert "HTTP 503" in meta[2]["error_generate"] and meta[2]["error_generate_permanent"] is False


def test_a_plain_rerun_resends_only_transient_failures(tmp_path: Path) -> None:
    build(tmp_path).run()
    FIXED.append("fixed")
    again = build(tmp_path)
    rows = again.run()["default"]["train"].to_list()
    assert calls(again) == ["busy 2"]  # not the refused row, not the finished ones
    assert [row["generation"] for row in rows] == ["Echo: ok 0", None, "Echo: busy 2", "Echo: ok 3"]
    assert rows[1]["distilabel_metadata"]["error_generate_permanent"] is True
    summary = again.last_run_summary
    assert summary["generate"]["retried_inputs"] == 1
    assert summary["generate"]["kept_failed_rows"] == 1
    assert summary.totals["kept_failed_rows"] == 1 and summary.totals["retried_inputs"] == 1
    assert "1 kept failed" in summary.text()
    saved = json.loads((again.run_dir / "summary.json").read_text())
    assert saved["steps"]["generate"]["kept_failed_rows"] == 1


def test_retry_failed_resends_every_failed_row_and_only_those(tmp_path: Path) -> None:
    build(tmp_path).run()
    FIXED.append("fixed")
    again = build(tmp_path)
    rows = again.run(retry_failed=True)["default"]["train"].to_list()
    assert calls(again) == ["busy 2", "refuse 1"]
    assert [row["generation"] for row in rows] == [f"Echo: {t}" for t in TEXTS]
    assert all(row["distilabel_metadata"].get("error_generate") is None for row in rows)
    summary = again.last_run_summary
    assert (
        summary["generate"]["retried_inputs"] == 2 and summary["generate"]["kept_failed_rows"] == 0
    )
    # Nothing failed any more: a third run sends nothing.
    third = build(tmp_path)
    third.run(retry_failed=True)
    assert calls(third) == []


def test_the_cli_retry_failed_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DISTILABEL_ALLOWED_MODULES", __name__)
    config = tmp_path / "pipeline.yaml"
    build(tmp_path / "cache").save(config)
    runner = CliRunner()
    assert runner.invoke(app, ["pipeline", "run", "--config", str(config)]).exit_code == 0
    FIXED.append("fixed")
    plain = runner.invoke(app, ["pipeline", "run", "--config", str(config)])
    assert plain.exit_code == 0, plain.output
    retried = runner.invoke(app, ["pipeline", "run", "--config", str(config), "--retry-failed"])
    assert retried.exit_code == 0, retried.output
    runs = sorted((tmp_path / "cache" / "retry-failed").glob("*/summary.json"))
    [summary] = [
        json.loads(path.read_text()) for path in runs
    ]  # one run folder, rewritten by each run
    assert (
        summary["steps"]["generate"]["retried_inputs"] == 1
    )  # the refused row, resent by --retry-failed
    assert summary["steps"]["generate"]["kept_failed_rows"] == 0
    assert summary["steps"]["generate"]["llm"]["requests"] == 1


@pytest.mark.parametrize(
    ("reason", "permanent"),
    [
        ("BadRequestError (HTTP 400): prompt too long", True),
        ("NotFoundError (HTTP 404): no such model", True),
        ("UnprocessableEntityError (HTTP 422): bad field", True),
        ("RateLimitError (HTTP 429): slow down (gave up after 7 attempts)", False),
        ("APIStatusError (HTTP 408): request timeout", False),
        ("ConflictError (HTTP 409): busy", False),
        ("InternalServerError (HTTP 500): oops (gave up after 7 attempts)", False),
        ("TimeoutError: no response within 120 s (the LLM's `timeout`)", False),
        ("ConnectionResetError: the connection to 127.0.0.1:80 was lost", False),
        ("format_input failed: KeyError: 'instruction'", True),
        ("the model refused: I cannot help with that", True),
        ("the model returned an empty completion (finish_reason='content_filter')", True),
        ("the model returned an empty completion (finish_reason='stop')", False),
        ("format_output failed: ValueError: no JSON", False),
    ],
)
def test_reasons_are_classified(reason: str, permanent: bool) -> None:
    assert is_permanent(reason) is permanent


def test_the_request_path_classification_wins_and_old_rows_are_read_by_their_reason() -> None:
    assert is_permanent(FailureReason("ValueError: unsupported input", permanent=True))
    assert not is_permanent(FailureReason("BadRequestError (HTTP 400): x", permanent=False))
    # Rows stored before the flag existed: the reason decides.
    assert row_failure({"error_gen": "BadRequestError (HTTP 400): x"}, "gen") is True
    assert row_failure({"error_gen": "InternalServerError (HTTP 503): x"}, "gen") is False
    assert row_failure({"raw_output_gen": "fine"}, "gen") is None
    # group_generations: one metadata dict per generation; permanent only if every failure is.
    grouped = [{"error_gen": "BadRequestError (HTTP 400): x"}, {"error_gen": "TimeoutError: y"}, {}]
    assert row_failure(grouped, "gen") is False
    assert row_failure([{"error_gen": "BadRequestError (HTTP 400): x"}, {}], "gen") is True
