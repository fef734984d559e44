"""``LLMOutput``: what a distilabel 0.x ``LLM.generate`` returns for each generation."""

from typing import Any

from typing_extensions import NotRequired, TypedDict


class LLMOutput(TypedDict):
    """One generation of a distilabel 0.x LLM.

    Attributes:
        model_name: the model that generated it.
        prompt_used: the prompt sent (a string, or a conversation for chat APIs).
        raw_output: the generated text; ``None`` when the request failed.
        parsed_output: what the task's ``parse_output`` read from it; ``None`` when
            the request failed or the answer did not follow the task's format.
        error: only when ``raw_output`` or ``parsed_output`` is ``None``: why.
    """

    model_name: str
    prompt_used: Any
    raw_output: Any
    parsed_output: Any
    error: NotRequired[str]


__all__ = ["LLMOutput"]
