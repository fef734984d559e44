"""Together AI, an OpenAI-compatible API, through the ``openai`` SDK."""

from dataclasses import replace
from typing import ClassVar, Optional

from pydantic import SecretStr

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.openai import OpenAILLM
from distilabel.models.llms.provider import ProviderClient, Secret

_CLIENT = replace(
    OpenAILLM._provider_client,
    api_key_env="TOGETHER_API_KEY",
    base_url_env="TOGETHER_BASE_URL",
    default_base_url="https://api.together.xyz/v1",
)


class TogetherLLM(OpenAILLM):
    """Models served by Together AI (OpenAI-compatible).

    Attributes:
        model: the model name, e.g. ``"mistralai/Mixtral-8x7B-Instruct-v0.1"``.
        base_url: defaults to ``TOGETHER_BASE_URL`` or ``https://api.together.xyz/v1``.
        api_key: defaults to the ``TOGETHER_API_KEY`` environment variable.
    """

    base_url: Optional[RuntimeParameter[str]] = _CLIENT.base_url_field(
        "The base URL to use for the Together API requests."
    )
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = _CLIENT.api_key_field(
        "The API key to authenticate the requests to the Together API."
    )

    _provider_client: ClassVar[ProviderClient] = _CLIENT

    @classmethod
    def _supports_offline_batch_generation(cls) -> bool:
        return False
