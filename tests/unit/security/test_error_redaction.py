"""A provider that echoes the API key in its error body does not put the key into messages, rows or logs."""

import traceback
from pathlib import Path
from typing import Iterator

import pytest
from typer.testing import CliRunner

from distilabel.cli.app import app
from distilabel.errors import DistilabelUserError
from distilabel.models.llms import OpenAILLM
from distilabel.models.llms.outputs import describe_error
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from distilabel.utils.secrets import REDACTED
from tests.servers.openai_server import OpenAIServer
from tests.unit.security.helpers import run_files_text, stored_rows

SERVER_KEY = "sk-server-7d2e9a41c0b35f86e1d4"


@pytest.fixture
def echoing_server() -> Iterator[OpenAIServer]:
    """A loopback OpenAI server whose error messages quote the request's whole API key."""
    with OpenAIServer(api_key=SERVER_KEY, echo_api_key=True) as server:
        yield server


def pipeline_on(server: OpenAIServer, api_key: str, prompts: list) -> Pipeline:
    llm = OpenAILLM(model="gpt-4o", base_url=f"{server.url}/v1", api_key=api_key, max_retries=0)
    with Pipeline(name="echoing") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": p} for p in prompts]) >> TextGeneration(name="tg", llm=llm)
    return pipeline


def test_a_row_error_quoting_the_key_is_redacted_in_rows_summary_and_log(
    echoing_server: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(cache_dir))
    pipeline = pipeline_on(echoing_server, SERVER_KEY, ["fine", "[[status:400]] refused"])

    distiset = pipeline.run(use_cache=False)

    assert distiset["default"]["train"]["generation"] == ["Echo: fine", None]
    error = {row["instruction"]: row for row in stored_rows(cache_dir, "tg")}["[[status:400]] refused"][
        "distilabel_metadata"
    ]["error_tg"]
    assert error == (
        "BadRequestError (HTTP 400): Simulated error 400 (requested by marker)."
        f" (request sent with API key {REDACTED})"
    )
    assert SERVER_KEY not in run_files_text(cache_dir)  # rows.jsonl, pipeline.yaml, pipeline.log, summary.json
    assert SERVER_KEY not in str(pipeline.last_run_summary)


def test_an_auth_error_quoting_the_key_is_redacted(echoing_server: OpenAIServer) -> None:
    wrong_key = "sk-wrong-0b9c8d7e6f5a4b3c2d1e"
    llm = OpenAILLM(model="gpt-4o", base_url=f"{echoing_server.url}/v1", api_key=wrong_key, max_retries=0)
    llm.load()
    with pytest.raises(DistilabelUserError) as caught:
        llm.generate_outputs([[{"role": "user", "content": "hi"}]])
    message = str(caught.value)
    assert wrong_key not in message
    assert f"Incorrect API key provided: {REDACTED}" in message
    assert "OPENAI_API_KEY" in message
    # Nor does the printed traceback quote it (through the SDK's exception).
    assert wrong_key not in "".join(traceback.format_exception(caught.value))
    llm.unload()


def test_the_cli_reports_an_auth_error_without_the_key(
    echoing_server: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong_key = "sk-wrong-cli-5e4d3c2b1a0f9e8d"
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("OPENAI_BASE_URL", f"{echoing_server.url}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", wrong_key)
    with Pipeline(name="cli-auth") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "hi"}]) >> TextGeneration(
            name="tg", llm=OpenAILLM(model="gpt-4o", max_retries=0)
        )
    pipeline.save(tmp_path / "pipeline.yaml")

    result = CliRunner().invoke(app, ["pipeline", "run", "--config", str(tmp_path / "pipeline.yaml"), "--ignore-cache"])

    assert result.exit_code == 2, result.output
    assert f"Incorrect API key provided: {REDACTED}" in result.output
    assert wrong_key not in result.output
    assert wrong_key not in run_files_text(cache_dir)


def test_describe_error_redacts_a_key_an_llm_holds() -> None:
    key = "gsk-held-by-an-llm-88a7b6c5d4e3"
    OpenAILLM(model="gpt-4o", api_key=key)
    assert describe_error(RuntimeError(f"bad key {key}!")) == f"RuntimeError: bad key {REDACTED}!"
    # The key in a header (without the "Bearer " the provider would not echo) too.
    header_key = "hdr-key-1f2e3d4c5b6a7980"
    OpenAILLM(model="gpt-4o", api_key="sk-x", default_headers={"Authorization": f"Bearer {header_key}"})
    assert describe_error(ValueError(f"token {header_key} revoked")) == f"ValueError: token {REDACTED} revoked"
    # Nothing else changes.
    assert describe_error(ValueError("a plain message")) == "ValueError: a plain message"
