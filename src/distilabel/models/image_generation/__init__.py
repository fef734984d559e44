"""Image generation models: ``from distilabel.models.image_generation import OpenAIImageGeneration``.

Names are imported on first use, so an uninstalled provider SDK only matters when
that provider is used.
"""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_exports

IMAGE_GENERATION_EXPORTS = {
    "ImageGenerationModel": ".base",
    "AsyncImageGenerationModel": ".base",
    "OpenAIImageGeneration": ".openai",
    "InferenceEndpointsImageGeneration": ".huggingface.inference_endpoints",
}

__getattr__, __dir__ = lazy_exports(__name__, IMAGE_GENERATION_EXPORTS)
__all__ = sorted(IMAGE_GENERATION_EXPORTS)

if TYPE_CHECKING:
    from distilabel.models.image_generation.base import (
        AsyncImageGenerationModel,
        ImageGenerationModel,
    )
    from distilabel.models.image_generation.huggingface.inference_endpoints import (
        InferenceEndpointsImageGeneration,
    )
    from distilabel.models.image_generation.openai import OpenAIImageGeneration
