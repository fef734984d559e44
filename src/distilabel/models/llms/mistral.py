"""Mistral AI's models through the official ``mistralai`` SDK.

The chat completions API takes ``n`` (``num_generations`` is one request), returns
log probabilities on request, and follows a JSON schema through its ``json_schema``
response format.
"""

from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Union

from pydantic import PositiveInt, SecretStr, validate_call

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.openai_wire import response_format_for
from distilabel.models.llms.outputs import prepare_output
from distilabel.models.llms.provider import (
    MODEL_FIELD_NAME,
    ProviderClient,
    Secret,
    structured_output_field,
)
from distilabel.models.structured import as_conversation
from distilabel.runtime.retries import ErrorInfo, ErrorKind
from distilabel.typing import FormattedInput, GenerateOutput, InstructorStructuredOutputType

if TYPE_CHECKING:
    from mistralai.client import Mistral
    from mistralai.client.models import ChatCompletionResponse


def _mistral_client(llm: "MistralLLM") -> "Mistral":
    from mistralai.client import Mistral
    from mistralai.client.utils import BackoffStrategy, RetryConfig

    return Mistral(
        api_key=llm._require_api_key(),
        server_url=llm.endpoint,
        # The shared retry policy in AsyncLLM retries instead.
        retry_config=RetryConfig(
            "none", BackoffStrategy(1, 1, 1.0, 1), retry_connection_errors=False
        ),
        timeout_ms=int(llm.timeout * 1000),
    )


async def _close_mistral_client(client: "Mistral") -> None:
    await client.__aexit__(None, None, None)


_CLIENT = ProviderClient(
    sdk="mistralai",
    api_key_env="MISTRAL_API_KEY",
    factory=_mistral_client,
    close=_close_mistral_client,
)


class MistralLLM(AsyncLLM):
    """Mistral AI's chat models, through the async methods of the ``mistralai`` SDK.

    Attributes:
        model: the model name, e.g. ``"mistral-large-latest"``.
        endpoint: the API's base URL. Defaults to `"https://api.mistral.ai"`.
        api_key: the API key; defaults to the ``MISTRAL_API_KEY`` environment variable.
        max_retries: retries of a request that hit a rate limit, server error or timeout.
            Defaults to `6`.
        timeout: seconds to wait for a response. Defaults to `120`.
        max_concurrent_requests: the maximum number of requests in flight at once.
            Defaults to `64`.
        structured_output: a JSON schema or pydantic model every answer must follow, as
            ``{"schema": Model}``; sent as a ``json_schema`` response format.

    Examples:
        >>> llm = MistralLLM(model="mistral-large-latest")
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Hello!"}]])
    """

    model: str
    endpoint: str = "https://api.mistral.ai"
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = _CLIENT.api_key_field(
        "The API key to authenticate the requests to the Mistral API."
    )
    structured_output: Optional[RuntimeParameter[InstructorStructuredOutputType]] = structured_output_field()

    _provider_client: ClassVar[ProviderClient] = _CLIENT

    model_name = MODEL_FIELD_NAME

    def _classify_error(self, error: Exception) -> ErrorInfo:
        # Raised when the SDK's error hooks swallowed a transport error: transient.
        if type(error).__name__ == "NoResponseError":
            return ErrorInfo(ErrorKind.RETRY)
        return super()._classify_error(error)

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: FormattedInput,
        num_generations: int = 1,
        max_new_tokens: Optional[int] = None,
        temperature: Optional[float] = None,
        top_p: Optional[float] = None,
        stop: Optional[Union[str, List[str]]] = None,
        random_seed: Optional[int] = None,
        frequency_penalty: Optional[float] = None,
        presence_penalty: Optional[float] = None,
        logprobs: bool = False,
        top_logprobs: Optional[PositiveInt] = None,
        response_format: Optional[Union[str, Dict[str, Any]]] = None,
    ) -> GenerateOutput:
        """Generate ``num_generations`` answers for one input, in one request.

        Args:
            input: a conversation, a plain prompt string (sent as a user message), or a
                (conversation, structured output) pair.
            num_generations: how many answers to generate (Mistral's ``n``).
            max_new_tokens: the maximum number of tokens to generate; the model's limit
                when not set.
            temperature: sampling temperature; the model's default when not set.
            top_p: nucleus sampling: keep the tokens within this cumulative probability.
            stop: sequences where the model stops generating.
            random_seed: a seed for deterministic sampling.
            frequency_penalty: penalises tokens by how often they already appeared.
            presence_penalty: penalises tokens that already appeared.
            logprobs: whether to return the log probabilities of the generated tokens.
            top_logprobs: how many most likely alternatives to return for each token,
                with their log probabilities (needs `logprobs=True`).
            response_format: `"json"` (or `{"type": "json_object"}`) for JSON mode, or a
                response format dict as Mistral's API takes it. The prompt must ask for
                JSON. Overridden by `structured_output`.

        Returns:
            The generations with token statistics (and logprobs when asked).
        """
        prompt, structured = self._split_input(input)
        prompt = as_conversation(prompt)
        options: Dict[str, Any] = {
            "max_tokens": max_new_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "stop": stop,
            "random_seed": random_seed,
            "frequency_penalty": frequency_penalty,
            "presence_penalty": presence_penalty,
            "response_format": response_format_for(response_format, structured),
        }
        if logprobs or top_logprobs:
            options["logprobs"] = True
            options["top_logprobs"] = top_logprobs
        completion = await self.aclient.chat.complete_async(
            model=self.model,
            messages=prompt,
            n=num_generations,
            **{name: value for name, value in options.items() if value is not None},
        )
        return _output_from_response(completion)


def _text_of(content: Any) -> Optional[str]:
    """The text of an assistant message: a string, or text chunks (other chunks skipped)."""
    if content is None or isinstance(content, str):
        return content or None
    return (
        "".join(
            getattr(chunk, "text", "")
            for chunk in content
            if getattr(chunk, "type", None) == "text"
        )
        or None
    )


def _output_from_response(completion: "ChatCompletionResponse") -> GenerateOutput:
    generations: List[Optional[str]] = []
    errors: List[Optional[str]] = []
    logprobs: List[Any] = []
    for choice in completion.choices:
        text = _text_of(choice.message.content if choice.message is not None else None)
        generations.append(text)
        errors.append(
            None
            if text
            else f"the model returned an empty completion (finish_reason={choice.finish_reason!r})"
        )
        content = getattr(choice.logprobs, "content", None)
        if content:
            logprobs.append(
                [
                    [
                        {"token": top.token, "logprob": top.logprob}
                        for top in token.top_logprobs or []
                    ]
                    or [{"token": token.token, "logprob": token.logprob}]
                    for token in content
                ]
            )
    usage = completion.usage
    return prepare_output(
        generations,
        [usage.prompt_tokens or 0],
        [usage.completion_tokens or 0],
        logprobs or None,
        errors,
    )
