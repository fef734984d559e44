"""Hugging Face LLMs: ``InferenceEndpointsLLM`` (remote) and ``TransformersLLM`` (local)."""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_package

if TYPE_CHECKING:
    from distilabel.models.llms.huggingface.inference_endpoints import InferenceEndpointsLLM
    from distilabel.models.llms.huggingface.transformers import TransformersLLM

_EXPORTS, __getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
