"""Hugging Face LLMs: ``InferenceEndpointsLLM`` (remote) and ``TransformersLLM`` (local)."""

from distilabel.utils.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {"InferenceEndpointsLLM": ".inference_endpoints", "TransformersLLM": ".transformers"},
)
__all__ = ["InferenceEndpointsLLM", "TransformersLLM"]
