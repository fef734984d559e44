"""``OpenAIBaseClient``: the configuration and SDK clients of a model served by OpenAI's API."""

import os
from typing import TYPE_CHECKING, Any, Dict, Optional

from pydantic import BaseModel, Field, PrivateAttr, SecretStr

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.base_clients._registry import BaseClientMeta, register_models
from distilabel.models.llms.provider import MODEL_FIELD_NAME
from distilabel.typing import InstructorStructuredOutputType
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

_OPENAI_API_KEY_ENV_VAR_NAME = "OPENAI_API_KEY"


class OpenAIBaseClient(BaseModel, metaclass=BaseClientMeta):
    """The fields of a model on OpenAI's API (or a server speaking it) and its SDK clients.

    ``load()`` creates ``_client`` (``openai.OpenAI``) and ``_aclient``
    (``openai.AsyncOpenAI``) from the fields, then calls the next class's ``load()``
    (e.g. ``AsyncLLM``'s) when there is one; ``unload()`` closes and drops them.

    Attributes:
        model: the model name, e.g. ``"gpt-4o"``.
        base_url: the API's base URL; ``OPENAI_BASE_URL`` or OpenAI's when not given.
        api_key: the API key; the ``OPENAI_API_KEY`` environment variable when not given.
        default_headers: headers sent with every request.
        max_retries: how many times the SDK retries a failed request.
        timeout: seconds to wait for a response.
        structured_output: the JSON schema (or pydantic model) answers must follow,
            for the subclasses that use it.

    Examples:
        >>> client = OpenAIBaseClient(model="gpt-4o")
        >>> client.load()
        >>> client._client.models.list()
    """

    model: str
    base_url: Optional[RuntimeParameter[str]] = Field(
        default_factory=lambda: os.getenv("OPENAI_BASE_URL", "https://api.openai.com/v1"),
        description="The base URL to use for the OpenAI API requests.",
    )
    api_key: Optional[RuntimeParameter[SecretStr]] = Field(
        default_factory=lambda: os.getenv(_OPENAI_API_KEY_ENV_VAR_NAME),
        description="The API key to authenticate the requests to the OpenAI API.",
    )
    default_headers: Optional[RuntimeParameter[Dict[str, str]]] = Field(
        default=None, description="The default headers to use for the OpenAI API requests."
    )
    max_retries: RuntimeParameter[int] = Field(
        default=6, description="The maximum number of times to retry a request to the API before failing."
    )
    timeout: RuntimeParameter[int] = Field(
        default=120, description="The maximum time in seconds to wait for a response from the API."
    )
    structured_output: Optional[RuntimeParameter[InstructorStructuredOutputType]] = Field(
        default=None, description="The structured output format to use across all the generations."
    )

    _api_key_env_var: str = PrivateAttr(_OPENAI_API_KEY_ENV_VAR_NAME)
    _client: Optional["OpenAI"] = PrivateAttr(None)
    _aclient: Optional["AsyncOpenAI"] = PrivateAttr(None)

    def _sdk_options(self) -> Dict[str, Any]:
        if self.api_key is None:
            raise DistilabelUserError(
                f"{type(self).__name__} needs an API key: pass `api_key` or set the"
                f" {self._api_key_env_var} environment variable."
            )
        return {
            "base_url": self.base_url,
            "api_key": self.api_key.get_secret_value(),
            "max_retries": self.max_retries,
            "timeout": self.timeout,
            "default_headers": self.default_headers,
        }

    def load(self) -> None:
        """Create the sync and async SDK clients (the ``openai`` extra), then the next class's ``load()``."""
        openai = require("openai", "openai", type(self).__name__)
        options = self._sdk_options()
        self._client = openai.OpenAI(**options)
        self._aclient = openai.AsyncOpenAI(**options)
        parent_load = getattr(super(), "load", None)
        if parent_load is not None:
            parent_load()

    def unload(self) -> None:
        """Close and drop the SDK clients, then the next class's ``unload()``."""
        if self._client is not None:
            self._client.close()
        self._client = None
        self._aclient = None
        parent_unload = getattr(super(), "unload", None)
        if parent_unload is not None:
            parent_unload()

    model_name = MODEL_FIELD_NAME


def _register_models() -> None:
    # Ours keep these fields in their own classes (their requests go over one aiohttp
    # session, not the SDK's): they are OpenAIBaseClients by registration.
    from distilabel.models.image_generation.openai import OpenAIImageGeneration
    from distilabel.models.llms.openai import OpenAILLM

    register_models(OpenAIBaseClient, OpenAILLM, OpenAIImageGeneration)


_register_models()

__all__ = ["OpenAIBaseClient"]
