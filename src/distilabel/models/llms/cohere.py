"""Cohere's Command models through the official ``cohere`` SDK (Chat API v2).

The v2 Chat API takes the conversation as-is (system, user and assistant messages),
reports token usage, and follows a JSON schema through its ``json_object`` response
format. It has no ``n``: ``num_generations`` fans out into that many requests.
"""

import re
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Sequence

from pydantic import Field, SecretStr, validate_call

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.models.llms.provider import (
    MODEL_FIELD_NAME,
    ProviderClient,
    Secret,
    structured_output_field,
)
from distilabel.models.structured import JsonSchemaOutput, as_conversation
from distilabel.typing import FormattedInput, GenerateOutput, InstructorStructuredOutputType

if TYPE_CHECKING:
    from cohere import AsyncClientV2
    from cohere.v2.types import V2ChatResponse

# The SDK appends the API version to the base URL itself.
_VERSION_SUFFIX = re.compile(r"/v[12]/?$")


def _cohere_client(llm: "CohereLLM") -> "AsyncClientV2":
    import cohere

    return cohere.AsyncClientV2(
        api_key=llm._require_api_key(),
        base_url=_VERSION_SUFFIX.sub("", llm.base_url) if llm.base_url else None,
        client_name=llm.client_name,
        timeout=llm.timeout,
        max_retries=0,  # the shared retry policy in AsyncLLM retries instead
    )


async def _close_cohere_client(client: "AsyncClientV2") -> None:
    # The v2 client keeps its httpx client on the shared client wrapper.
    await client._client_wrapper.httpx_client.httpx_client.aclose()


_CLIENT = ProviderClient(
    sdk="cohere",
    api_key_env="COHERE_API_KEY",
    base_url_env="COHERE_BASE_URL",
    default_base_url="https://api.cohere.ai/v1",
    factory=_cohere_client,
    close=_close_cohere_client,
)


class CohereLLM(AsyncLLM):
    """Cohere's chat models, through the async v2 client of the ``cohere`` SDK.

    Attributes:
        model: the model name, e.g. ``"command-r-plus"``.
        base_url: the API's base URL; defaults to ``COHERE_BASE_URL`` or
            ``https://api.cohere.ai/v1`` (a trailing ``/v1`` or ``/v2`` is dropped: the
            SDK adds the version of the endpoint it calls).
        api_key: the API key; defaults to the ``COHERE_API_KEY`` environment variable.
        timeout: seconds to wait for a response. Defaults to `120`.
        client_name: the client name sent to Cohere with every request. Defaults to
            `"distilabel"`.
        structured_output: a JSON schema or pydantic model every answer must follow, as
            ``{"schema": Model}``; sent as a ``json_object`` response format with the schema.

    Examples:
        >>> llm = CohereLLM(model="command-r-plus")
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Hello!"}]])
    """

    model: str
    base_url: Optional[RuntimeParameter[str]] = _CLIENT.base_url_field(
        "The base URL to use for the Cohere API requests."
    )
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = _CLIENT.api_key_field(
        "The API key to authenticate the requests to the Cohere API."
    )
    client_name: RuntimeParameter[str] = Field(
        default="distilabel",
        description="The name of the client to use for the API requests.",
    )
    structured_output: Optional[RuntimeParameter[InstructorStructuredOutputType]] = structured_output_field()

    _provider_client: ClassVar[ProviderClient] = _CLIENT
    _num_generations_param_supported: ClassVar[bool] = False

    model_name = MODEL_FIELD_NAME

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: FormattedInput,
        num_generations: int = 1,
        temperature: Optional[float] = None,
        max_tokens: Optional[int] = None,
        k: Optional[int] = None,
        p: Optional[float] = None,
        seed: Optional[float] = None,
        stop_sequences: Optional[Sequence[str]] = None,
        frequency_penalty: Optional[float] = None,
        presence_penalty: Optional[float] = None,
        raw_prompting: Optional[bool] = None,
    ) -> GenerateOutput:
        """Generate one answer for one input (``num_generations`` fans out into requests).

        Args:
            input: a conversation, or a (conversation, structured output) pair.
            num_generations: how many answers to generate; the API has no ``n``, so each
                one is a separate request.
            temperature: sampling temperature; higher is more random. The API's default
                (0.3) when not set.
            max_tokens: the maximum number of tokens to generate.
            k: sample only from the `k` most likely tokens (0 disables it).
            p: nucleus sampling: keep the tokens within this cumulative probability.
            seed: a seed for best-effort deterministic sampling.
            stop_sequences: up to 5 sequences that stop the generation when produced.
            frequency_penalty: penalises tokens by how often they already appeared (0 to 1).
            presence_penalty: penalises tokens that already appeared (0 to 1).
            raw_prompting: accepted for compatibility with the v1 Chat API; the v2 API
                has no raw prompting, so it is ignored.

        Returns:
            The generation with its token statistics.
        """
        prompt, structured = self._split_input(input)
        prompt = as_conversation(prompt)
        options: Dict[str, Any] = {
            "temperature": temperature,
            "max_tokens": max_tokens,
            "k": k,
            "p": p,
            "seed": int(seed) if seed is not None else None,
            "stop_sequences": list(stop_sequences) if stop_sequences else None,
            "frequency_penalty": frequency_penalty,
            "presence_penalty": presence_penalty,
        }
        if isinstance(structured, JsonSchemaOutput):
            options["response_format"] = {"type": "json_object", "json_schema": structured.schema}
        response = await self.aclient.chat(
            model=self.model,
            messages=prompt,
            **{name: value for name, value in options.items() if value is not None},
        )
        return _output_from_response(response)


def _output_from_response(response: "V2ChatResponse") -> GenerateOutput:
    parts: List[str] = [
        item.text
        for item in (response.message.content or [])
        if getattr(item, "type", None) == "text"
    ]
    text = "".join(parts) or None
    error = (
        None if text else f"the model returned no answer (finish_reason={response.finish_reason!r})"
    )
    tokens = response.usage.tokens if response.usage is not None else None
    input_tokens = int(tokens.input_tokens or 0) if tokens is not None else 0
    output_tokens = int(tokens.output_tokens or 0) if tokens is not None else 0
    return prepare_output([text], [input_tokens], [output_tokens], errors=[error])
