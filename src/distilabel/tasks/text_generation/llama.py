"""``Llama2TextGenerationTask``: a ``TextGenerationTask`` whose prompts are already in Llama 2's format."""

from typing import ClassVar

from pydantic.dataclasses import dataclass

from distilabel.tasks.text_generation.base import TextGenerationTask


@dataclass
class Llama2TextGenerationTask(TextGenerationTask):
    """``TextGenerationTask`` for Llama 2 chat models: ``generate_prompt`` returns the
    ``<s>[INST] <<SYS>>...<</SYS>> ... [/INST]`` string, so raw text-generation
    engines (llama.cpp, TGI, vLLM, transformers) can use it as it is.

    Examples:
        >>> from distilabel.tasks import Llama2TextGenerationTask
        >>> Llama2TextGenerationTask(system_prompt="You are terse.").generate_prompt("Hi")
        '<s>[INST] <<SYS>>\\nYou are terse.<</SYS>>\\n\\nHi [/INST]'
    """

    _modern_equivalent: ClassVar[str] = (
        "distilabel.steps.tasks.TextGeneration (the LLM applies the model's own chat template)"
    )

    def generate_prompt(self, input: str) -> str:  # type: ignore[override]
        """The Llama 2 prompt string for one instruction."""
        return super().generate_prompt(input).format_as("llama2")  # type: ignore[return-value]


__all__ = ["Llama2TextGenerationTask"]
