"""Any of LiteLLM's 100+ providers, chosen by the model's prefix, through the ``litellm`` SDK."""

import asyncio
import os
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, List, Optional, Tuple, Union

from pydantic import Field, PositiveInt, PrivateAttr, SecretStr, field_serializer, validate_call

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.openai_wire import output_from_chat_completion, response_format_for
from distilabel.models.llms.provider import (
    MODEL_FIELD_NAME,
    ProviderClient,
    Secret,
    structured_output_field,
)
from distilabel.models.structured import as_conversation
from distilabel.typing import FormattedInput, GenerateOutput, InstructorStructuredOutputType
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from types import ModuleType

# litellm downloads its model cost map from GitHub on import unless told otherwise;
# the copy bundled with the package is enough and works offline.
_LOCAL_COST_MAP_ENV_VAR = "LITELLM_LOCAL_MODEL_COST_MAP"
# Generation kwargs that must never be written into dumps, YAML or caches.
_SECRET_KWARGS = frozenset({"api_key"})


def _import_litellm(user: str) -> "ModuleType":
    os.environ.setdefault(_LOCAL_COST_MAP_ENV_VAR, "True")
    return require(_CLIENT.sdk, _CLIENT.extra, user)


def _completion_function(llm: "LiteLLM") -> Callable[..., Any]:
    assert llm._acompletion is not None, "call load() first"
    return llm._acompletion


async def _stop_logging_worker(client: Any) -> None:
    # LiteLLM runs a logging worker task on the loop of its first request; stop it
    # before that loop closes, or the task dies pending.
    from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER

    if getattr(GLOBAL_LOGGING_WORKER, "_bound_loop", None) is asyncio.get_running_loop():
        await GLOBAL_LOGGING_WORKER.stop()


# LiteLLM's "client" is its `acompletion` function. Each provider it routes to reads its
# own key variable, so `load()` checks the credentials itself.
_CLIENT = ProviderClient(
    sdk="litellm",
    factory=_completion_function,
    close=_stop_logging_worker,
    api_key_required=False,
)


class LiteLLM(AsyncLLM):
    """Any model LiteLLM reaches, named with its provider prefix, through ``litellm``.

    ``model`` picks the provider: ``"openai/gpt-4o"``, ``"anthropic/claude-3-5-sonnet-latest"``,
    ``"ollama/llama3.1"``, ``"hosted_vllm/my-model"``... Each provider reads its own
    environment variables (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ...); ``api_key``
    and ``api_base`` override them.

    ``num_generations`` maps to ``n`` for providers that take it and sends that many
    requests otherwise. Structured output is sent as an OpenAI-style ``json_schema``
    ``response_format``, which LiteLLM translates to each provider's native mechanism.

    Attributes:
        model: the model with its provider prefix, e.g. ``"openai/gpt-4o"``.
        verbose: whether LiteLLM logs verbosely. Defaults to False.
        api_base: the provider's base URL (e.g. a local server); the ``api_base``
            generation kwarg overrides it.
        api_key: the provider's API key; defaults to the provider's environment variable,
            which LiteLLM reads itself. Never written to dumps.
        structured_output: ``{"schema": Model or JSON schema}`` every answer must follow.

    Examples:
        >>> llm = LiteLLM(model="openai/gpt-4o-mini")
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Hello!"}]])
    """

    model: str
    verbose: RuntimeParameter[bool] = Field(default=False, description="Whether to log the LiteLLM client's logs.")
    api_base: Optional[RuntimeParameter[str]] = Field(
        default=None, description="The provider's base URL, e.g. a local OpenAI-compatible server."
    )
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = Field(
        default=None, description="The provider's API key; defaults to the provider's environment variable."
    )
    structured_output: Optional[RuntimeParameter[InstructorStructuredOutputType]] = structured_output_field()

    _provider_client: ClassVar[ProviderClient] = _CLIENT

    _supports_n: bool = PrivateAttr(default=True)
    _provider: Optional[str] = PrivateAttr(default=None)
    _acompletion: Optional[Callable[..., Any]] = PrivateAttr(default=None)

    model_name = MODEL_FIELD_NAME

    @property
    def _num_generations_param_supported(self) -> bool:  # type: ignore[override]
        return self._supports_n

    @property
    def _api_key_env_var(self) -> Optional[str]:  # type: ignore[override]
        # LiteLLM's providers read `<PROVIDER>_API_KEY` (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...).
        return f"{self._provider.upper()}_API_KEY" if self._provider else None

    @field_serializer("generation_kwargs")
    def _drop_secret_kwargs(self, value: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
        return {k: v for k, v in value.items() if k not in _SECRET_KWARGS} if value else value

    def load(self) -> None:
        litellm = _import_litellm(type(self).__name__)
        litellm.set_verbose = self.verbose
        litellm.suppress_debug_info = not self.verbose
        self._provider, self._supports_n = _provider_features(litellm, self.model)
        self._check_credentials(litellm)
        self._acompletion = litellm.acompletion
        super().load()

    def _check_credentials(self, litellm: "ModuleType") -> None:
        if self.api_key is not None or (self.generation_kwargs or {}).get("api_key"):
            return
        try:
            missing = litellm.validate_environment(model=self.model, api_base=self.api_base)["missing_keys"]
        except Exception:  # an unknown provider: let the request say what is wrong
            return
        keys = [name for name in missing if "KEY" in name or "TOKEN" in name]
        if keys:
            raise DistilabelUserError(
                f"LiteLLM needs an API key for {self.model!r}: set the {' or '.join(keys)} environment"
                " variable or pass `api_key`."
            )

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: FormattedInput,
        num_generations: int = 1,
        functions: Optional[List] = None,
        function_call: Optional[str] = None,
        temperature: Optional[float] = None,
        top_p: Optional[float] = None,
        stop: Optional[Union[str, list]] = None,
        max_tokens: Any = None,
        presence_penalty: Optional[float] = None,
        frequency_penalty: Optional[float] = None,
        logit_bias: Optional[dict] = None,
        user: Optional[str] = None,
        metadata: Optional[dict] = None,
        api_base: Optional[str] = None,
        api_version: Optional[str] = None,
        api_key: Optional[str] = None,
        model_list: Optional[list] = None,
        mock_response: Optional[str] = None,
        force_timeout: Optional[int] = 600,
        custom_llm_provider: Optional[str] = None,
        logprobs: bool = False,
        top_logprobs: Optional[PositiveInt] = None,
    ) -> GenerateOutput:
        """Generate ``num_generations`` answers for one input.

        Args:
            input: a conversation, a plain prompt string (sent as a user message), or a
                (conversation, structured output) pair.
            num_generations: how many answers to generate (`n` where the provider has it).
            functions: functions the model may call (OpenAI's legacy format).
            function_call: `"auto"`, `"none"` or the function the model must call.
            temperature: sampling temperature; higher is more random. Defaults to the
                provider's.
            top_p: nucleus sampling: keep the tokens within this cumulative probability.
            stop: up to 4 sequences where the model stops generating.
            max_tokens: the maximum number of tokens to generate.
            presence_penalty: penalises tokens that already appeared.
            frequency_penalty: penalises tokens by how often they already appeared.
            logit_bias: token ids mapped to biases added to their logits.
            user: an id of the end user, for the provider's abuse monitoring.
            metadata: metadata LiteLLM passes to its callbacks.
            api_base: the provider's base URL for this request (overrides `api_base`).
            api_version: the API version (e.g. for Azure).
            api_key: the API key for this request. Prefer the `api_key` attribute or the
                provider's environment variable; this value is never written to dumps.
            model_list: a list of deployments (api_base, keys, ...) LiteLLM picks from.
            mock_response: an answer LiteLLM returns without calling the provider.
            force_timeout: deprecated by LiteLLM; use the `timeout` attribute.
            custom_llm_provider: the provider, when `model` has no prefix.
            logprobs: whether to return the log probabilities of the generated tokens.
            top_logprobs: how many most likely alternatives to return per token (implies
                `logprobs=True`).

        Returns:
            The generations with token statistics (and logprobs when asked).
        """
        prompt, structured = self._split_input(input)
        messages = as_conversation(prompt)
        optional = {
            "functions": functions,
            "function_call": function_call,
            "temperature": temperature,
            "top_p": top_p,
            "stop": stop,
            "max_tokens": max_tokens,
            "presence_penalty": presence_penalty,
            "frequency_penalty": frequency_penalty,
            "logit_bias": logit_bias,
            "user": user,
            "metadata": metadata,
            "api_base": api_base or self.api_base,
            "api_version": api_version,
            "api_key": api_key or (self.api_key.get_secret_value() if self.api_key else None),
            "model_list": model_list,
            "mock_response": mock_response,
            "custom_llm_provider": custom_llm_provider,
            "logprobs": True if (logprobs or top_logprobs) else None,
            "top_logprobs": top_logprobs,
        }
        if num_generations > 1:
            optional["n"] = num_generations
        optional["response_format"] = response_format_for(None, structured)
        response = await self.aclient(
            model=self.model,
            messages=messages,
            timeout=self.timeout,
            # The shared retry policy in AsyncLLM retries; LiteLLM and the SDKs it drives must not.
            max_retries=0,
            num_retries=0,
            **{key: value for key, value in optional.items() if value is not None},
        )
        return output_from_chat_completion(response)


def _provider_features(litellm: "ModuleType", model: str) -> Tuple[Optional[str], bool]:
    """The provider ``model`` routes to, and whether it takes OpenAI's ``n``."""
    try:
        name, provider, _, _ = litellm.get_llm_provider(model)
        supported = litellm.get_supported_openai_params(model=name, custom_llm_provider=provider) or []
    except Exception:  # unknown to this LiteLLM version: no `n`, requests fan out
        return None, False
    return provider, "n" in supported

