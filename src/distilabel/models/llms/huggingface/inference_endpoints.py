"""Hugging Face Inference Endpoints, serverless Inference Providers and any TGI server,
through ``huggingface_hub``'s ``AsyncInferenceClient``.
"""

import json
import os
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Literal, Optional, Union

from pydantic import (
    Field,
    PositiveInt,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
    validate_call,
)
from typing_extensions import Annotated

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.chat_templates import (
    check_magpie_tokenizer,
    count_prompt_tokens,
    load_tokenizer,
    render_prompt,
)
from distilabel.models.llms.outputs import prepare_output
from distilabel.models.llms.provider import ProviderClient, Secret, structured_output_field
from distilabel.models.mixins.magpie import MagpieChatTemplateMixin
from distilabel.models.structured import (
    JsonSchemaOutput,
    RegexOutput,
    StructuredOutput,
)
from distilabel.runtime.retries import ErrorInfo, classify_error
from distilabel.typing import FormattedInput, GenerateOutput, StructuredOutputType
from distilabel.utils.huggingface import endpoint_field
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from huggingface_hub import AsyncInferenceClient
    from transformers import PreTrainedTokenizerBase

_INFERENCE_ENDPOINT_ENV_VAR = "HF_INFERENCE_ENDPOINT"
_ENDPOINT_WAIT_SECONDS = 60


def _inference_client(llm: "InferenceEndpointsLLM") -> "AsyncInferenceClient":
    from huggingface_hub import AsyncInferenceClient

    # huggingface_hub's httpx client does not retry: the shared retry policy does.
    return AsyncInferenceClient(
        model=llm._server_url or llm.model_id, token=llm._token_value, timeout=llm.timeout
    )


# A self-hosted TGI may need no token: `load()` decides whether one is required.
_CLIENT = ProviderClient(
    sdk="huggingface_hub",
    extra="hf-inference-endpoints",
    api_key_env="HF_TOKEN",
    factory=_inference_client,
    api_key_required=False,
)


class InferenceEndpointsLLM(AsyncLLM, MagpieChatTemplateMixin):
    """A model behind a Hugging Face Inference Endpoint, the serverless Inference
    Providers, or any Text Generation Inference (TGI) server.

    Give exactly one of ``model_id`` (serverless), ``endpoint_name`` (a dedicated
    endpoint, resolved to its URL on ``load()``) or ``base_url`` (any TGI server).
    ``base_url`` may also accompany ``model_id``: the requests then go to
    ``base_url`` and name ``model_id`` as the model.

    Conversations go to the chat completions route. With ``tokenizer_id`` they are
    formatted here with that tokenizer's chat template and sent to the raw
    text-generation route instead, as are plain string prompts.

    TGI has no ``n``: ``num_generations`` sends that many requests. Structured output
    is native: a JSON schema or a regex is sent as a TGI grammar.

    Attributes:
        model_id: the model on the Hub, e.g. ``"meta-llama/Meta-Llama-3.1-8B-Instruct"``
            (``model`` is accepted as another name for it).
        endpoint_name: the name of a dedicated Inference Endpoint.
        endpoint_namespace: the user or organisation owning ``endpoint_name``.
        base_url: the URL of a TGI server or endpoint.
        api_key: the Hugging Face token; defaults to the ``HF_TOKEN`` environment variable,
            then to the token ``hf auth login`` saved. A self-hosted TGI at ``base_url``
            may need none.
        tokenizer_id: a tokenizer (Hub repo id or local directory) whose chat template
            formats conversations into raw prompts.
        model_display_name: the name reported as ``model_name``.
        structured_output: ``{"format": "json", "schema": Model or JSON schema}`` or
            ``{"format": "regex", "schema": pattern}`` every answer must follow.
        use_magpie_template: end prompts with ``magpie_pre_query_template`` so the model
            writes a user message (Magpie); needs ``tokenizer_id``.
        magpie_pre_query_template: ``"llama3"``, ``"qwen2"`` or the text that opens a user turn.

    Environment variables:
        ``HF_TOKEN`` (the token) and ``HF_INFERENCE_ENDPOINT`` (where serverless requests
        for ``model_id`` go: ``{HF_INFERENCE_ENDPOINT}/models/{model_id}``, as in
        distilabel 1.5; unset, ``huggingface_hub`` routes them through Hugging Face's router).

    Examples:
        >>> llm = InferenceEndpointsLLM(model_id="meta-llama/Meta-Llama-3.1-8B-Instruct")
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Hello!"}]])
    """

    model_id: Optional[str] = None
    endpoint_name: Optional[RuntimeParameter[str]] = endpoint_field("endpoint_name")
    endpoint_namespace: Optional[RuntimeParameter[str]] = endpoint_field("endpoint_namespace")
    base_url: Optional[RuntimeParameter[str]] = endpoint_field("base_url")
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = _CLIENT.api_key_field(
        "The API key to authenticate the requests to the Inference Endpoints API."
    )
    tokenizer_id: Optional[str] = None
    model_display_name: Optional[str] = None
    structured_output: Optional[RuntimeParameter[StructuredOutputType]] = structured_output_field()

    _provider_client: ClassVar[ProviderClient] = _CLIENT
    _num_generations_param_supported: ClassVar[bool] = False
    _tokenizer: Optional["PreTrainedTokenizerBase"] = PrivateAttr(default=None)
    _server_url: Optional[str] = PrivateAttr(default=None)
    _token_value: Optional[str] = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _accept_model_as_model_id(cls, data: Any) -> Any:
        # distilabel's docs write `InferenceEndpointsLLM(model=...)`.
        if isinstance(data, dict) and "model" in data and "model_id" not in data:
            data = dict(data)
            data["model_id"] = data.pop("model")
        return data

    @field_validator("structured_output", mode="before")
    @classmethod
    def _accept_tgi_grammar(cls, value: Any) -> Any:
        return _from_tgi_grammar(value)

    @model_validator(mode="after")
    def _check_target(self) -> "InferenceEndpointsLLM":
        if self.model_id is not None and self.endpoint_name is not None:
            raise DistilabelUserError(
                "InferenceEndpointsLLM takes either `model_id` (serverless) or `endpoint_name` (a"
                f" dedicated endpoint), not both; got model_id={self.model_id!r},"
                f" endpoint_name={self.endpoint_name!r}."
            )
        if self.model_id is None and self.endpoint_name is None and self.base_url is None:
            raise DistilabelUserError(
                "InferenceEndpointsLLM needs one of `model_id` (e.g. 'meta-llama/Meta-Llama-3.1-8B-Instruct'),"
                " `endpoint_name` or `base_url`."
            )
        check_magpie_tokenizer(self)
        return self

    @property
    def model_name(self) -> str:
        return self.model_display_name or self.model_id or self.endpoint_name or self.base_url or ""

    def load(self) -> None:
        # Before the shared checks: resolving the endpoint may set `model_display_name`,
        # which names the logger.
        hub = require(_CLIENT.sdk, _CLIENT.extra, type(self).__name__)
        # A submodule, not one of the package's lazy attributes: import it by name.
        constants = require("huggingface_hub.constants", _CLIENT.extra, type(self).__name__)
        if constants.is_offline_mode():
            # huggingface_hub then refuses every HTTP request, to any host.
            raise DistilabelUserError(
                f"{type(self).__name__} cannot send requests while HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE)"
                " is set: huggingface_hub refuses every HTTP call in offline mode. Unset it to use"
                " Inference Endpoints or a TGI server."
            )
        self._token_value = self.api_key.get_secret_value() if self.api_key is not None else None
        if self._token_value is None and self.base_url is None:
            # Hugging Face's own servers need a token: HF_TOKEN, or the one `hf auth login` saved.
            self._token_value = hub.get_token()
            if self._token_value is None:
                self._require_api_key()
        if self.endpoint_name is not None and self.base_url is None:
            self._server_url = self._resolve_endpoint_url()
        elif self.base_url is None and os.getenv(_INFERENCE_ENDPOINT_ENV_VAR):
            endpoint = os.environ[_INFERENCE_ENDPOINT_ENV_VAR].rstrip("/")
            self._server_url = f"{endpoint}/models/{self.model_id}"
        else:
            self._server_url = self.base_url
        if self.tokenizer_id is not None:
            self._tokenizer = load_tokenizer(self.tokenizer_id, type(self).__name__)
        super().load()

    def _resolve_endpoint_url(self) -> str:
        from huggingface_hub import get_inference_endpoint

        endpoint = get_inference_endpoint(self.endpoint_name, namespace=self.endpoint_namespace, token=self._token_value)
        endpoint.wait(timeout=_ENDPOINT_WAIT_SECONDS)
        if not self.model_display_name and endpoint.repository:
            self.model_display_name = endpoint.repository
        return endpoint.url

    def _structured_output_for(self, row_spec: Any) -> Optional[StructuredOutput]:
        return super()._structured_output_for(_from_tgi_grammar(row_spec))

    def _classify_error(self, error: Exception) -> ErrorInfo:
        # huggingface_hub re-raises TGI errors as TextGenerationError subclasses that
        # carry no HTTP status; the HTTP error they were raised from has it.
        info = super()._classify_error(error)
        cause = error.__cause__
        if info.status is None and cause is not None and getattr(cause, "response", None) is not None:
            return classify_error(cause)
        return info

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: FormattedInput,
        num_generations: int = 1,
        max_new_tokens: int = 128,
        frequency_penalty: Optional[Annotated[float, Field(ge=-2.0, le=2.0)]] = None,
        logit_bias: Optional[List[float]] = None,
        logprobs: bool = False,
        presence_penalty: Optional[Annotated[float, Field(ge=-2.0, le=2.0)]] = None,
        seed: Optional[int] = None,
        stop_sequences: Optional[List[str]] = None,
        temperature: float = 1.0,
        tool_choice: Optional[Union[Dict[str, str], Literal["auto"]]] = None,
        tool_prompt: Optional[str] = None,
        tools: Optional[List[Dict[str, Any]]] = None,
        top_logprobs: Optional[PositiveInt] = None,
        top_n_tokens: Optional[PositiveInt] = None,
        top_p: Optional[float] = None,
        do_sample: bool = False,
        repetition_penalty: Optional[float] = None,
        return_full_text: bool = False,
        top_k: Optional[int] = None,
        typical_p: Optional[float] = None,
        watermark: bool = False,
    ) -> GenerateOutput:
        """Generate one answer for one input (``num_generations`` fans out).

        Args:
            input: a conversation, a plain prompt string, or a (conversation, structured
                output) pair.
            num_generations: how many answers to generate; one request each.
            max_new_tokens: the maximum number of new tokens to generate. Defaults to `128`.
            frequency_penalty: penalises tokens by how often they already appeared, in
                [-2.0, 2.0].
            logit_bias: chat route only: biases added to the logits of tokens.
            logprobs: whether to return the log probabilities of the generated tokens.
            presence_penalty: chat route only: penalises tokens that already appeared,
                in [-2.0, 2.0].
            seed: the random seed, for reproducible sampling.
            stop_sequences: up to 4 sequences where the model stops generating.
            temperature: sampling temperature; must be above 0. Defaults to `1.0`.
            tool_choice: chat route only: `"auto"` or the tool the model must call.
            tool_prompt: chat route only: a prompt appended before the tools.
            tools: chat route only: tools the model may call, in OpenAI's format; a tool
                call is returned as JSON.
            top_logprobs: chat route only: how many most likely alternatives to return
                per token (implies `logprobs=True`).
            top_n_tokens: text-generation route only: how many most likely alternatives
                to return per token (implies `logprobs=True`).
            top_p: nucleus sampling: keep the tokens within this cumulative probability,
                in (0, 1).
            do_sample: text-generation route only: whether to sample instead of greedy
                decoding. Defaults to `False`.
            repetition_penalty: text-generation route only: penalty for repeated tokens
                (1.0 means none).
            return_full_text: text-generation route only: whether to prepend the prompt
                to the answer. Defaults to `False`.
            top_k: text-generation route only: sample from the k most likely tokens.
            typical_p: text-generation route only: typical decoding mass.
            watermark: text-generation route only: whether to watermark the text.
                Defaults to `False`.

        Returns:
            The generation with token statistics (and logprobs when asked).
        """
        prompt, structured = self._split_input(input)
        grammar = _tgi_grammar(structured)
        if self._tokenizer is None and not isinstance(prompt, str):
            completion = await self.aclient.chat_completion(
                messages=prompt,
                model=self.model_id or "tgi",
                max_tokens=max_new_tokens,
                frequency_penalty=frequency_penalty,
                logit_bias=logit_bias,
                logprobs=bool(logprobs or top_logprobs) or None,
                presence_penalty=presence_penalty,
                response_format=grammar,
                seed=seed,
                stop=stop_sequences,
                temperature=temperature,
                tool_choice=tool_choice,
                tool_prompt=tool_prompt,
                tools=tools,
                top_logprobs=top_logprobs,
                top_p=top_p,
            )
            return _output_from_chat(completion)
        text_prompt = render_prompt(self._tokenizer, prompt, magpie=self)
        output = await self.aclient.text_generation(
            text_prompt,
            details=True,
            max_new_tokens=max_new_tokens,
            do_sample=do_sample,
            frequency_penalty=frequency_penalty,
            grammar=grammar,
            repetition_penalty=repetition_penalty,
            return_full_text=return_full_text,
            seed=seed,
            stop=stop_sequences,
            temperature=temperature,
            top_k=top_k,
            top_n_tokens=top_n_tokens,
            top_p=top_p,
            typical_p=typical_p,
            watermark=watermark,
        )
        return _output_from_text_generation(
            output, count_prompt_tokens(self._tokenizer, text_prompt), bool(logprobs or top_n_tokens)
        )


def _from_tgi_grammar(spec: Any) -> Any:
    """Accept TGI's own grammar form ``{"type": "json"|"regex", "value": ...}`` too."""
    if isinstance(spec, dict) and set(spec) == {"type", "value"} and spec["type"] in ("json", "regex"):
        return {"format": spec["type"], "schema": spec["value"]}
    return spec


def _tgi_grammar(structured: Optional[StructuredOutput]) -> Optional[Dict[str, Any]]:
    if isinstance(structured, JsonSchemaOutput):
        return {"type": "json", "value": structured.schema}
    if isinstance(structured, RegexOutput):
        return {"type": "regex", "value": structured.pattern}
    return None


def _output_from_chat(completion: Any) -> GenerateOutput:
    choice = completion.choices[0]
    message = choice.message
    text = message.content
    if not text and message.tool_calls:
        text = json.dumps(
            [{"name": call.function.name, "arguments": call.function.arguments} for call in message.tool_calls]
        )
    logprobs = None
    if choice.logprobs is not None and choice.logprobs.content:
        logprobs = [
            [
                [{"token": top.token, "logprob": top.logprob} for top in token.top_logprobs]
                or [{"token": token.token, "logprob": token.logprob}]
                for token in choice.logprobs.content
            ]
        ]
    usage = completion.usage
    return prepare_output(
        [text or None],
        [usage.prompt_tokens if usage else 0],
        [usage.completion_tokens if usage else 0],
        logprobs=logprobs,
        errors=[None if text else f"the model returned an empty answer (finish_reason={choice.finish_reason!r})"],
    )


def _output_from_text_generation(output: Any, prompt_tokens: int, want_logprobs: bool) -> GenerateOutput:
    details = output.details
    text = output.generated_text
    logprobs = None
    if want_logprobs and details is not None:
        positions = details.top_tokens or [[token] for token in details.tokens or []]
        if positions:
            logprobs = [[[_logprob(candidate) for candidate in position] for position in positions]]
    if not prompt_tokens and details is not None and details.prefill:
        prompt_tokens = len(details.prefill)
    return prepare_output(
        [text or None],
        [prompt_tokens],
        [details.generated_tokens if details is not None else 0],
        logprobs=logprobs,
        errors=[None if text else "the model returned an empty answer"],
    )


def _logprob(token: Any) -> Dict[str, Any]:
    # huggingface_hub parses `tokens` into objects but leaves nested `top_tokens` as dicts.
    if isinstance(token, dict):
        return {"token": token["text"], "logprob": token["logprob"]}
    return {"token": token.text, "logprob": token.logprob}
