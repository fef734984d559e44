"""distilabel 0.x's Hugging Face LLMs."""

from distilabel.utils.lazy import lazy_exports

_EXPORTS = {
    "InferenceEndpointsLLM": "distilabel.llm.huggingface.inference_endpoints",
    "TransformersLLM": "distilabel.llm.huggingface.transformers",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
