"""Embedding models: ``from distilabel.models.embeddings import SentenceTransformerEmbeddings``."""

from distilabel.utils.lazy import lazy_exports

EMBEDDINGS_EXPORTS = {
    "Embeddings": ".base",
    "SentenceTransformerEmbeddings": ".sentence_transformers",
    "LlamaCppEmbeddings": ".llamacpp",
    "vLLMEmbeddings": ".vllm",
}

__getattr__, __dir__ = lazy_exports(__name__, EMBEDDINGS_EXPORTS)
__all__ = sorted(EMBEDDINGS_EXPORTS)
