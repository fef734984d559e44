"""Bad pipelines and bad parameters fail before anything runs, with messages that say what to do."""

from pathlib import Path

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import KeepColumns, LoadDataFromDicts, LoadDataFromHub
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM


def test_missing_input_column_names_step_column_and_upstream(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(name="load", data=[{"prompt": "hi", "id": 1}])
        load >> TextGeneration(name="generate", llm=EchoAsyncLLM())
    with pytest.raises(DistilabelUserError) as error:
        pipeline.run()
    message = str(error.value)
    assert "'generate'" in message and "'instruction'" in message
    assert "['load']" in message and "['id', 'prompt']" in message
    assert not (pipeline.run_dir / "steps").exists()


def test_input_mappings_satisfy_the_column_check(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"prompt": "hi"}])
        load >> TextGeneration(llm=EchoAsyncLLM(), input_mappings={"instruction": "prompt"})
    train = pipeline.run()["default"]["train"]
    assert train["prompt"] == ["hi"] and train["generation"] == ["Echo: hi"]


def test_column_dropped_by_keep_columns_is_missing_downstream(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": "hi", "other": 1}])
        load >> KeepColumns(columns=["other"]) >> TextGeneration(name="generate", llm=EchoAsyncLLM())
    with pytest.raises(DistilabelUserError, match="'generate' needs the input column 'instruction'"):
        pipeline.validate()


def test_unknown_step_name_in_parameters(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "x"}]) >> TextGeneration(
            name="text_generation", llm=EchoAsyncLLM()
        )
    with pytest.raises(DistilabelUserError) as error:
        pipeline.run(parameters={"text_generaton": {"llm": {"generation_kwargs": {"temperature": 0.3}}}})
    message = str(error.value)
    assert "'text_generaton'" in message and "Did you mean 'text_generation'?" in message
    assert "load, text_generation" in message


def test_unknown_runtime_parameter_in_parameters(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=[{"instruction": "x"}]) >> TextGeneration(name="tg", llm=EchoAsyncLLM())
    with pytest.raises(DistilabelUserError, match="Did you mean 'input_batch_size'"):
        pipeline.run(parameters={"tg": {"input_batch_sise": 3}})
    with pytest.raises(DistilabelUserError, match="Did you mean 'temperature'"):
        pipeline.run(parameters={"tg": {"llm": {"generation_kwargs": {"temprature": 0.3}}}})


def test_cycle_is_reported_with_its_steps(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"a": 1}])
        a = KeepColumns(name="a", columns=["a"])
        b = KeepColumns(name="b", columns=["a"])
        load >> a >> b >> a
    with pytest.raises(DistilabelUserError, match="cycle: a -> b -> a"):
        pipeline.run()


def test_root_that_is_not_a_generator(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        KeepColumns(name="keep", columns=["a"])
    with pytest.raises(DistilabelUserError, match="'keep' has no upstream step but is not a generator"):
        pipeline.run()


def test_required_runtime_parameter_without_value(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        LoadDataFromHub(name="hub") >> KeepColumns(columns=["a"])
    with pytest.raises(DistilabelUserError, match="'hub' needs a value for the runtime parameter 'repo_id'"):
        pipeline.run()


def test_duplicate_and_invalid_step_names(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path):
        KeepColumns(name="keep", columns=["a"])
        with pytest.raises(ValueError, match="already exists"):
            KeepColumns(name="keep", columns=["a"])
    with pytest.raises(ValueError):
        KeepColumns(name="has space", columns=["a"])


def test_names_are_inferred_and_unique(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        first = KeepColumns(columns=["a"])
        second = KeepColumns(columns=["a"])
    assert (first.name, second.name) == ("keep_columns_0", "keep_columns_1")
    assert list(pipeline.dag.steps) == ["keep_columns_0", "keep_columns_1"]


def test_connecting_outside_a_pipeline_is_an_error() -> None:
    with pytest.raises(DistilabelUserError, match="not part of a pipeline"):
        KeepColumns(columns=["a"]) >> KeepColumns(columns=["a"])


def test_unknown_mapping_column(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=[{"instruction": "x"}]) >> TextGeneration(
            name="tg", llm=EchoAsyncLLM(), output_mappings={"generations": "answer"}
        )
    with pytest.raises(DistilabelUserError, match="Did you mean 'generation'"):
        pipeline.run()
