"""``OpenAITextGenerationTask``: a ``TextGenerationTask`` whose prompts are chat conversations."""

from typing import ClassVar, List

from pydantic.dataclasses import dataclass

from distilabel.tasks.prompt import ChatCompletion
from distilabel.tasks.text_generation.base import TextGenerationTask


@dataclass
class OpenAITextGenerationTask(TextGenerationTask):
    """``TextGenerationTask`` for chat APIs: ``generate_prompt`` returns the conversation
    (a system message, when there is a system prompt, and the user's message).

    Examples:
        >>> from distilabel.tasks import OpenAITextGenerationTask
        >>> OpenAITextGenerationTask(system_prompt="You are terse.").generate_prompt("Hi")
        [{'role': 'system', 'content': 'You are terse.'}, {'role': 'user', 'content': 'Hi'}]
    """

    _modern_equivalent: ClassVar[str] = "distilabel.steps.tasks.TextGeneration"

    def generate_prompt(self, input: str) -> List[ChatCompletion]:  # type: ignore[override]
        """The conversation for one instruction."""
        return super().generate_prompt(input).format_as("openai")  # type: ignore[return-value]


__all__ = ["OpenAITextGenerationTask"]
