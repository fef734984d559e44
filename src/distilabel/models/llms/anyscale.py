"""Anyscale Endpoints, an OpenAI-compatible API, through the ``openai`` SDK."""

import os
from typing import ClassVar, Optional

from pydantic import Field, SecretStr

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.openai import OpenAILLM

_ANYSCALE_API_KEY_ENV_VAR_NAME = "ANYSCALE_API_KEY"


class AnyscaleLLM(OpenAILLM):
    """Models served by Anyscale Endpoints (OpenAI-compatible).

    Attributes:
        model: the model name, e.g. ``"meta-llama/Llama-2-7b-chat-hf"``.
        base_url: defaults to ``ANYSCALE_BASE_URL`` or ``https://api.endpoints.anyscale.com/v1``.
        api_key: defaults to the ``ANYSCALE_API_KEY`` environment variable.
    """

    base_url: Optional[RuntimeParameter[str]] = Field(
        default_factory=lambda: os.getenv("ANYSCALE_BASE_URL", "https://api.endpoints.anyscale.com/v1"),
        description="The base URL to use for the Anyscale API requests.",
    )
    api_key: Optional[RuntimeParameter[SecretStr]] = Field(
        default_factory=lambda: os.getenv(_ANYSCALE_API_KEY_ENV_VAR_NAME),
        description="The API key to authenticate the requests to the Anyscale API.",
    )

    _api_key_env_var: ClassVar[Optional[str]] = _ANYSCALE_API_KEY_ENV_VAR_NAME

    @classmethod
    def _supports_offline_batch_generation(cls) -> bool:
        return False
