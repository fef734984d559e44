"""Tasks: steps that call an LLM (``from distilabel.steps.tasks import TextGeneration``)."""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_exports

_EXPORTS = {
    "Task": ".base",
    "GeneratorTask": ".base",
    "GlobalTask": ".base",
    "TextGeneration": ".text_generation",
    "ChatGeneration": ".text_generation",
    "GenerateEmbeddings": ".generate_embeddings",
    "ChatType": "distilabel.typing.models",
    "FormattedInput": "distilabel.typing.models",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from distilabel.steps.tasks.base import GeneratorTask, GlobalTask, Task
    from distilabel.steps.tasks.generate_embeddings import GenerateEmbeddings
    from distilabel.steps.tasks.text_generation import ChatGeneration, TextGeneration
    from distilabel.typing.models import ChatType, FormattedInput
