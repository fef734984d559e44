"""Azure OpenAI deployments through the official ``openai`` SDK (``AzureOpenAI``'s configuration:
the deployment URL, ``api-version`` and the ``api-key`` header).
"""

from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Dict, Optional

from pydantic import SecretStr

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.openai import OpenAILLM
from distilabel.models.llms.provider import ProviderClient, Secret, env_field

if TYPE_CHECKING:
    from openai import AzureOpenAI

# No default endpoint: `load()` asks for one.
_CLIENT = replace(
    OpenAILLM._provider_client,
    api_key_env="AZURE_OPENAI_API_KEY",
    base_url_env="AZURE_OPENAI_ENDPOINT",
    default_base_url=None,
)


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

    base_url: Optional[RuntimeParameter[str]] = _CLIENT.base_url_field(
        "The base URL to use for the Azure OpenAI API requests i.e. the Azure OpenAI endpoint."
    )
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = _CLIENT.api_key_field(
        "The API key to authenticate the requests to the Azure OpenAI API."
    )
    api_version: Optional[RuntimeParameter[str]] = env_field(
        "OPENAI_API_VERSION", description="The API version to use for the Azure OpenAI API."
    )

    _provider_client: ClassVar[ProviderClient] = _CLIENT

    @classmethod
    def _supports_offline_batch_generation(cls) -> bool:
        return False

    def load(self) -> None:
        from distilabel.errors import DistilabelUserError

        if not self.base_url:
            raise DistilabelUserError(
                f"AzureOpenAILLM needs the Azure endpoint: set the {_CLIENT.base_url_env} environment"
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
