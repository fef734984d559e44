"""A pipeline's name names its folder in the cache: it cannot point outside the cache."""

from pathlib import Path

import pytest
import yaml

from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts

ALLOWED = "may only hold letters, digits, '_' and '-'"


@pytest.mark.parametrize("name", ["../../../tmp/x", "/tmp/x", "a/b", "..", "", "name with spaces", "x\\..\\y"])
def test_names_that_are_paths_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(DistilabelUserError, match=ALLOWED) as caught:
        Pipeline(name=name, cache_dir=tmp_path / "cache")
    assert repr(name) in str(caught.value)


@pytest.mark.parametrize("name", ["text-generation-pipeline", "p", "run_2", "A-b_3"])
def test_step_like_names_are_accepted(name: str, tmp_path: Path) -> None:
    pipeline = Pipeline(name=name, cache_dir=tmp_path / "cache")
    assert pipeline.cache_root == tmp_path / "cache" / name


def test_a_pipeline_yaml_cannot_write_its_run_outside_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "nested" / "cache"
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(cache_dir))
    with Pipeline(name="honest") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "hi"}])
    path = tmp_path / "pipeline.yaml"
    pipeline.save(path)
    data = yaml.safe_load(path.read_text())
    data["pipeline"]["name"] = "../../escaped"
    path.write_text(yaml.safe_dump(data))

    with pytest.raises(DistilabelUserError, match=ALLOWED):
        Pipeline.from_yaml(path).run(use_cache=False)
    assert not (tmp_path / "escaped").exists()
    assert not cache_dir.exists()
