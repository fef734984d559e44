"""Reading YAML is bounded: an alias bomb is refused at once, ordinary anchors still work."""

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from distilabel.cli.app import app, parse_params
from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from distilabel.utils import serialization
from distilabel.utils.serialization import load_yaml
from tests.unit.pipeline.fakes import EchoAsyncLLM
from tests.unit.security.helpers import FAKES_MODULE


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """'Billion laughs': each level lists the previous one ``width`` times (9 levels: 387 million strings)."""
    lines = ["l0: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.fixture
def pipeline_yaml(tmp_path: Path) -> Path:
    with Pipeline(name="bounded") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "hi"}]) >> TextGeneration(name="tg", llm=EchoAsyncLLM())
    path = tmp_path / "pipeline.yaml"
    pipeline.save(path)
    return path


def test_the_cli_refuses_an_alias_bomb_with_a_clear_error(pipeline_yaml: Path) -> None:
    bomb = pipeline_yaml.read_text() + "bomb:\n" + "".join(f"  {line}\n" for line in alias_bomb().splitlines())
    pipeline_yaml.write_text(bomb)
    assert len(bomb.encode()) < 16_000

    result = CliRunner().invoke(app, ["pipeline", "info", "--config", str(pipeline_yaml), "--allowed-module", FAKES_MODULE])

    assert result.exit_code == 2, result.output
    assert "aliases (*name) expand it from" in result.output
    assert "refusing to load it" in result.output


def test_from_yaml_refuses_an_alias_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    with pytest.raises(DistilabelUserError, match="extra nodes allowed"):
        Pipeline.from_yaml(path)
    with pytest.raises(DistilabelUserError, match="extra nodes allowed"):
        EchoAsyncLLM.from_yaml(path)


def test_an_alias_that_contains_itself_is_refused() -> None:
    with pytest.raises(DistilabelUserError, match="refers to itself"):
        load_yaml("a: &a [1, *a]\n")


def test_a_cli_param_is_read_with_the_same_loader() -> None:
    with pytest.raises(DistilabelUserError, match="extra nodes allowed"):
        parse_params(["tg.llm.generation_kwargs.extra_body={" + alias_bomb(levels=7).replace("\n", ", ") + "}"])
    assert parse_params(["tg.x=[1, 2]", "tg.y=not: [valid"]) == {"tg": {"x": [1, 2], "y": "not: [valid"}}


def test_ordinary_anchors_and_aliases_still_load(tmp_path: Path) -> None:
    """A hand-written file that shares one LLM config between two steps with an anchor."""
    with Pipeline(name="shared-llm") as pipeline:
        load = LoadDataFromDicts(name="load", data=[{"instruction": "hi"}])
        load >> TextGeneration(name="a", llm=EchoAsyncLLM(generation_kwargs={"temperature": 0.3}))
        load >> TextGeneration(name="b", llm=EchoAsyncLLM(generation_kwargs={"temperature": 0.3}))
    data = pipeline.dump()
    steps = {entry["name"]: entry["step"] for entry in data["pipeline"]["steps"]}
    steps["b"]["llm"] = steps["a"]["llm"]  # the same object: the dumper writes &id001 / *id001
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(data))
    assert "*id001" in path.read_text()

    loaded = Pipeline.from_yaml(path, allowed_modules=[FAKES_MODULE])
    assert loaded.dag.get("b").llm.generation_kwargs == {"temperature": 0.3}
    assert loaded.dag.get("a").llm is not loaded.dag.get("b").llm


def test_json_and_size_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_yaml('{"a": [1, 2, {"b": null}]}') == {"a": [1, 2, {"b": None}]}
    monkeypatch.setattr(serialization, "MAX_YAML_BYTES", 100)
    with pytest.raises(DistilabelUserError, match="save large pipelines as JSON"):
        load_yaml("key: " + "x" * 200)
    with pytest.raises(DistilabelUserError, match="not valid YAML"):
        load_yaml("a: [1")
