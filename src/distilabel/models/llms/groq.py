"""Models served by Groq, through the official ``groq`` SDK.

Groq's chat API is OpenAI-shaped but accepts only ``n=1``, so ``num_generations``
fans out into that many requests. Structured output is sent as a ``json_schema``
response format.
"""

from typing import Any, ClassVar, Dict, List, Optional, Union

from pydantic import Field, NonNegativeInt, SecretStr, validate_call

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.openai_wire import output_from_chat_completion, response_format_for
from distilabel.models.llms.provider import (
    MODEL_FIELD_NAME,
    ProviderClient,
    RunOnly,
    Secret,
    stainless_factory,
    structured_output_field,
)
from distilabel.models.structured import as_conversation
from distilabel.typing import FormattedInput, GenerateOutput, InstructorStructuredOutputType

_CLIENT = ProviderClient(
    sdk="groq",
    api_key_env="GROQ_API_KEY",
    base_url_env="GROQ_BASE_URL",
    default_base_url="https://api.groq.com",
    factory=stainless_factory("groq", "AsyncGroq"),
)


class GroqLLM(AsyncLLM):
    """Models served by Groq, through the async client of the ``groq`` SDK.

    Attributes:
        model: the model name, e.g. ``"llama-3.3-70b-versatile"``.
        base_url: the API's base URL; defaults to ``GROQ_BASE_URL`` or
            ``https://api.groq.com``.
        api_key: the API key; defaults to the ``GROQ_API_KEY`` environment variable.
        max_retries: retries of a request that hit a rate limit, server error or timeout.
            Defaults to `2`.
        timeout: seconds to wait for a response. Defaults to `120`.
        structured_output: a JSON schema or pydantic model every answer must follow, as
            ``{"schema": Model}``; sent as a ``json_schema`` response format.

    Examples:
        >>> llm = GroqLLM(model="llama-3.3-70b-versatile")
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Hello!"}]])
    """

    model: str
    base_url: Optional[RuntimeParameter[str]] = _CLIENT.base_url_field(
        "The base URL to use for the Groq API requests."
    )
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = _CLIENT.api_key_field(
        "The API key to authenticate the requests to the Groq API."
    )
    max_retries: RunOnly[RuntimeParameter[NonNegativeInt]] = Field(
        default=2,
        description="The maximum number of times to retry the request to the API before failing.",
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
        seed: Optional[int] = None,
        max_new_tokens: int = 128,
        temperature: float = 1.0,
        top_p: float = 1.0,
        stop: Optional[Union[str, List[str]]] = None,
        frequency_penalty: Optional[float] = None,
        presence_penalty: Optional[float] = None,
        response_format: Optional[Union[str, Dict[str, Any]]] = None,
    ) -> GenerateOutput:
        """Generate one answer for one input (``num_generations`` fans out into requests).

        Args:
            input: a conversation, a plain prompt string (sent as a user message), or a
                (conversation, structured output) pair.
            num_generations: how many answers to generate; Groq accepts only ``n=1``, so
                each one is a separate request.
            seed: a seed for best-effort deterministic sampling.
            max_new_tokens: the maximum number of tokens to generate. Defaults to `128`.
            temperature: sampling temperature; higher is more random. Defaults to `1.0`.
            top_p: nucleus sampling: keep the tokens within this cumulative probability.
                Defaults to `1.0`.
            stop: up to 4 sequences where the model stops generating.
            frequency_penalty: penalises tokens by how often they already appeared
                (-2 to 2).
            presence_penalty: penalises tokens that already appeared (-2 to 2).
            response_format: `"json"` (or `{"type": "json_object"}`) for JSON mode, or a
                response format dict as Groq's API takes it. The prompt must ask for
                JSON. Overridden by `structured_output`.

        Returns:
            The generation with its token statistics.
        """
        prompt, structured = self._split_input(input)
        prompt = as_conversation(prompt)
        options: Dict[str, Any] = {
            "seed": seed,
            "stop": stop,
            "frequency_penalty": frequency_penalty,
            "presence_penalty": presence_penalty,
            "response_format": response_format_for(response_format, structured),
        }
        completion = await self.aclient.chat.completions.create(
            model=self.model,
            messages=prompt,
            max_completion_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            **{name: value for name, value in options.items() if value is not None},
        )
        return output_from_chat_completion(completion)
