"""Embedding models: ``from distilabel.models.embeddings import SentenceTransformerEmbeddings``."""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_package

if TYPE_CHECKING:
    from distilabel.models.embeddings.base import Embeddings
    from distilabel.models.embeddings.llamacpp import LlamaCppEmbeddings
    from distilabel.models.embeddings.sentence_transformers import SentenceTransformerEmbeddings
    from distilabel.models.embeddings.vllm import vLLMEmbeddings

EMBEDDINGS_EXPORTS, __getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
