"""A user-defined LLM living outside distilabel, for the allowed-modules tests."""

from typing import Any, List

from distilabel.models.llms import LLM


class PlainLLM(LLM):
    @property
    def model_name(self) -> str:
        return "plain"

    def generate(self, inputs: List[Any], num_generations: int = 1, **kwargs: Any) -> List[Any]:
        return [{"generations": ["plain"] * num_generations, "statistics": {}} for _ in inputs]
