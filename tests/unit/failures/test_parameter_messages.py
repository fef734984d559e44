"""Parameters given in the wrong place, or with impossible values, fail at once with a message that says where they go."""

from pathlib import Path
from typing import Any, List

import pytest
from pydantic import ValidationError

from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM, EchoSyncLLM


def build(tmp_path: Path, llm: Any = None) -> Pipeline:
    with Pipeline(name="params", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(
            name="load", data=[{"instruction": f"q{i}"} for i in range(3)]
        ) >> TextGeneration(name="generate", llm=llm or EchoAsyncLLM())
    return pipeline


# --- a generation kwarg given as an LLM runtime parameter ------------------------------------------


def test_temperature_given_to_the_llm_points_to_generation_kwargs(tmp_path: Path) -> None:
    pipeline = build(tmp_path)
    with pytest.raises(DistilabelUserError) as raised:
        pipeline.run(parameters={"generate": {"llm": {"temperature": 0.3}}}, use_cache=False)
    message = str(raised.value)
    assert "'temperature' goes inside 'generation_kwargs'" in message
    assert "{'generation_kwargs': {'temperature': 0.3}}" in message
    assert "Did you mean 'tokens_per_minute'" not in message


def test_temperature_given_to_the_task_points_to_the_llms_generation_kwargs(tmp_path: Path) -> None:
    pipeline = build(tmp_path)
    with pytest.raises(DistilabelUserError) as raised:
        pipeline.run(parameters={"generate": {"temperature": 0.3}}, use_cache=False)
    assert "{'llm': {'generation_kwargs': {'temperature': 0.3}}}" in str(raised.value)


def test_a_typo_of_a_generation_kwarg_suggests_its_full_path(tmp_path: Path) -> None:
    with pytest.raises(
        DistilabelUserError, match=r"Did you mean 'generation_kwargs\.temperature'\?"
    ):
        EchoAsyncLLM().set_runtime_parameters({"temprature": 0.3})


def test_the_right_place_still_works(tmp_path: Path) -> None:
    pipeline = build(tmp_path)
    pipeline.run(
        parameters={"generate": {"llm": {"generation_kwargs": {"temperature": 0.3}}}},
        use_cache=False,
    )
    assert pipeline.dag.get("generate").llm.generation_kwargs == {"temperature": 0.3}


# --- max_new_tokens must be positive -----------------------------------------------------------------


class TokenLLM(EchoSyncLLM):
    """A sync LLM with the usual `max_new_tokens` kwarg."""

    def generate(
        self, inputs: List[Any], num_generations: int = 1, max_new_tokens: int = 128
    ) -> List[Any]:
        return super().generate(inputs, num_generations)


@pytest.mark.parametrize("value", [-1000, 0, "-5"])
def test_non_positive_max_new_tokens_is_rejected_everywhere(value: Any, tmp_path: Path) -> None:
    with pytest.raises(
        ValidationError, match="'max_new_tokens' must be a positive number of tokens"
    ):
        TokenLLM(generation_kwargs={"max_new_tokens": value})
    llm = TokenLLM()
    with pytest.raises(
        DistilabelUserError, match="'max_new_tokens' must be a positive number of tokens"
    ):
        llm.validate_generation_kwargs({"max_new_tokens": value})
    with pytest.raises(
        DistilabelUserError, match="'max_new_tokens' must be a positive number of tokens"
    ):
        llm.generate_outputs([[{"role": "user", "content": "hi"}]], max_new_tokens=value)
    pipeline = build(tmp_path, llm=TokenLLM())
    with pytest.raises(
        DistilabelUserError, match="max_new_tokens' must be a positive number of tokens"
    ):
        pipeline.run(
            parameters={"generate": {"llm": {"generation_kwargs": {"max_new_tokens": value}}}}
        )


def test_non_positive_max_new_tokens_cannot_bypass_tokens_per_minute() -> None:
    class LimitedLLM(EchoAsyncLLM):
        async def agenerate(
            self, input: Any, num_generations: int = 1, max_new_tokens: int = 16
        ) -> Any:
            return await super().agenerate(input, num_generations)

    llm = LimitedLLM(tokens_per_minute=100)
    with pytest.raises(
        DistilabelUserError, match="'max_new_tokens' must be a positive number of tokens, got -1000"
    ):
        llm.generate([[{"role": "user", "content": "hi"}]], max_new_tokens=-1000)
    assert llm.request_stats()["requests"] == 0
    [ok] = llm.generate([[{"role": "user", "content": "hi"}]], max_new_tokens=8)
    assert ok["generations"] == ["Echo: hi"]


# --- batch sizes must be at least 1 -----------------------------------------------------------------


def test_batch_size_zero_is_rejected_at_construction() -> None:
    with pytest.raises(
        ValidationError,
        match="batch_size is a number of rows per batch and must be at least 1, got 0",
    ):
        LoadDataFromDicts(data=[{"a": 1}], batch_size=0)
    with pytest.raises(
        ValidationError,
        match="input_batch_size is a number of rows per batch and must be at least 1",
    ):
        TextGeneration(llm=EchoAsyncLLM(), input_batch_size=0)
    with pytest.raises(ValidationError, match="must be at least 1, got -3"):
        LoadDataFromDicts(data=[{"a": 1}], batch_size=-3)
    assert LoadDataFromDicts(data=[{"a": 1}], batch_size="2").batch_size == 2


def test_batch_size_zero_as_a_runtime_parameter_is_rejected_before_running(tmp_path: Path) -> None:
    pipeline = build(tmp_path)
    with pytest.raises(
        DistilabelUserError, match="batch_size is a number of rows per batch and must be at least 1"
    ) as raised:
        pipeline.run(parameters={"load": {"batch_size": 0}})
    assert "range()" not in str(raised.value)
    with pytest.raises(DistilabelUserError, match="input_batch_size is a number of rows per batch"):
        pipeline.run(parameters={"generate": {"input_batch_size": 0}})


def test_dataset_batch_size_zero_is_rejected(tmp_path: Path) -> None:
    with Pipeline(name="ds", cache_dir=tmp_path) as pipeline:
        TextGeneration(name="generate", llm=EchoAsyncLLM())
    with pytest.raises(
        ValidationError, match="batch_size is a number of rows per batch and must be at least 1"
    ):
        pipeline.run(dataset=[{"instruction": "a"}], dataset_batch_size=0)


def test_a_nested_component_given_a_value_says_it_takes_a_dict() -> None:
    task = TextGeneration(llm=EchoAsyncLLM())
    with pytest.raises(
        DistilabelUserError, match=r"holds the parameters of its EchoAsyncLLM: pass a dict"
    ):
        task.set_runtime_parameters({"llm": 0.3})
