"""distilabel 0.x's LLMs: ``from distilabel.llm import OpenAILLM``.

Kept so that 0.x code runs unchanged: each class takes 0.x's arguments (``task=``,
``max_new_tokens``, ``num_threads``, ``prompt_format``...), returns 0.x's
``LLMOutput`` lists (or futures of them), and generates through the distilabel 1.x
LLM of the same provider in ``distilabel.models.llms``. Each warns
(``DeprecationWarning``) and names that 1.x equivalent. See docs/legacy_0x.md.
"""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_package

if TYPE_CHECKING:
    from distilabel.llm.base import LLM
    from distilabel.llm.huggingface.inference_endpoints import InferenceEndpointsLLM
    from distilabel.llm.huggingface.transformers import TransformersLLM
    from distilabel.llm.llama_cpp import LlamaCppLLM
    from distilabel.llm.openai import OpenAILLM
    from distilabel.llm.utils import LLMOutput
    from distilabel.llm.vllm import vLLM

_EXPORTS, __getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
