"""Image generation on Hugging Face: Inference Endpoints, Inference Providers and TGI-style servers."""

from distilabel.models.image_generation.huggingface.inference_endpoints import (
    InferenceEndpointsImageGeneration,
)

__all__ = ["InferenceEndpointsImageGeneration"]
