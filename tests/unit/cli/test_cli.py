"""The ``distilabel pipeline run/info`` commands on a saved pipeline."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from distilabel.cli.app import app, parse_params
from distilabel.distiset import Distiset
from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM

ALLOW = ["--allowed-module", "tests.unit.pipeline.fakes"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    with Pipeline(name="cli", cache_dir=tmp_path / "cache") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "hi"}]) >> TextGeneration(
            name="text_generation", llm=EchoAsyncLLM()
        )
    path = tmp_path / "pipeline.yaml"
    pipeline.save(path)
    return path


def test_parse_params_nests_and_types_values() -> None:
    assert parse_params(["tg.llm.generation_kwargs.temperature=0.7", "tg.input_batch_size=5"]) == {
        "tg": {"llm": {"generation_kwargs": {"temperature": 0.7}}, "input_batch_size": 5}
    }
    with pytest.raises(DistilabelUserError, match="STEP_NAME.PARAMETER=VALUE"):
        parse_params(["temperature"])


def test_run_with_params_and_output_dir(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "pipeline", "run", "--config", str(config), *ALLOW,
            "--param", "text_generation.llm.generation_kwargs.temperature=0.7",
            "--ignore-cache", "--output-dir", str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert Distiset.load_from_disk(out)["default"]["train"]["generation"] == ["Echo: hi"]
    assert (out / "pipeline.yaml").exists() and (out / "README.md").exists()


def test_run_reports_bad_params(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(
        app, ["pipeline", "run", "--config", str(config), *ALLOW, "--param", "text_generaton.llm.x=1"]
    )
    assert result.exit_code == 2
    assert "Did you mean 'text_generation'" in result.output


def test_info_lists_steps_and_parameters(config: Path) -> None:
    result = CliRunner().invoke(app, ["pipeline", "info", "--config", str(config), *ALLOW])
    assert result.exit_code == 0, result.output
    assert "load (LoadDataFromDicts) -> text_generation" in result.output
    assert "generation_kwargs" in result.output and "temperature" in result.output
    assert "max_concurrent_requests (optional)" in result.output
