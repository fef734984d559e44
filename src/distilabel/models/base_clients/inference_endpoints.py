"""``InferenceEndpointsBaseClient``: the configuration and SDK client of a model on a
Hugging Face Inference Endpoint, the serverless Inference API or a TGI server."""

import os
from typing import TYPE_CHECKING, Optional

from pydantic import BaseModel, Field, PrivateAttr, SecretStr

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.base_clients._registry import BaseClientMeta, register_models
from distilabel.typing import StructuredOutputType
from distilabel.utils.huggingface import HF_TOKEN_ENV_VAR, endpoint_field, get_hf_token
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from huggingface_hub import AsyncInferenceClient

# How long to wait for a paused or scaled-to-zero endpoint to come up.
_ENDPOINT_WAIT_SECONDS = 300


class InferenceEndpointsBaseClient(BaseModel, metaclass=BaseClientMeta):
    """The fields of a model served by Hugging Face, and its ``AsyncInferenceClient``.

    Give one of ``model_id`` (the serverless API), ``endpoint_name`` (a dedicated
    Inference Endpoint, resumed when paused) or ``base_url`` (any TGI server).
    ``load()`` resolves the URL, creates ``_aclient``
    (``huggingface_hub.AsyncInferenceClient``) and, with ``tokenizer_id``, loads the
    tokenizer into ``_tokenizer``, then calls the next class's ``load()``.

    Attributes:
        model_id: the Hub id of the model, for the serverless Inference API.
        endpoint_name: the name of a dedicated Inference Endpoint.
        endpoint_namespace: the user or organisation that owns the endpoint.
        base_url: the URL of the server, instead of the two above.
        api_key: the Hugging Face token; ``HF_TOKEN`` (or the saved login) when not given.
        tokenizer_id: the Hub id of the tokenizer that applies the chat template locally.
        model_display_name: the name the model is reported as.
        structured_output: the grammar (JSON schema or regex) answers must follow.
    """

    model_id: Optional[str] = None
    endpoint_name: Optional[RuntimeParameter[str]] = endpoint_field("endpoint_name")
    endpoint_namespace: Optional[RuntimeParameter[str]] = endpoint_field("endpoint_namespace")
    base_url: Optional[RuntimeParameter[str]] = endpoint_field("base_url")
    api_key: Optional[RuntimeParameter[SecretStr]] = Field(
        default_factory=lambda: os.getenv(HF_TOKEN_ENV_VAR),
        description="The API key to authenticate the requests to the Inference Endpoints API.",
    )
    tokenizer_id: Optional[str] = None
    model_display_name: Optional[str] = None
    structured_output: Optional[RuntimeParameter[StructuredOutputType]] = Field(
        default=None, description="The structured output format to use across all the generations."
    )

    _model_name: Optional[str] = PrivateAttr(default=None)
    _tokenizer: Optional[object] = PrivateAttr(default=None)
    _api_key_env_var: str = PrivateAttr(HF_TOKEN_ENV_VAR)
    _aclient: Optional["AsyncInferenceClient"] = PrivateAttr(default=None)

    def load(self) -> None:
        """Resolve the server's URL, create ``_aclient`` (and ``_tokenizer``), then the next class's ``load()``."""
        hub = require("huggingface_hub", "hf-inference-endpoints", type(self).__name__)
        if self.model_id is None and self.endpoint_name is None and self.base_url is None:
            raise DistilabelUserError(f"{type(self).__name__} needs one of `model_id`, `endpoint_name` or `base_url`.")
        if self.api_key is None and self.base_url is None:
            self.api_key = SecretStr(get_hf_token(type(self).__name__, "api_key"))
        token = self.api_key.get_secret_value() if self.api_key is not None else None
        if self.endpoint_name is not None:
            endpoint = hub.get_inference_endpoint(self.endpoint_name, namespace=self.endpoint_namespace, token=token)
            if endpoint.status in ("paused", "scaledToZero"):
                endpoint = endpoint.resume()
            endpoint.wait(timeout=_ENDPOINT_WAIT_SECONDS)
            self.base_url = endpoint.url
            self._model_name = endpoint.repository
        # A model id goes to the SDK, which routes it to Hugging Face's serverless API.
        self._aclient = hub.AsyncInferenceClient(model=self.base_url or self.model_id, token=token)
        if self.tokenizer_id:
            transformers = require("transformers", "hf-inference-endpoints", type(self).__name__)
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(self.tokenizer_id)
        parent_load = getattr(super(), "load", None)
        if parent_load is not None:
            parent_load()

    @property
    def model_name(self) -> str:
        """The name the model is reported as: ``model_display_name``, the endpoint's model, ``model_id``, ..."""
        return (
            self.model_display_name or self._model_name or self.model_id or self.endpoint_name or self.base_url or ""
        )


def _register_models() -> None:
    from distilabel.models.image_generation.huggingface.inference_endpoints import (
        InferenceEndpointsImageGeneration,
    )
    from distilabel.models.llms.huggingface.inference_endpoints import InferenceEndpointsLLM

    register_models(InferenceEndpointsBaseClient, InferenceEndpointsLLM, InferenceEndpointsImageGeneration)


_register_models()

__all__ = ["InferenceEndpointsBaseClient"]
