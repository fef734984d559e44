"""A whole pipeline dumps to YAML and comes back runnable."""

from pathlib import Path

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline, sample_n_steps
from distilabel.steps import GroupColumns, LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM


def build(tmp_path: Path) -> Pipeline:
    with Pipeline(name="round-trip", description="d", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(name="load", data=[{"instruction": "a"}, {"instruction": "b"}])
        tasks = [
            TextGeneration(name=f"t{i}", llm=EchoAsyncLLM(generation_kwargs={"temperature": 0.5}))
            for i in range(2)
        ]
        load >> sample_n_steps(2) >> tasks >> GroupColumns(name="group", columns=["generation"])
    return pipeline


def test_dump_has_steps_connections_and_no_runtime_state(tmp_path: Path) -> None:
    dump = build(tmp_path).dump()
    body = dump["pipeline"]
    assert [s["name"] for s in body["steps"]] == ["load", "t0", "t1", "group"]
    assert {"from": "load", "to": ["t0", "t1"]} in body["connections"]
    t0 = body["steps"][1]["step"]
    assert t0["llm"]["type_info"] == {"module": "tests.unit.pipeline.fakes", "name": "EchoAsyncLLM"}
    assert any(p["name"] == "llm" for p in t0["runtime_parameters_info"])
    assert body["routing_batch_functions"][0]["routing_batch_function"]["kwargs"] == {"n": 2}


def test_yaml_round_trip_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A loaded pipeline has the default cache dir, which must not be the home folder's.
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "pipeline.yaml"
    build(tmp_path).save(path)
    with pytest.raises(DistilabelUserError, match="Refusing to load"):
        Pipeline.from_yaml(path)
    loaded = Pipeline.from_yaml(path, allowed_modules=["tests.unit.pipeline.fakes"])
    assert loaded.dump() == build(tmp_path / "other").dump()
    train = loaded.run()["default"]["train"]
    assert train["grouped_generation"] == [["Echo: a", "Echo: a"], ["Echo: b", "Echo: b"]]
