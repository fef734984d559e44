"""Azure OpenAI deployments through the official ``openai`` SDK (``AzureOpenAI``'s configuration:
the deployment URL, ``api-version`` and the ``api-key`` header).
"""

import os
from typing import TYPE_CHECKING, Any, ClassVar, Dict, Optional

from pydantic import Field, SecretStr

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.openai import OpenAILLM

if TYPE_CHECKING:
    from openai import AzureOpenAI

_AZURE_OPENAI_API_KEY_ENV_VAR_NAME = "AZURE_OPENAI_API_KEY"
_AZURE_OPENAI_ENDPOINT_ENV_VAR_NAME = "AZURE_OPENAI_ENDPOINT"
_OPENAI_API_VERSION_ENV_VAR_NAME = "OPENAI_API_VERSION"


class AzureOpenAILLM(OpenAILLM):
    """A model deployed on Azure OpenAI.

    Everything ``OpenAILLM`` does (chat, ``n``, logprobs, JSON mode, structured output
    as a ``json_schema`` response format) works the same; requests go to the
    deployment named by ``model``.

    Attributes:
        model: the name of the Azure deployment.
        base_url: the Azure OpenAI endpoint; defaults to ``AZURE_OPENAI_ENDPOINT``.
        api_key: the API key; defaults to ``AZURE_OPENAI_API_KEY``.
        api_version: the API version; defaults to ``OPENAI_API_VERSION``. Structured
            output needs ``2024-08-01-preview`` or later.

    Examples:
        >>> llm = AzureOpenAILLM(model="my-gpt-4o-deployment", api_version="2024-10-21")
    """

    base_url: Optional[RuntimeParameter[str]] = Field(
        default_factory=lambda: os.getenv(_AZURE_OPENAI_ENDPOINT_ENV_VAR_NAME),
        description="The base URL to use for the Azure OpenAI API requests i.e. the Azure OpenAI endpoint.",
    )
    api_key: Optional[RuntimeParameter[SecretStr]] = Field(
        default_factory=lambda: os.getenv(_AZURE_OPENAI_API_KEY_ENV_VAR_NAME),
        description="The API key to authenticate the requests to the Azure OpenAI API.",
    )
    api_version: Optional[RuntimeParameter[str]] = Field(
        default_factory=lambda: os.getenv(_OPENAI_API_VERSION_ENV_VAR_NAME),
        description="The API version to use for the Azure OpenAI API.",
    )

    _api_key_env_var: ClassVar[Optional[str]] = _AZURE_OPENAI_API_KEY_ENV_VAR_NAME

    @classmethod
    def _supports_offline_batch_generation(cls) -> bool:
        return False

    def load(self) -> None:
        from distilabel.errors import DistilabelUserError

        if not self.base_url:
            raise DistilabelUserError(
                "AzureOpenAILLM needs the Azure endpoint: set the AZURE_OPENAI_ENDPOINT environment"
                " variable or pass `base_url`."
            )
        super().load()

    def _azure_options(self) -> Dict[str, Any]:
        options = self._client_options()
        options["azure_endpoint"] = options.pop("base_url")
        options["azure_deployment"] = self.model
        options["api_version"] = self.api_version
        return options

    @property
    def client(self) -> "AzureOpenAI":
        if self._client is None:
            import openai

            self._client = openai.AzureOpenAI(**self._azure_options())
        return self._client
