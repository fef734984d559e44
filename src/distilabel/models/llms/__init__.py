"""LLMs, one provider per module: ``from distilabel.models.llms import OpenAILLM``.

Names are imported on first use, so an uninstalled provider SDK only matters
when that provider is used.
"""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_package

if TYPE_CHECKING:
    from distilabel.models.llms.anthropic import AnthropicLLM
    from distilabel.models.llms.anyscale import AnyscaleLLM
    from distilabel.models.llms.azure import AzureOpenAILLM
    from distilabel.models.llms.base import LLM, AsyncLLM
    from distilabel.models.llms.cohere import CohereLLM
    from distilabel.models.llms.groq import GroqLLM
    from distilabel.models.llms.huggingface.inference_endpoints import InferenceEndpointsLLM
    from distilabel.models.llms.huggingface.transformers import TransformersLLM
    from distilabel.models.llms.litellm import LiteLLM
    from distilabel.models.llms.llamacpp import LlamaCppLLM
    from distilabel.models.llms.mistral import MistralLLM
    from distilabel.models.llms.mlx import MlxLLM
    from distilabel.models.llms.moa import MixtureOfAgentsLLM
    from distilabel.models.llms.ollama import OllamaLLM
    from distilabel.models.llms.openai import OpenAILLM
    from distilabel.models.llms.together import TogetherLLM
    from distilabel.models.llms.vertexai import VertexAILLM
    from distilabel.models.llms.vllm import ClientvLLM, vLLM
    from distilabel.models.mixins.cuda_device_placement import CudaDevicePlacementMixin
    from distilabel.models.mixins.magpie import MagpieChatTemplateMixin

    # distilabel 1.5 re-exports these types here (and so from distilabel.models and distilabel.llms).
    from distilabel.typing.models import GenerateOutput, HiddenState

LLM_EXPORTS, __getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
