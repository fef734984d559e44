"""LLMs, one provider per module: ``from distilabel.models.llms import OpenAILLM``.

Names are imported on first use, so an uninstalled provider SDK only matters
when that provider is used.
"""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_exports

LLM_EXPORTS = {
    "LLM": ".base",
    "AsyncLLM": ".base",
    "AnthropicLLM": ".anthropic",
    "AnyscaleLLM": ".anyscale",
    "AzureOpenAILLM": ".azure",
    "ClientvLLM": ".vllm",
    "CohereLLM": ".cohere",
    "GroqLLM": ".groq",
    "InferenceEndpointsLLM": ".huggingface.inference_endpoints",
    "LiteLLM": ".litellm",
    "LlamaCppLLM": ".llamacpp",
    "MistralLLM": ".mistral",
    "MlxLLM": ".mlx",
    "MixtureOfAgentsLLM": ".moa",
    "OllamaLLM": ".ollama",
    "OpenAILLM": ".openai",
    "TogetherLLM": ".together",
    "TransformersLLM": ".huggingface.transformers",
    "VertexAILLM": ".vertexai",
    "vLLM": ".vllm",
    "CudaDevicePlacementMixin": "distilabel.models.mixins.cuda_device_placement",
    "MagpieChatTemplateMixin": "distilabel.models.mixins.magpie",
    # distilabel 1.5 re-exports these types here (and so from distilabel.models and distilabel.llms).
    "GenerateOutput": "distilabel.typing.models",
    "HiddenState": "distilabel.typing.models",
}

__getattr__, __dir__ = lazy_exports(__name__, LLM_EXPORTS)
__all__ = sorted(LLM_EXPORTS)

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
