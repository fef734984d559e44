"""Anyscale Endpoints, an OpenAI-compatible API, through the ``openai`` SDK."""

from dataclasses import replace
from typing import ClassVar, Optional

from pydantic import SecretStr

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.openai import OpenAILLM
from distilabel.models.llms.provider import ProviderClient, Secret

_CLIENT = replace(
    OpenAILLM._provider_client,
    api_key_env="ANYSCALE_API_KEY",
    base_url_env="ANYSCALE_BASE_URL",
    default_base_url="https://api.endpoints.anyscale.com/v1",
)


class AnyscaleLLM(OpenAILLM):
    """Models served by Anyscale Endpoints (OpenAI-compatible).

    Attributes:
        model: the model name, e.g. ``"meta-llama/Llama-2-7b-chat-hf"``.
        base_url: defaults to ``ANYSCALE_BASE_URL`` or ``https://api.endpoints.anyscale.com/v1``.
        api_key: defaults to the ``ANYSCALE_API_KEY`` environment variable.
    """

    base_url: Optional[RuntimeParameter[str]] = _CLIENT.base_url_field(
        "The base URL to use for the Anyscale API requests."
    )
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = _CLIENT.api_key_field(
        "The API key to authenticate the requests to the Anyscale API."
    )

    _provider_client: ClassVar[ProviderClient] = _CLIENT

    @classmethod
    def _supports_offline_batch_generation(cls) -> bool:
        return False
