"""A file cannot turn on trust_remote_code by itself; the caller's consent (or Python code) can."""

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from distilabel.cli.app import app
from distilabel.errors import DistilabelUserError
from distilabel.models.llms import LLM, TransformersLLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.security.helpers import THIS_MODULE, RemoteCodeEchoLLM

HOW = r"allow_trust_remote_code=True.*--allow-trust-remote-code.*DISTILABEL_ALLOW_TRUST_REMOTE_CODE=1"


@pytest.fixture(autouse=True)
def _no_consent_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DISTILABEL_ALLOW_TRUST_REMOTE_CODE", raising=False)
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))


def trusting_pipeline(trust: bool = True) -> Pipeline:
    """Set in Python code: allowed as it is."""
    with Pipeline(name="remote-code") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "hi"}]) >> TextGeneration(
            name="tg", llm=RemoteCodeEchoLLM(trust_remote_code=trust)
        )
    return pipeline


def test_python_code_may_set_it_and_run(tmp_path: Path) -> None:
    distiset = trusting_pipeline().run(use_cache=False)
    assert distiset["default"]["train"]["generation"] == ["Echo: hi"]
    assert TransformersLLM(model=str(tmp_path), trust_remote_code=True).trust_remote_code is True


def test_from_yaml_refuses_it_without_consent_and_says_how(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    trusting_pipeline().save(path)
    with pytest.raises(DistilabelUserError, match=HOW) as caught:
        Pipeline.from_yaml(path, allowed_modules=[THIS_MODULE])
    assert "pipeline.steps[tg].step.llm.trust_remote_code" in str(caught.value)

    loaded = Pipeline.from_yaml(path, allowed_modules=[THIS_MODULE], allow_trust_remote_code=True)
    assert loaded.dag.get("tg").llm.trust_remote_code is True
    # A file with it off needs nothing.
    trusting_pipeline(trust=False).save(path)
    assert Pipeline.from_yaml(path, allowed_modules=[THIS_MODULE]).dag.get("tg").llm.trust_remote_code is False


def test_the_environment_variable_gives_consent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "pipeline.json"
    trusting_pipeline().save(path, format="json")
    with pytest.raises(DistilabelUserError, match=HOW):
        Pipeline.from_file(path, allowed_modules=[THIS_MODULE])
    monkeypatch.setenv("DISTILABEL_ALLOW_TRUST_REMOTE_CODE", "1")
    assert Pipeline.from_file(path, allowed_modules=[THIS_MODULE]).dag.get("tg").llm.trust_remote_code is True


def test_an_llm_file_and_nested_model_kwargs_are_checked_too(tmp_path: Path) -> None:
    path = tmp_path / "llm.yaml"
    TransformersLLM(model=str(tmp_path), trust_remote_code=True).save(path)
    with pytest.raises(DistilabelUserError, match=HOW):
        LLM.from_yaml(path)
    assert LLM.from_yaml(path, allow_trust_remote_code=True).trust_remote_code is True

    TransformersLLM(model=str(tmp_path), model_kwargs={"trust_remote_code": True}).save(path)
    with pytest.raises(DistilabelUserError, match="model_kwargs.trust_remote_code"):
        LLM.from_yaml(path)
    data = yaml.safe_load(path.read_text())
    with pytest.raises(DistilabelUserError, match=HOW):
        LLM.from_dict(data)


def test_the_cli_needs_the_flag(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    trusting_pipeline().save(path)
    command = ["pipeline", "run", "--config", str(path), "--allowed-module", THIS_MODULE, "--ignore-cache"]

    refused = CliRunner().invoke(app, command)
    assert refused.exit_code == 2, refused.output
    assert "--allow-trust-remote-code" in refused.output and "runs Python code" in refused.output

    allowed = CliRunner().invoke(app, [*command, "--allow-trust-remote-code", "--output-dir", str(tmp_path / "out")])
    assert allowed.exit_code == 0, allowed.output
    assert (tmp_path / "out" / "pipeline.yaml").exists()

    # `info` loads no model, so it shows such a file.
    shown = CliRunner().invoke(app, ["pipeline", "info", "--config", str(path), "--allowed-module", THIS_MODULE])
    assert shown.exit_code == 0, shown.output
    assert "tg (TextGeneration)" in shown.output
