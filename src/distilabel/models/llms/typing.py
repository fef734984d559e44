"""Kept for imports written against distilabel's ``distilabel.models.llms.typing``."""

from distilabel.typing.models import (
    GenerateOutput,
    HiddenState,
    LLMLogprobs,
    LLMOutput,
    LLMStatistics,
    Logprob,
    TokenCount,
)

__all__ = ["GenerateOutput", "HiddenState", "LLMLogprobs", "LLMOutput", "LLMStatistics", "Logprob", "TokenCount"]
