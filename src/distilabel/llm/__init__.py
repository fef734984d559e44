"""distilabel 0.x's LLMs: ``from distilabel.llm import OpenAILLM``.

Kept so that 0.x code runs unchanged: each class takes 0.x's arguments (``task=``,
``max_new_tokens``, ``num_threads``, ``prompt_format``...), returns 0.x's
``LLMOutput`` lists (or futures of them), and generates through the distilabel 1.x
LLM of the same provider in ``distilabel.models.llms``. Each warns
(``DeprecationWarning``) and names that 1.x equivalent. See docs/legacy_0x.md.
"""

from distilabel.utils.lazy import lazy_exports

_EXPORTS = {
    "LLM": "distilabel.llm.base",
    "LLMOutput": "distilabel.llm.utils",
    "OpenAILLM": "distilabel.llm.openai",
    "LlamaCppLLM": "distilabel.llm.llama_cpp",
    "vLLM": "distilabel.llm.vllm",
    "TransformersLLM": "distilabel.llm.huggingface.transformers",
    "InferenceEndpointsLLM": "distilabel.llm.huggingface.inference_endpoints",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
