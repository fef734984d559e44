"""distilabel 0.x's text generation tasks."""

from distilabel.tasks.text_generation.base import TextGenerationTask
from distilabel.tasks.text_generation.llama import Llama2TextGenerationTask
from distilabel.tasks.text_generation.openai import OpenAITextGenerationTask
from distilabel.tasks.text_generation.principles import UltraFeedbackPrinciples
from distilabel.tasks.text_generation.self_instruct import SelfInstructTask

__all__ = [
    "Llama2TextGenerationTask",
    "OpenAITextGenerationTask",
    "SelfInstructTask",
    "TextGenerationTask",
    "UltraFeedbackPrinciples",
]
