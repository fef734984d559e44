"""OpenAI (and OpenAI-compatible servers) through the official ``openai`` SDK.

The SDK configures the client (base URL, authentication and default headers, Azure's
deployment URL and ``api-version``) and runs files and batch jobs. Chat and completion
requests go out as the JSON body built here, over one aiohttp session per event loop
(``distilabel.runtime.http.JsonClient``): the SDK's own request path costs 3-5 ms of
CPU per request, which bounds a run on two cores (docs/request_path.md, measured).
"""

from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Union

from pydantic import Field, PositiveInt, PrivateAttr, SecretStr, validate_call

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.openai_batch import OpenAIBatchJobs
from distilabel.models.llms.openai_wire import (
    output_from_chat_completion,
    output_from_completion,
    response_format_for,
)
from distilabel.models.llms.provider import (
    MODEL_FIELD_NAME,
    ProviderClient,
    Secret,
    structured_output_field,
)
from distilabel.models.structured import as_conversation
from distilabel.runtime.accounts import observe_headers
from distilabel.runtime.http import JsonClient
from distilabel.typing import FormattedInput, GenerateOutput, InstructorStructuredOutputType

if TYPE_CHECKING:
    from openai import OpenAI

# No factory: requests go through `OpenAILLM._create_async_client`, a JsonClient
# configured as the SDK's client is.
_CLIENT = ProviderClient(
    sdk="openai",
    api_key_env="OPENAI_API_KEY",
    base_url_env="OPENAI_BASE_URL",
    default_base_url="https://api.openai.com/v1",
)


class OpenAILLM(AsyncLLM):
    """OpenAI's chat and completion models, or any server speaking OpenAI's API.

    Chat inputs go to the chat completions API; plain string prompts to the
    (legacy) completions API. ``num_generations`` maps to ``n``.

    Attributes:
        model: the model name, e.g. ``"gpt-4o"``.
        base_url: the API's base URL; defaults to ``OPENAI_BASE_URL`` or OpenAI's.
        api_key: the API key; defaults to the ``OPENAI_API_KEY`` environment variable.
        default_headers: headers sent with every request.
        max_retries: retries of a request that hit a rate limit, server error or timeout.
        timeout: seconds to wait for a response.
        structured_output: a JSON schema or pydantic model every answer must follow,
            as ``{"schema": Model}``; sent as a ``json_schema`` response format.

    Examples:
        >>> llm = OpenAILLM(model="gpt-4o")
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Hello!"}]])
    """

    model: str
    base_url: Optional[RuntimeParameter[str]] = _CLIENT.base_url_field(
        "The base URL to use for the OpenAI API requests."
    )
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = _CLIENT.api_key_field(
        "The API key to authenticate the requests to the OpenAI API."
    )
    default_headers: Optional[RuntimeParameter[Dict[str, str]]] = Field(
        default=None,
        description="The default headers to use for the OpenAI API requests.",
    )
    structured_output: Optional[RuntimeParameter[InstructorStructuredOutputType]] = structured_output_field()

    _provider_client: ClassVar[ProviderClient] = _CLIENT
    _batch_max_requests: int = PrivateAttr(default=50_000)
    _batch_max_bytes: int = PrivateAttr(default=190 * 1024 * 1024)
    _client: Optional["OpenAI"] = PrivateAttr(default=None)

    model_name = MODEL_FIELD_NAME

    def unload(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        super().unload()

    def _client_options(self) -> Dict[str, Any]:
        return {
            "api_key": self._require_api_key(),
            "base_url": self.base_url,
            "default_headers": self.default_headers,
            "max_retries": 0,  # the shared retry policy in AsyncLLM retries instead
            "timeout": self.timeout,
        }

    def _create_async_client(self) -> JsonClient:
        """The JSON client requests go through, configured as the SDK's client is."""
        sdk = self.client
        headers = {**sdk.default_headers, **sdk.auth_headers}
        # The SDK marks unset optional headers (organization, project) with its Omit sentinel.
        sent = {name: value for name, value in headers.items() if isinstance(value, str)}
        sent.pop("X-Stainless-Async", None)
        return JsonClient(str(sdk.base_url), sent, sdk.default_query, on_headers=partial(observe_headers, self._account()))

    @property
    def client(self) -> "OpenAI":
        """The SDK's (sync) client: the configuration requests use, and the batch API's files and jobs."""
        if self._client is None:
            import openai

            self._client = openai.OpenAI(**self._client_options())
        return self._client

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: FormattedInput,
        num_generations: int = 1,
        max_new_tokens: int = 128,
        logprobs: bool = False,
        top_logprobs: Optional[PositiveInt] = None,
        echo: bool = False,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        temperature: float = 1.0,
        top_p: float = 1.0,
        stop: Optional[Union[str, List[str]]] = None,
        response_format: Optional[Union[str, Dict[str, Any]]] = None,
        extra_body: Optional[Dict[str, Any]] = None,
    ) -> GenerateOutput:
        """Generate ``num_generations`` answers for one input.

        Args:
            input: a conversation, a plain prompt string (sent to the completions API),
                or a (conversation, structured output) pair.
            num_generations: how many answers to generate (OpenAI's ``n``).
            max_new_tokens: the maximum number of tokens to generate. Defaults to `128`.
            logprobs: whether to return the log probabilities of the generated tokens.
            top_logprobs: how many most likely alternatives to return for each token,
                with their log probabilities (needs `logprobs=True`).
            echo: for prompt strings only, whether to return the prompt with the answer.
            frequency_penalty: penalises tokens by how often they already appeared.
                Defaults to `0.0`.
            presence_penalty: penalises tokens that already appeared. Defaults to `0.0`.
            temperature: sampling temperature; higher is more random. Defaults to `1.0`.
            top_p: nucleus sampling: keep the tokens within this cumulative probability.
                Defaults to `1.0`.
            stop: up to 4 sequences where the model stops generating.
            response_format: `"json"` (or `{"type": "json_object"}`) for JSON mode, or a
                response format dict as OpenAI's API takes it. The prompt must ask for
                JSON. Overridden by `structured_output`.
            extra_body: extra fields sent as-is in the request body.

        Returns:
            The generations with token statistics (and logprobs when asked).
        """
        prompt, structured = self._split_input(input)
        if isinstance(prompt, str):
            body: Dict[str, Any] = {
                "model": self.model,
                "prompt": prompt,
                "n": num_generations,
                "max_tokens": max_new_tokens,
                "echo": echo,
                "frequency_penalty": frequency_penalty,
                "presence_penalty": presence_penalty,
                "temperature": temperature,
                "top_p": top_p,
            }
            if logprobs or top_logprobs:
                body["logprobs"] = top_logprobs or 1
            if stop is not None:
                body["stop"] = stop
            return output_from_completion(await self.aclient.post("completions", {**body, **(extra_body or {})}))
        request: Dict[str, Any] = self._chat_request(
            prompt,
            num_generations=num_generations,
            max_new_tokens=max_new_tokens,
            logprobs=logprobs,
            top_logprobs=top_logprobs,
            frequency_penalty=frequency_penalty,
            presence_penalty=presence_penalty,
            temperature=temperature,
            top_p=top_p,
            stop=stop,
            response_format=response_format_for(response_format, structured),
        )
        completion = await self.aclient.post("chat/completions", {**request, **(extra_body or {})})
        return output_from_chat_completion(completion)

    def _chat_request(
        self,
        messages: Any,
        *,
        num_generations: int,
        max_new_tokens: int,
        logprobs: bool,
        top_logprobs: Optional[int],
        response_format: Optional[Dict[str, Any]],
        stop: Optional[Union[str, List[str]]],
        **sampling: Any,
    ) -> Dict[str, Any]:
        """The body of a chat completions request (also used for batch API lines)."""
        request: Dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "n": num_generations,
            "max_tokens": max_new_tokens,
            **sampling,
        }
        if logprobs or top_logprobs:
            request["logprobs"] = True
            if top_logprobs:
                request["top_logprobs"] = top_logprobs
        if stop is not None:
            request["stop"] = stop
        if response_format is not None:
            request["response_format"] = response_format
        return request

    def offline_batch_generate(
        self,
        inputs: Union[List[FormattedInput], None] = None,
        num_generations: int = 1,
        **kwargs: Any,
    ) -> List[GenerateOutput]:
        """Generate through OpenAI's Batch API (half the price, results within 24 h).

        The first call uploads the requests (split into several jobs when they exceed
        the API's limits), stores the jobs' ids in ``jobs_ids`` and raises
        ``DistilabelOfflineBatchGenerationNotFinishedException``. Later calls raise it
        again while any job runs, and return the outputs in input order once all
        jobs completed.

        Raises:
            DistilabelOfflineBatchGenerationNotFinishedException: jobs are running.
            DistilabelOfflineBatchGenerationFailedException: a job failed, expired or was
                cancelled; the message says which and why.
        """
        jobs = OpenAIBatchJobs(self.client, max_requests=self._batch_max_requests, max_bytes=self._batch_max_bytes)
        if self.jobs_ids:
            outputs = jobs.collect(self.jobs_ids, num_generations)
            self.jobs_ids = None
            return outputs
        if not inputs:
            raise ValueError("offline_batch_generate needs inputs to create batch jobs.")
        lines = [self._batch_line(index, input, num_generations, kwargs) for index, input in enumerate(inputs)]
        self.jobs_ids = jobs.submit(lines)
        jobs.raise_not_finished(self.jobs_ids)
        return []  # unreachable: submitted jobs are never finished yet

    def _batch_line(
        self, index: int, input: FormattedInput, num_generations: int, kwargs: Dict[str, Any]
    ) -> Dict[str, Any]:
        prompt, structured = self._split_input(input)
        options = dict(kwargs)
        extra_body = options.pop("extra_body", None) or {}
        options.pop("echo", None)
        response_format = response_format_for(options.pop("response_format", None), structured)
        body = {
            **self._chat_request(
                as_conversation(prompt),
                num_generations=num_generations,
                max_new_tokens=options.pop("max_new_tokens", 128),
                logprobs=options.pop("logprobs", False),
                top_logprobs=options.pop("top_logprobs", None),
                stop=options.pop("stop", None),
                response_format=response_format,
                **options,
            ),
            **extra_body,
        }
        return {"custom_id": str(index), "method": "POST", "url": "/v1/chat/completions", "body": body}
