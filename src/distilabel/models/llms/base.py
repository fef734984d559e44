"""The base classes every LLM builds on: ``LLM`` (sync) and ``AsyncLLM`` (async).

A provider implements ``model_name``, ``load()`` and either ``generate`` (sync) or
``agenerate`` (async, one input); a remote one declares its client once instead of
writing ``load()`` (``_provider_client``, see ``distilabel.models.llms.provider``, which
also marks the roles of fields: secret, run-only, limits). Everything else is shared
and lives here:
generation-kwarg validation and coercion, fan-out of ``num_generations`` for APIs
without ``n``, the response cache (``use_cache``), retries, rate limits, an adaptive
concurrency limit and a circuit breaker (composed from ``distilabel.runtime``),
per-row failure capture, structured output checks, offline batch generation with
polling, and serialization.
"""

import asyncio
import copy
import inspect
import logging
import sys
import time
import weakref
from abc import ABC, abstractmethod
from functools import cached_property
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Dict,
    FrozenSet,
    List,
    Optional,
    Tuple,
    Type,
    Union,
    get_type_hints,
)

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from distilabel.errors import DistilabelError, DistilabelNotImplementedError, DistilabelUserError
from distilabel.exceptions import DistilabelOfflineBatchGenerationNotFinishedException
from distilabel.mixins.runtime_parameters import (
    RuntimeParameter,
    RuntimeParameterInfo,
    RuntimeParametersModelMixin,
    RuntimeParametersNames,
)
from distilabel.models.llms.outputs import (
    describe_error,
    failed_output,
)
from distilabel.models.llms.provider import (
    NOT_IDENTITY_ROLES,
    FieldRole,
    KeyedPerRequest,
    ProviderClient,
    RequestLimit,
    RunOnly,
    fields_with_roles,
)
from distilabel.models.structured import (
    StructuredOutput,
    normalize_structured_output,
    split_formatted_input,
)
from distilabel.runtime.accounts import AccountLimits, LimitSettings, account_key, limits_for
from distilabel.runtime.budget import generate_within_budget
from distilabel.runtime.cache import (
    ResponseCache,
    canonical_json,
    request_key,
    request_key_material,
)
from distilabel.runtime.circuit_breaker import CircuitBreaker
from distilabel.runtime.generation_progress import report_generated
from distilabel.runtime.loops import BackgroundLoop, LoopLocal
from distilabel.runtime.pricing import TokenPrices, prices_for
from distilabel.runtime.request_path import (
    BudgetLayer,
    FanOutLayer,
    Handler,
    LimitLayer,
    OutputCheckLayer,
    Request,
    ResponseCacheLayer,
    RetryLayer,
    cacheable,
    compose,
    send_of,
)
from distilabel.runtime.retries import (
    ErrorInfo,
    ErrorKind,
    classify_error,
)
from distilabel.runtime.stats import RequestStats
from distilabel.utils.docstring import describe_arguments
from distilabel.utils.names import unknown_name_error
from distilabel.utils.serialization import COMPONENT_CONFIG, _Serializable

if TYPE_CHECKING:
    from distilabel.typing import FormattedInput, GenerateOutput, HiddenState, StandardInput

# Parameters of generate/agenerate that are inputs, not generation kwargs.
_NOT_GENERATION_KWARGS = frozenset({"self", "input", "inputs", "num_generations"})


class _RequestState:
    """What an LLM keeps around its requests, in one plain object.

    Reached through ``LLM._state`` (a property): a pydantic private attribute costs
    about 3.7 µs per access, the property 0.35 µs (measured), and the request path
    reads this state several times per request.

    Attributes:
        cache: the attached response cache, if any.
        identity: the LLM's part of cache keys, computed once (reset when a field changes).
        stats: the counters behind ``request_stats()``.
        limits: per event loop, the concurrency and rate limiters.
        latest_limits: the limiters made last, for ``request_stats()``.
        breaker: the circuit breaker, made on first use.
        budget: the run's spending limit while a pipeline with ``max_budget`` runs.
    """

    __slots__ = (
        "attempt_path",
        "breaker",
        "budget",
        "cache",
        "identity",
        "kwargs_json",
        "latest_limits",
        "limits",
        "row_path",
        "stats",
        "structured",
    )

    def __init__(self) -> None:
        self.cache: Optional[ResponseCache] = None
        self.identity: Optional[str] = None
        # The last generation kwargs' part of cache keys: rows usually share their kwargs.
        self.kwargs_json: Tuple[Any, str] = (None, "")
        self.stats = RequestStats()
        self.limits: LoopLocal = LoopLocal()
        self.latest_limits: Optional[AccountLimits] = None
        # The LLM-level structured output spec and its normalised form.
        self.structured: Optional[Tuple[Any, Optional[StructuredOutput]]] = None
        self.breaker: Optional[CircuitBreaker] = None
        self.budget: Optional[Any] = None  # distilabel.runtime.budget.Budget
        # The composed request path of an AsyncLLM (distilabel.runtime.request_path), made once.
        self.row_path: Optional[Any] = None
        self.attempt_path: Optional[Any] = None


class LLM(RuntimeParametersModelMixin, _Serializable, ABC):
    """Base class for LLMs that generate synchronously, a batch of inputs at a time.

    Subclasses implement ``model_name``, ``load()`` and ``generate()``; the keyword
    arguments of ``generate`` (other than ``inputs`` and ``num_generations``) are the
    LLM's generation kwargs, documented by its docstring's ``Args:`` section.

    Attributes:
        generation_kwargs: default keyword arguments for ``generate``/``agenerate``,
            e.g. ``{"temperature": 0.3}``; a runtime parameter.
        use_offline_batch_generation: send the inputs to the provider's batch API
            instead of generating now (where the provider has one).
        offline_batch_generation_block_until_done: when set, wait for the batch jobs,
            polling every this many seconds, instead of raising
            ``DistilabelOfflineBatchGenerationNotFinishedException``.
        jobs_ids: the provider's batch job ids, once jobs were created.
        cost_per_million_tokens: the model's prices in US dollars per million tokens,
            ``{"input": ..., "output": ...}``, for the run's cost and ``max_budget``;
            overrides the price table (``distilabel.runtime.pricing``). Never sent.
    """

    model_config = COMPONENT_CONFIG

    generation_kwargs: KeyedPerRequest[Optional[RuntimeParameter[Dict[str, Any]]]] = Field(
        default_factory=dict,
        description="The kwargs to be propagated to either `generate` or `agenerate` methods within each `LLM`.",
    )
    use_offline_batch_generation: RunOnly[bool] = Field(
        default=False,
        description="Whether to use the provider's offline batch API to generate the outputs.",
    )
    offline_batch_generation_block_until_done: RunOnly[Optional[PositiveInt]] = Field(
        default=None,
        description="If set, wait for the offline batch jobs, polling every this many seconds.",
    )
    jobs_ids: RunOnly[Union[Tuple[str, ...], None]] = Field(
        default=None,
        description="The ids of the provider's offline batch jobs, once created.",
    )
    cost_per_million_tokens: RunOnly[Optional[TokenPrices]] = Field(
        default=None,
        description="US dollars per million input and output tokens, e.g. {'input': 0.15, 'output': 0.6};"
        " overrides the price table (local models cost 0 unless set).",
    )

    _logger: logging.Logger = PrivateAttr(default_factory=lambda: logging.getLogger("distilabel.llm"))
    _loaded: bool = PrivateAttr(default=False)
    _requests: "_RequestState" = PrivateAttr(default_factory=lambda: _RequestState())

    @property
    def _state(self) -> "_RequestState":
        return self.__pydantic_private__["_requests"]  # type: ignore[index]

    # Fields a subclass excludes from cache keys besides those whose role keeps them out
    # (``distilabel.models.llms.provider``: secret, run-only, limits, keyed per request).
    _cache_ignored_fields: ClassVar[FrozenSet[str]] = frozenset()

    # --- lifecycle ---------------------------------------------------------------

    def load(self) -> None:
        """Prepare the LLM for generating: create clients, load weights. Call it once before use."""
        self._logger = logging.getLogger(f"distilabel.llm.{self.model_name}")
        self._loaded = True

    def unload(self) -> None:
        """Release what ``load()`` acquired."""
        self._loaded = False

    @property
    @abstractmethod
    def model_name(self) -> str:
        """The name of the model used to generate, as reported in outputs."""

    # --- generation ----------------------------------------------------------------

    @abstractmethod
    def generate(
        self, inputs: List["FormattedInput"], num_generations: int = 1, **kwargs: Any
    ) -> List["GenerateOutput"]:
        """Generate ``num_generations`` outputs for each input."""

    def generate_outputs(
        self, inputs: List["FormattedInput"], num_generations: int = 1, **kwargs: Any
    ) -> List["GenerateOutput"]:
        """Generate for ``inputs``, through the offline batch API when it is enabled.

        ``generation_kwargs`` given at construction (or as runtime parameters) are the
        defaults; ``kwargs`` override them.

        Raises:
            DistilabelOfflineBatchGenerationNotFinishedException: offline batch jobs were
                created or are still running; ``jobs_ids`` holds their ids.
        """
        kwargs = self.validate_generation_kwargs({**(self.generation_kwargs or {}), **kwargs})
        if self.use_offline_batch_generation:
            if self.offline_batch_generation_block_until_done is not None:
                return self._offline_batch_generate_polling(inputs, num_generations, **kwargs)
            return self.offline_batch_generate(inputs, num_generations, **kwargs)
        if self._caches_each_row:  # AsyncLLM: every row goes through ``agenerate_row``
            return self._background_loop.run(self._agenerate_rows(inputs, num_generations, kwargs))  # type: ignore[attr-defined]
        cache = self._state.cache
        if cache is not None:
            return self._generate_through_cache(cache, inputs, num_generations, kwargs)
        return self._generate_recorded(inputs, num_generations, kwargs)

    def _generate_recorded(
        self, inputs: List["FormattedInput"], num_generations: int, kwargs: Dict[str, Any]
    ) -> List["GenerateOutput"]:
        """One call of a sync ``generate``, treated as the async path treats its requests.

        Each input counts as a request in ``request_stats()``, with the tokens its output
        reports; a call that raises fails its inputs, each with the reason, instead of
        the whole step (user errors and offline batch signals still raise).
        """
        if self._generates_one_input_at_a_time and len(inputs) > 1:
            # One call per input: each finished input is counted (and shown) before the next starts.
            return [out for input in inputs for out in self._generate_recorded([input], num_generations, kwargs)]
        stats = self._state.stats
        stats.requests += len(inputs)
        try:
            # Within the run's max_budget, a batch at a time (distilabel.runtime.budget).
            outputs = generate_within_budget(self, inputs, num_generations, kwargs)
        except (DistilabelError, DistilabelOfflineBatchGenerationNotFinishedException):
            raise
        except Exception as error:
            reason = describe_error(error)
            stats.count_failure(None, error)
            stats.failed_inputs += len(inputs)
            self._logger.warning("Generation failed for a batch of %d inputs: %s", len(inputs), reason)
            failed = [failed_output(num_generations, reason) for _ in inputs]
            for output in failed:
                report_generated(output)
            return failed
        prices = prices_for(self)
        for output in outputs:
            stats.count_usage(output, prices)
            report_generated(output)
        return outputs

    # --- response cache ------------------------------------------------------------------------

    # AsyncLLM looks up each row in ``agenerate_row``; sync LLMs in ``generate_outputs``.
    _caches_each_row: ClassVar[bool] = False
    # A sync LLM whose ``generate`` handles its inputs one after another anyway (llama.cpp)
    # is called once per input, so its progress and request counters move during a batch.
    _generates_one_input_at_a_time: ClassVar[bool] = False

    def use_cache(self, cache: Optional[ResponseCache]) -> "LLM":
        """Answer repeated requests from ``cache`` and store new answers in it; ``None`` stops.

        Without a cache (the default) every call sends its requests. A pipeline attaches
        its own cache to every task's LLM unless ``use_cache=False``.

        Args:
            cache: a ``distilabel.runtime.cache.ResponseCache``, or ``None``.

        Returns:
            The LLM itself.
        """
        self._state.cache = cache
        return self

    @property
    def response_cache(self) -> Optional[ResponseCache]:
        """The attached response cache, if any."""
        return self._state.cache

    def request_stats(self) -> Dict[str, Any]:
        """Counters for the run summary: requests, retries, failures, cache hits, tokens, ``cost_usd``."""
        return self._state.stats.as_dict()

    def _cache_identity(self) -> str:
        """The fields that shape this LLM's requests (class, model, URL...), as canonical JSON."""
        state = self._state
        if state.identity is None:
            own = fields_with_roles(type(self), *NOT_IDENTITY_ROLES)
            ignored = _NOT_REQUEST_FIELDS | own | self._cache_ignored_fields
            fields = {name: value for name, value in self.dump().items() if name not in ignored}
            state.identity = canonical_json(fields)
        return state.identity

    def _cache_key(
        self,
        input: "FormattedInput",
        num_generations: int,
        kwargs: Dict[str, Any],
        structured: Optional[StructuredOutput] = None,
    ) -> bytes:
        """The response cache key of one request (see ``distilabel.runtime.cache``)."""
        prompt, row_spec = split_formatted_input(input)
        if structured is None:
            structured = self._structured_output_for(row_spec)
        state = self._state
        last_kwargs, kwargs_json = state.kwargs_json
        if kwargs != last_kwargs:
            kwargs_json = canonical_json({**self._generation_signature().defaults, **kwargs})
            state.kwargs_json = (copy.deepcopy(kwargs), kwargs_json)
        material = request_key_material(self._cache_identity(), prompt, num_generations, kwargs_json, structured)
        draw = getattr(prompt, "cache_draw", None)
        if draw is not None:
            # A repeated ask that must be a new sample (distilabel.steps.tasks.base.SampledChat).
            material += f"\x1fdraw={draw}"
        return request_key(material)

    def _generate_through_cache(
        self, cache: ResponseCache, inputs: List["FormattedInput"], num_generations: int, kwargs: Dict[str, Any]
    ) -> List["GenerateOutput"]:
        keys = [self._cache_key(input, num_generations, kwargs) for input in inputs]
        outputs: List[Any] = [cache.get(key) for key in keys]
        missing = [i for i, output in enumerate(outputs) if output is None]
        self._state.stats.cache_hits += len(inputs) - len(missing)
        self._state.stats.cache_misses += len(missing)
        if missing:
            generated = self._generate_recorded([inputs[i] for i in missing], num_generations, kwargs)
            for i, output in zip(missing, generated, strict=True):
                outputs[i] = output
                if cacheable(output):
                    cache.put(keys[i], output)
        return outputs

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in type(self).model_fields:
            self._state.identity = None  # a field changed: the cache key may change

    def offline_batch_generate(
        self, inputs: Union[List["FormattedInput"], None] = None, num_generations: int = 1, **kwargs: Any
    ) -> List["GenerateOutput"]:
        """Send ``inputs`` to the provider's batch API, or collect the results of ``jobs_ids``.

        The first call creates the jobs, stores their ids in ``jobs_ids`` and raises
        ``DistilabelOfflineBatchGenerationNotFinishedException``; later calls return the
        outputs, in input order, once every job has finished.
        """
        raise DistilabelNotImplementedError(f"{type(self).__name__} has no offline batch generation.")

    def _offline_batch_generate_polling(
        self, inputs: List["FormattedInput"], num_generations: int, **kwargs: Any
    ) -> List["GenerateOutput"]:
        interval = self.offline_batch_generation_block_until_done or 1
        while True:
            try:
                return self.offline_batch_generate(inputs, num_generations, **kwargs)
            except DistilabelOfflineBatchGenerationNotFinishedException as not_finished:
                self._logger.info(
                    "Batch jobs %s not finished; checking again in %s s", not_finished.jobs_ids, interval
                )
                time.sleep(interval)

    @classmethod
    def _supports_offline_batch_generation(cls) -> bool:
        return cls.offline_batch_generate is not LLM.offline_batch_generate

    @model_validator(mode="after")
    def _check_structured_output(self) -> "LLM":
        # A bad format, schema or regex fails here, at construction, not mid-run.
        if "structured_output" in type(self).model_fields:
            normalize_structured_output(self.structured_output)  # type: ignore[attr-defined]
        return self

    @model_validator(mode="after")
    def _check_offline_batch_generation(self) -> "LLM":
        if self.use_offline_batch_generation and not self._supports_offline_batch_generation():
            raise DistilabelNotImplementedError(
                f"{type(self).__name__} has no offline batch generation; set use_offline_batch_generation=False."
            )
        return self

    # --- hidden states ----------------------------------------------------------------

    def get_last_hidden_states(self, inputs: List["StandardInput"]) -> List["HiddenState"]:
        """The last hidden state of the model for each input, shape (tokens, width)."""
        if type(self).get_last_hidden_state is not LLM.get_last_hidden_state:
            return self.get_last_hidden_state(inputs)
        raise DistilabelNotImplementedError(f"{type(self).__name__} does not expose hidden states.")

    def get_last_hidden_state(self, inputs: List["StandardInput"]) -> List["HiddenState"]:
        """Same as ``get_last_hidden_states`` (the name used in distilabel's docs)."""
        if type(self).get_last_hidden_states is not LLM.get_last_hidden_states:
            return self.get_last_hidden_states(inputs)
        raise DistilabelNotImplementedError(f"{type(self).__name__} does not expose hidden states.")

    # --- generation kwargs ----------------------------------------------------------------

    @classmethod
    def _generation_method(cls) -> Any:
        return cls.generate

    @classmethod
    def _generation_signature(cls) -> "_GenerationSignature":
        signature = _SIGNATURES.get(cls)
        if signature is None:
            signature = _SIGNATURES[cls] = _GenerationSignature(cls, cls._generation_method())
        return signature

    @property
    def generate_parameters(self) -> List[inspect.Parameter]:
        """The generation kwargs of this LLM, as ``inspect.Parameter``s."""
        return list(self._generation_signature().parameters.values())

    def get_generation_kwargs(self) -> Dict[str, str]:
        """The generation kwargs of this LLM mapped to their documented descriptions."""
        return dict(self._generation_signature().descriptions)

    def validate_generation_kwargs(self, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        """Check and coerce generation kwargs against the signature of ``generate``/``agenerate``.

        Raises:
            DistilabelUserError: an unknown name (listing the valid ones and the closest)
                or a value of the wrong type (naming the parameter).
        """
        return self._generation_signature().validate(kwargs)

    @field_validator("generation_kwargs", mode="after")
    @classmethod
    def _check_generation_kwargs(cls, value: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        return cls._generation_signature().validate(value or {})

    @property
    def runtime_parameters_names(self) -> RuntimeParametersNames:
        names = super().runtime_parameters_names
        names["generation_kwargs"] = {
            name: param.default is not inspect.Parameter.empty
            for name, param in self._generation_signature().parameters.items()
        }
        return names

    def get_runtime_parameters_info(self) -> List[RuntimeParameterInfo]:
        info = super().get_runtime_parameters_info()
        signature = self._generation_signature()
        for entry in info:
            if entry["name"] == "generation_kwargs":
                entry["keys"] = [
                    {
                        "name": name,
                        "optional": param.default is not inspect.Parameter.empty,
                        **({"description": signature.descriptions[name]} if name in signature.descriptions else {}),
                    }
                    for name, param in signature.parameters.items()
                ]
        return info

    def _set_runtime_parameter(self, name: str, value: Any) -> None:
        # Runtime generation kwargs refine the ones given at construction.
        if name == "generation_kwargs" and isinstance(value, dict):
            value = {**(self.generation_kwargs or {}), **value}
        super()._set_runtime_parameter(name, value)

    # --- structured output -----------------------------------------------------------------

    def _split_input(self, input: "FormattedInput") -> Tuple[Any, Optional[StructuredOutput]]:
        """One input's prompt (a conversation or a string) and the structured output that applies to it."""
        prompt, row_spec = split_formatted_input(input)
        return prompt, self._structured_output_for(row_spec)

    def _structured_output_for(self, row_spec: Any) -> Optional[StructuredOutput]:
        """The structured output that applies to one input: its own, else the LLM's."""
        if row_spec is not None:
            return normalize_structured_output(row_spec)
        spec = self.structured_output if "structured_output" in type(self).model_fields else None  # type: ignore[attr-defined]
        if spec is None:
            return None
        # Every row shares the LLM's spec: normalise it once, not per request.
        state = self._state
        if state.structured is None or state.structured[0] is not spec:
            state.structured = (spec, normalize_structured_output(spec))
        return state.structured[1]


async def _within(seconds: float, coro: Any) -> Any:
    """Await ``coro``, raising ``asyncio.TimeoutError`` after ``seconds``."""
    if sys.version_info >= (3, 11):
        # Unlike wait_for on 3.11, this runs the coroutine in the current task: no extra task per request.
        async with asyncio.timeout(seconds):
            return await coro
    return await asyncio.wait_for(coro, seconds)


_SIGNATURES: "weakref.WeakKeyDictionary[type, _GenerationSignature]" = weakref.WeakKeyDictionary()


class _GenerationSignature:
    """The generation kwargs of an LLM class: names, defaults, types, descriptions."""

    def __init__(self, cls: Type[LLM], method: Any) -> None:
        self.owner = cls.__name__
        signature = inspect.signature(method)
        self.accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
        self.parameters: Dict[str, inspect.Parameter] = {
            name: param
            for name, param in signature.parameters.items()
            if name not in _NOT_GENERATION_KWARGS
            and param.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
        }
        self.descriptions = {
            name: text for name, text in describe_arguments(method).items() if name in self.parameters
        }
        self.defaults = {
            name: param.default
            for name, param in self.parameters.items()
            if param.default is not inspect.Parameter.empty
        }
        self._method = method

    @cached_property
    def _model(self) -> Type[BaseModel]:
        try:
            hints = get_type_hints(self._method, include_extras=True)
        except Exception:
            hints = {}
        fields: Dict[str, Any] = {}
        for name, param in self.parameters.items():
            annotation = hints.get(name, param.annotation)
            if annotation is inspect.Parameter.empty or isinstance(annotation, str):
                annotation = Any
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[name] = (annotation, default)
        config = ConfigDict(arbitrary_types_allowed=True, extra="allow" if self.accepts_any else "forbid")
        return create_model(f"{self.owner}GenerationKwargs", __config__=config, **fields)

    def validate(self, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        if not kwargs:
            return {}
        if not self.accepts_any:
            for name in kwargs:
                if name not in self.parameters:
                    raise unknown_name_error("generation kwarg", name, self.parameters, self.owner)
        try:
            validated = self._model.model_validate(kwargs)
        except ValidationError as error:
            raise _generation_kwarg_error(self.owner, error) from None
        result = {name: getattr(validated, name) if name in self.parameters else value for name, value in kwargs.items()}
        for name in _TOKEN_LIMIT_KWARGS.intersection(result):
            value = result[name]
            # A limit of 0 or less is no limit a provider honours, and it would count as
            # negative tokens against `tokens_per_minute`.
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
                raise DistilabelUserError(
                    f"Invalid generation kwarg for {self.owner}: {name!r} must be a positive number of tokens,"
                    f" got {value!r}."
                )
        return result


# Generation kwargs that cap how many tokens are generated.
_TOKEN_LIMIT_KWARGS = frozenset({"max_new_tokens", "max_tokens", "max_output_tokens", "max_completion_tokens"})


def _generation_kwarg_error(owner: str, error: ValidationError) -> DistilabelUserError:
    problems = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "?"
        problems.append(f"{name!r}: {item['msg']} (got {item.get('input')!r})")
    return DistilabelUserError(f"Invalid generation kwarg for {owner}: " + "; ".join(problems))


class AsyncLLM(LLM):
    """Base class for LLMs that generate one input per request, asynchronously.

    Subclasses implement ``agenerate``; ``generate`` runs the requests concurrently,
    at most ``max_concurrent_requests`` in flight, as a sliding window: a slow request
    never holds the others back. ``generate`` works from sync code and from inside
    a running event loop (a notebook).

    A subclass whose API has no ``n`` parameter sets
    ``_num_generations_param_supported = False``; ``num_generations`` then fans out
    into that many requests, and their outputs are merged.

    Failed requests are classified once, here, for every provider: rate limits, server
    errors, timeouts and lost connections are retried with backoff (honouring
    ``Retry-After``); a bad request fails only its input, which gets ``None``
    generations and the reason in ``errors``; an authentication error stops the run
    with a message naming the API key's environment variable. SDKs are created with
    their own retries off.

    Around each request (see ``_agenerate_limited``): the response cache when one is
    attached (``use_cache``), an adaptive concurrency limit (halved on 429s, grown
    back on successes, never above ``max_concurrent_requests``), the
    ``requests_per_minute``/``tokens_per_minute`` limits, and a circuit breaker that
    raises ``DistilabelCircuitOpenError`` once nearly every request has failed for
    ``circuit_breaker_seconds``.
    """

    _num_generations_param_supported: ClassVar[bool] = True
    # The provider's client (SDK, extra, key and base-URL variables, factory, close);
    # ``None`` for LLMs that make their client themselves or need none.
    _provider_client: ClassVar[Optional[ProviderClient]] = None
    _caches_each_row: ClassVar[bool] = True
    # Nearly every request: this share of the last `_circuit_breaker_window` requests.
    _circuit_breaker_failure_ratio: ClassVar[float] = 0.95
    _circuit_breaker_window: ClassVar[int] = 20

    max_retries: RunOnly[RuntimeParameter[NonNegativeInt]] = Field(
        default=6,
        description="How many times a request that failed with a rate limit, server error or timeout is retried.",
    )
    timeout: RunOnly[RuntimeParameter[PositiveFloat]] = Field(
        default=120,
        description="Seconds to wait for one response before it counts as failed (and is retried).",
    )
    max_concurrent_requests: RequestLimit[RuntimeParameter[PositiveInt]] = Field(
        default=64,
        description="The maximum number of requests to this LLM in flight at once"
        " (fewer while the provider answers 429).",
    )
    requests_per_minute: RequestLimit[Optional[RuntimeParameter[PositiveFloat]]] = Field(
        default=None,
        description="The most requests to send to this LLM per minute; None for no limit.",
    )
    tokens_per_minute: RequestLimit[Optional[RuntimeParameter[PositiveInt]]] = Field(
        default=None,
        description="The most tokens (prompt and generated, estimated before sending) per minute;"
        " None for no limit.",
    )
    circuit_breaker_seconds: RequestLimit[Optional[RuntimeParameter[PositiveFloat]]] = Field(
        default=120,
        description="Stop with a clear error once nearly every request has failed for this many"
        " seconds (finished rows are kept); None to never stop.",
    )

    _background_loop: BackgroundLoop = PrivateAttr(default_factory=BackgroundLoop)
    _clients: LoopLocal = PrivateAttr(default_factory=LoopLocal)
    _finalizer: Optional[weakref.finalize] = PrivateAttr(default=None)

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        self._arm_finalizer()

    def _arm_finalizer(self) -> None:
        # Closes the background loop's client when the LLM is collected or the
        # interpreter exits, so a script that never calls unload() leaks nothing.
        self._finalizer = weakref.finalize(
            self, _close_background_loop, self._background_loop, self._clients, type(self)._close_async_client
        )

    @classmethod
    def _generation_method(cls) -> Any:
        return cls.agenerate

    # --- clients, one per event loop -------------------------------------------------------

    @property
    def _api_key_env_var(self) -> Optional[str]:
        """The environment variable of the API key, named by error messages."""
        provider = self._provider_client
        return provider.api_key_env if provider is not None else None

    def load(self) -> None:
        """Prepare the LLM for generating. Call it once before use.

        With a ``_provider_client``, first check that its SDK is installed and, where it
        needs one, that an API key is set.
        """
        provider = self._provider_client
        if provider is not None:
            provider.check(self)
        super().load()

    def _create_async_client(self) -> Any:
        """Create the provider's async client. Called once per event loop that uses it."""
        provider = self._provider_client
        if provider is None or provider.factory is None:
            return None
        return provider.factory(self)

    @classmethod
    async def _close_async_client(cls, client: Any) -> None:
        """Close a client made by ``_create_async_client``."""
        provider = cls._provider_client
        if provider is not None and provider.close is not None:
            await provider.close(client)
            return
        close = getattr(client, "close", None) or getattr(client, "aclose", None)
        if close is not None:
            result = close()
            if inspect.isawaitable(result):
                await result

    @property
    def aclient(self) -> Any:
        """The provider's async client for the running event loop."""
        return self._clients.get(self._create_async_client)

    async def aclose(self) -> None:
        """Close the client of the running event loop (call it before that loop ends)."""
        client = self._clients.pop(asyncio.get_running_loop())
        if client is not None:
            await self._close_async_client(client)

    def unload(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._arm_finalizer()
        super().unload()

    # --- generation --------------------------------------------------------------------------

    @abstractmethod
    async def agenerate(self, input: "FormattedInput", num_generations: int = 1, **kwargs: Any) -> "GenerateOutput":
        """Generate ``num_generations`` outputs for one input."""

    def generate(
        self, inputs: List["FormattedInput"], num_generations: int = 1, **kwargs: Any
    ) -> List["GenerateOutput"]:
        """Generate for every input concurrently and return the outputs in input order.

        Args:
            inputs: the inputs (conversations, prompts, or (conversation, structured output) pairs).
            num_generations: how many generations to make for each input.
            **kwargs: generation kwargs, see ``agenerate``.
        """
        # Checked before the background loop starts: a bad kwarg raises here, from the
        # caller's thread, and leaves no loop thread behind.
        kwargs = self.validate_generation_kwargs({**(self.generation_kwargs or {}), **kwargs})
        return self._background_loop.run(self._agenerate_rows(inputs, num_generations, kwargs))

    async def agenerate_batch(
        self, inputs: List["FormattedInput"], num_generations: int = 1, **kwargs: Any
    ) -> List["GenerateOutput"]:
        """``generate`` for use inside an event loop."""
        kwargs = self.validate_generation_kwargs({**(self.generation_kwargs or {}), **kwargs})
        return await self._agenerate_rows(inputs, num_generations, kwargs)

    async def _agenerate_rows(
        self, inputs: List["FormattedInput"], num_generations: int, kwargs: Dict[str, Any]
    ) -> List["GenerateOutput"]:
        """Every input through ``agenerate_row`` at once; ``kwargs`` are already validated."""
        tasks = [asyncio.ensure_future(self.agenerate_row(i, num_generations, **kwargs)) for i in inputs]
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            # When one input raised (bad credentials, circuit open), stop the others too.
            for task in tasks:
                task.cancel()

    async def agenerate_row(self, input: "FormattedInput", num_generations: int = 1, **kwargs: Any) -> "GenerateOutput":
        """Generate for one input with everything shared around ``agenerate``.

        The request path (``distilabel.runtime.request_path``): answers from the response
        cache when one is attached (and stores new successful outputs in it), checks
        structured output, fans out ``num_generations`` when the API has no ``n``, retries
        within the account's limits, and turns a failed request into ``None``
        generations with the reason in ``errors``. ``kwargs`` must already be validated.
        """
        _, row_spec = split_formatted_input(input)
        request = Request(input, num_generations, kwargs, self._structured_output_for(row_spec))
        state = self._state
        if state.row_path is None:
            state.row_path = compose(
                self._attempt_path(),
                ResponseCacheLayer(self),
                OutputCheckLayer(),
                FanOutLayer(self._num_generations_param_supported),
            )
        return await state.row_path(request)

    def _attempt_path(self) -> Handler:
        """One request with retries, within the limits, down to ``_send``."""
        state = self._state
        if state.attempt_path is None:
            state.attempt_path = compose(send_of(self), RetryLayer(self), LimitLayer(self), BudgetLayer(self))
        return state.attempt_path

    async def _agenerate_limited(self, input: "FormattedInput", num_generations: int, kwargs: Dict[str, Any]) -> Any:
        """One request with the shared policy (limits, circuit breaker, retries), no cache or fan-out."""
        return await self._attempt_path()(Request(input, num_generations, kwargs, None))

    def _limits(self) -> "AccountLimits":
        """The account's limits on the running event loop."""
        return self._state.limits.get(self._new_limits)

    async def _send(
        self, input: "FormattedInput", num_generations: int, kwargs: Dict[str, Any]
    ) -> Tuple[Any, Optional[Exception], ErrorInfo]:
        """Send one request: ``(output, None, ok)``, or ``(None, error, its classification)``."""
        try:
            output = await _within(self.timeout, self.agenerate(input=input, num_generations=num_generations, **kwargs))
        except asyncio.CancelledError:
            raise
        except DistilabelError:
            raise
        except asyncio.TimeoutError:
            error = TimeoutError(f"no response within {self.timeout:g} s (the LLM's `timeout`)")
            return None, error, ErrorInfo(ErrorKind.RETRY)
        except Exception as exc:
            info = self._classify_error(exc)
            # Report what really happened (e.g. "connection refused"), not the SDK's wrapper.
            return None, info.network.as_error(exc) if info.network is not None else exc, info
        return output, None, _OK

    def _new_limits(self) -> "AccountLimits":
        # Make this loop's client now: creating one can block the loop (about 0.6 s for
        # openai's, measured), which would bunch up the first requests the limits let go.
        try:
            self.aclient  # noqa: B018
        except Exception:
            pass  # the first request reports it, classified like any failure
        settings = LimitSettings(self.max_concurrent_requests, self.requests_per_minute, self.tokens_per_minute)
        limits = limits_for(self._account(), settings)
        self._state.latest_limits = limits
        return limits

    def _account(self) -> str:
        """Who the provider counts this LLM's requests against: its class of API, base URL and key.

        LLMs with neither a base URL nor an API key (local servers, test doubles) are
        their own account.
        """
        base_url = getattr(self, "base_url", None)
        key = getattr(self, "api_key", None)
        key = key.get_secret_value() if isinstance(key, SecretStr) else key
        if not base_url and not key:
            return account_key("object", id(self))
        return account_key(type(self)._provider_family(), base_url, key)

    @classmethod
    def _provider_family(cls) -> str:
        """The API an LLM class speaks: its module (OpenAI-compatible subclasses share OpenAI's)."""
        return cls.__module__

    def _breaker(self, state: "_RequestState") -> CircuitBreaker:
        if state.breaker is None:
            state.breaker = CircuitBreaker(
                f"{type(self).__name__}({self.model_name})",
                open_after=self.circuit_breaker_seconds,
                failure_ratio=self._circuit_breaker_failure_ratio,
                window=self._circuit_breaker_window,
            )
        return state.breaker

    def request_stats(self) -> Dict[str, Any]:
        """Counters for the run summary: requests, retries, failures, cache hits, tokens, limits.

        Besides the counters of ``RequestStats``: the concurrency limit now and the
        lowest it went (it shrinks on 429s), how often it shrank, the most requests in
        flight, how often and how long the rate limits made requests wait, and whether
        the circuit breaker opened.
        """
        stats = super().request_stats()
        state = self._state
        limits = state.latest_limits
        if limits is not None:
            stats.update(limits.concurrency.stats())
            stats["rate_limit_waits"] = limits.rate.waits
            stats["rate_limit_wait_seconds"] = round(limits.rate.waited_seconds, 3)
            stats["rate_limit_header_pauses"] = limits.rate.header_pauses
        stats["circuit_open"] = state.breaker is not None and state.breaker.is_open
        stats["requests_in_flight"] = limits.concurrency.in_flight if limits is not None else 0
        return stats

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in _LIMIT_FIELDS:
            # New limits apply to the next loop's limiter; the breaker restarts.
            self._state.limits = LoopLocal()
            self._state.breaker = None

    def _classify_error(self, error: Exception) -> ErrorInfo:
        """Whether a failed request is retried, fails its row, or stops everything.

        The default reads the HTTP status every SDK exposes; override it for SDKs that
        report errors differently.
        """
        return classify_error(error)

    def _auth_error(self, error: Exception) -> DistilabelUserError:
        env = f" (environment variable {self._api_key_env_var})" if self._api_key_env_var else ""
        return DistilabelUserError(
            f"{type(self).__name__} was refused by the provider: {describe_error(error)}."
            f" Check the API key{env}."
        )

    def _require_api_key(self) -> str:
        """The API key as a string; a clear error naming the environment variable if missing."""
        key = getattr(self, "api_key", None)
        value = key.get_secret_value() if isinstance(key, SecretStr) else key
        if not value:
            env = self._api_key_env_var or "the provider's API key variable"
            raise DistilabelUserError(
                f"{type(self).__name__} needs an API key: set the {env} environment variable or pass `api_key`."
            )
        return value


# Derived from the roles marked on the base fields, and applied by name to every LLM class
# (a subclass that declares `timeout` again keeps it out of cache keys).
_NOT_REQUEST_FIELDS = fields_with_roles(
    AsyncLLM, FieldRole.RUN_ONLY, FieldRole.LIMIT, FieldRole.KEYED_PER_REQUEST
)
_LIMIT_FIELDS = fields_with_roles(AsyncLLM, FieldRole.LIMIT)
_OK = ErrorInfo(ErrorKind.RETRY)  # placeholder classification of a request that succeeded


def _close_background_loop(background: BackgroundLoop, clients: LoopLocal, closer: Any) -> None:
    loop = background.running_loop
    if loop is None:
        return

    async def close_client() -> None:
        client = clients.pop(loop)
        if client is not None:
            await closer(client)

    background.close(close_client)
