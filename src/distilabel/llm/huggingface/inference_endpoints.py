"""distilabel 0.x's ``InferenceEndpointsLLM``, generating through
``distilabel.models.llms.InferenceEndpointsLLM``."""

from typing import Any, ClassVar, Dict, Optional, Tuple

from pydantic import Field, SecretStr

from distilabel.errors import DistilabelError, DistilabelUserError
from distilabel.llm.base import LLM
from distilabel.models.llms.huggingface.inference_endpoints import (
    InferenceEndpointsLLM as _ModernInferenceEndpointsLLM,
)
from distilabel.models.llms.outputs import describe_error


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


class InferenceEndpointsLLM(LLM):
    """A model behind a Hugging Face Inference Endpoint (or any TGI server), with
    distilabel 0.x's API.

    ``endpoint_name`` is the endpoint's name (looked up in ``endpoint_namespace``, on
    the first ``generate``) or its URL (``https://...``, or a TGI server's
    ``http://host:port``), which needs no lookup. The token is ``token``, else the
    ``HF_TOKEN`` environment variable. Prompt strings go to TGI's text-generation
    route, conversations (``prompt_format="openai"``) to its chat route. TGI has no
    ``n``: ``num_generations`` sends that many requests.

    Attributes:
        endpoint_name: the Inference Endpoint's name, or its URL.
        endpoint_namespace: the user or organisation owning the endpoint.
        token: the Hugging Face token.
        max_new_tokens: the most tokens each answer may have.
        repetition_penalty: above 1 discourages repeating tokens.
        seed: the sampling seed.
        do_sample: sample; ``False`` (the default) decodes greedily.
        temperature: the sampling temperature.
        top_k: sample among the k most likely tokens.
        top_p: nucleus sampling's cumulative probability.
        typical_p: typical decoding mass.

    Examples:
        >>> from distilabel.llm import InferenceEndpointsLLM
        >>> from distilabel.tasks import Llama2TextGenerationTask
        >>> llm = InferenceEndpointsLLM(
        ...     endpoint_name="aws-notus-7b-v1-4052", endpoint_namespace="argilla", task=Llama2TextGenerationTask()
        ... )
    """

    endpoint_name: str = Field(description="The Inference Endpoint's name, or its URL.")
    endpoint_namespace: Optional[str] = Field(default=None, description="The endpoint's owner.")
    token: Optional[SecretStr] = Field(default=None, description="The Hugging Face token.")
    max_new_tokens: int = Field(default=128, description="The most tokens each answer may have.")
    repetition_penalty: Optional[float] = Field(default=None, description="Above 1 discourages repeating tokens.")
    seed: Optional[int] = Field(default=None, description="The sampling seed.")
    do_sample: bool = Field(default=False, description="Sample instead of decoding greedily.")
    temperature: Optional[float] = Field(default=None, description="The sampling temperature.")
    top_k: Optional[int] = Field(default=None, description="Sample among the k most likely tokens.")
    top_p: Optional[float] = Field(default=None, description="Nucleus sampling's cumulative probability.")
    typical_p: Optional[float] = Field(default=None, description="Typical decoding mass.")

    _modern_equivalent: ClassVar[str] = (
        "distilabel.models.llms.InferenceEndpointsLLM(endpoint_name=... or base_url=...) with"
        " distilabel.steps.tasks.TextGeneration"
    )
    _positional_args: ClassVar[Tuple[str, ...]] = ("endpoint_name", "task", "endpoint_namespace", "token")

    def _make_engine(self) -> _ModernInferenceEndpointsLLM:
        fields: Dict[str, Any] = {}
        if _is_url(self.endpoint_name):
            fields["base_url"] = self.endpoint_name
        else:
            fields["endpoint_name"] = self.endpoint_name
            fields["endpoint_namespace"] = self.endpoint_namespace
        if self.token is not None:
            fields["api_key"] = self.token
        return _ModernInferenceEndpointsLLM(**fields)

    def _load_engine(self, engine: Any) -> None:
        try:
            engine.load()
        except DistilabelError:
            raise  # already clear (a missing token names HF_TOKEN, offline mode says so)
        except Exception as error:
            if _is_url(self.endpoint_name):
                raise
            where = f"{self.endpoint_namespace}/{self.endpoint_name}" if self.endpoint_namespace else self.endpoint_name
            raise DistilabelUserError(
                f"InferenceEndpointsLLM could not look up the Inference Endpoint {where!r}: {describe_error(error)}."
                " Looking an endpoint up by name needs Hugging Face's API (api.endpoints.huggingface.cloud), a"
                " valid token and a running endpoint. Without them, pass the endpoint's URL instead:"
                " endpoint_name='https://<endpoint>.endpoints.huggingface.cloud' (or a TGI server's"
                " 'http://host:port')."
            ) from error


__all__ = ["InferenceEndpointsLLM"]
