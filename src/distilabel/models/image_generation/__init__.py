"""Image generation models: ``from distilabel.models.image_generation import OpenAIImageGeneration``.

Names are imported on first use, so an uninstalled provider SDK only matters when
that provider is used.
"""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_package

if TYPE_CHECKING:
    from distilabel.models.image_generation.base import (
        AsyncImageGenerationModel,
        ImageGenerationModel,
    )
    from distilabel.models.image_generation.huggingface.inference_endpoints import (
        InferenceEndpointsImageGeneration,
    )
    from distilabel.models.image_generation.openai import OpenAIImageGeneration

IMAGE_GENERATION_EXPORTS, __getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
