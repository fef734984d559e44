"""distilabel 0.x's Hugging Face LLMs."""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_package

if TYPE_CHECKING:
    from distilabel.llm.huggingface.inference_endpoints import InferenceEndpointsLLM
    from distilabel.llm.huggingface.transformers import TransformersLLM

_EXPORTS, __getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
