"""Models: ``from distilabel.models import OpenAILLM, SentenceTransformerEmbeddings``."""

from distilabel.models.embeddings import EMBEDDINGS_EXPORTS
from distilabel.models.image_generation import IMAGE_GENERATION_EXPORTS
from distilabel.models.llms import LLM_EXPORTS
from distilabel.utils.lazy import lazy_exports


def _absolute(package: str, module: str) -> str:
    return package + module if module.startswith(".") else module


_EXPORTS = {
    **{name: _absolute("distilabel.models.llms", module) for name, module in LLM_EXPORTS.items()},
    **{name: _absolute("distilabel.models.embeddings", module) for name, module in EMBEDDINGS_EXPORTS.items()},
    **{
        name: _absolute("distilabel.models.image_generation", module)
        for name, module in IMAGE_GENERATION_EXPORTS.items()
    },
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
