"""Together AI, an OpenAI-compatible API, through the ``openai`` SDK."""

import os
from typing import ClassVar, Optional

from pydantic import Field, SecretStr

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.openai import OpenAILLM

_TOGETHER_API_KEY_ENV_VAR_NAME = "TOGETHER_API_KEY"


class TogetherLLM(OpenAILLM):
    """Models served by Together AI (OpenAI-compatible).

    Attributes:
        model: the model name, e.g. ``"mistralai/Mixtral-8x7B-Instruct-v0.1"``.
        base_url: defaults to ``TOGETHER_BASE_URL`` or ``https://api.together.xyz/v1``.
        api_key: defaults to the ``TOGETHER_API_KEY`` environment variable.
    """

    base_url: Optional[RuntimeParameter[str]] = Field(
        default_factory=lambda: os.getenv("TOGETHER_BASE_URL", "https://api.together.xyz/v1"),
        description="The base URL to use for the Together API requests.",
    )
    api_key: Optional[RuntimeParameter[SecretStr]] = Field(
        default_factory=lambda: os.getenv(_TOGETHER_API_KEY_ENV_VAR_NAME),
        description="The API key to authenticate the requests to the Together API.",
    )

    _api_key_env_var: ClassVar[Optional[str]] = _TOGETHER_API_KEY_ENV_VAR_NAME

    @classmethod
    def _supports_offline_batch_generation(cls) -> bool:
        return False
