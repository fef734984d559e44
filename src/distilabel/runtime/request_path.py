"""The request path of an async LLM: small layers composed over one send function.

One row goes through, outermost first::

    ResponseCacheLayer   answer from the response cache; store complete new answers
    OutputCheckLayer     structured output and empty answers become failed generations
    FanOutLayer          ``num_generations`` as that many requests, for APIs without ``n``
    RetryLayer           retries with backoff, the circuit breaker, the unreachable-server
                         stop, failure capture (a failed row keeps its reason)
    LimitLayer           the account's concurrency slot and rate budget for one attempt
    BudgetLayer          the run's spending limit (``max_budget``): the attempt's worst
                         case reserved before it is sent, settled with its real cost
    send                 the provider's ``agenerate`` under the LLM's timeout, its error
                         classified (``AsyncLLM._send``)

Row layers take a ``Request`` and return a ``GenerateOutput``; the attempt layers
below ``RetryLayer`` return an ``Attempt`` (an output, or an error and its
classification). Each layer reads what it needs from the LLM when a request passes
(its cache, limits and fields may change between runs), so one composed path serves
the LLM for its whole life. The path holds the LLM by a weak reference: the LLM keeps
its path, and a cycle would keep an unused LLM (and its loop thread) alive until the
garbage collector runs.
"""

import asyncio
import weakref
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, NamedTuple, Optional

from distilabel.models.llms.outputs import (
    describe_error,
    failed_output,
    finalize_output,
    merge_outputs,
)
from distilabel.models.structured import split_formatted_input
from distilabel.runtime.budget import worst_case_cost
from distilabel.runtime.concurrency import OVERLOAD_STATUSES
from distilabel.runtime.failures import FailureReason
from distilabel.runtime.pricing import TokenPrices, prices_for, reported_tokens, request_cost
from distilabel.runtime.rate_limit import estimate_tokens, used_tokens
from distilabel.runtime.retries import ErrorInfo, ErrorKind, RetryPolicy

if TYPE_CHECKING:
    from distilabel.models.llms.base import AsyncLLM
    from distilabel.models.structured import StructuredOutput


class Request(NamedTuple):
    """One row's request: what is sent, and the structured output its answer must follow."""

    input: Any
    num_generations: int
    kwargs: Dict[str, Any]
    structured: Optional["StructuredOutput"]


class Attempt(NamedTuple):
    """What one attempt got: ``(output, None, ok)`` or ``(None, error, its classification)``."""

    output: Any
    error: Optional[Exception]
    info: ErrorInfo


Handler = Callable[[Request], Awaitable[Any]]


def compose(send: Handler, *layers: Any) -> Handler:
    """``layers`` (outermost first) wrapped around ``send``."""
    handler = send
    for layer in reversed(layers):
        handler = layer.wrap(handler)
    return handler


class _LLMLayer:
    """A layer that reads the LLM it serves (weakly held) for every request: ``handle(llm, request, inner)``."""

    def __init__(self, llm: "AsyncLLM") -> None:
        self.llm = llm

    def wrap(self, inner: Handler) -> Handler:
        owner, handle = weakref.ref(self.llm), self.handle

        async def call(request: Request) -> Any:
            return await handle(_alive(owner), request, inner)

        return call

    @staticmethod
    async def handle(llm: "AsyncLLM", request: Request, inner: Handler) -> Any:
        raise NotImplementedError


class ResponseCacheLayer(_LLMLayer):
    """Answers a request from the LLM's response cache, and stores complete new answers."""

    @staticmethod
    async def handle(llm: "AsyncLLM", request: Request, inner: Handler) -> Any:
        state = llm._state
        cache = state.cache
        if cache is None:
            return await inner(request)
        key = llm._cache_key(
            request.input, request.num_generations, request.kwargs, request.structured
        )
        cached = cache.get(key)
        if cached is not None:
            state.stats.cache_hits += 1
            return cached
        state.stats.cache_misses += 1
        output = await inner(request)
        if cacheable(output):
            cache.put(key, output)
        return output


class OutputCheckLayer:
    """Normalises the output; a generation that breaks the structured output, or is empty, fails with the reason."""

    def wrap(self, inner: Handler) -> Handler:
        async def handle(request: Request) -> Any:
            return finalize_output(
                await inner(request), request.num_generations, request.structured
            )

        return handle


class FanOutLayer:
    """``num_generations`` as that many one-generation requests, merged, for APIs without ``n``."""

    def __init__(self, native_n: bool) -> None:
        self.native_n = native_n

    def wrap(self, inner: Handler) -> Handler:
        if self.native_n:
            return inner

        async def handle(request: Request) -> Any:
            if request.num_generations == 1:
                return await inner(request)
            single = request._replace(num_generations=1)
            return merge_outputs(
                await asyncio.gather(*(inner(single) for _ in range(request.num_generations)))
            )

        return handle


class RetryLayer(_LLMLayer):
    """Retries transient failures with backoff, outside the limits, and turns a final failure into a failed row.

    An authentication error, an open circuit breaker and a server that no request could
    ever reach stop the run with a clear error instead.
    """

    @staticmethod
    async def handle(llm: "AsyncLLM", request: Request, inner: Handler) -> Any:
        state = llm._state
        policy = RetryPolicy(max_retries=llm.max_retries)
        stats, breaker = state.stats, llm._breaker(state)
        error: Optional[Exception] = None
        info = ErrorInfo(ErrorKind.RETRY)
        for number in range(policy.max_retries + 1):
            output, error, info = await inner(request)
            stats.retries += number > 0
            if error is None:
                breaker.record(None)
                stats.count_usage(output, prices_for(llm))
                return output
            stats.count_failure(info.status, error)
            breaker.record(describe_error(error))
            if info.kind is ErrorKind.AUTH:
                # Not chained: the SDK's exception may quote the key (its message, redacted, is in ours).
                raise llm._auth_error(error) from None
            limits = llm._limits()
            if limits.reach.should_stop(info, number):
                raise limits.reach.error(type(llm).__name__, info, getattr(llm, "base_url", None))
            if info.kind is ErrorKind.ROW or number == policy.max_retries:
                break
            # Waiting retries hold no request slot; an overload without Retry-After ends
            # its wait when another request of the account succeeds.
            await limits.concurrency.backoff(
                policy.delay(number + 1, info.retry_after),
                until_recovery=info.status in OVERLOAD_STATUSES and info.retry_after is None,
            )
        reason = describe_error(error) if error is not None else "the request failed"
        if info.kind is ErrorKind.RETRY:
            reason = f"{reason} (gave up after {policy.max_retries + 1} attempts)"
        llm._logger.warning("Generation failed for one input: %s", reason)
        stats.failed_inputs += 1
        # A request the provider refused (a 4xx other than 408/409/425/429) fails again if sent
        # again: a plain rerun keeps it failed (``distilabel.runtime.failures``). An error with
        # no HTTP status says less, so its row is sent again.
        permanent = info.kind is ErrorKind.ROW and info.status is not None
        return failed_output(request.num_generations, FailureReason(reason, permanent=permanent))


class LimitLayer(_LLMLayer):
    """One attempt inside the account's limits: a concurrency slot, the rate budget, the breaker's check."""

    @staticmethod
    async def handle(llm: "AsyncLLM", request: Request, inner: Handler) -> Attempt:
        state = llm._state
        limits, breaker = llm._limits(), llm._breaker(state)
        tokens = 0
        if limits.rate.limits_tokens:
            prompt, _ = split_formatted_input(request.input)
            defaults = llm._generation_signature().defaults
            tokens = estimate_tokens(
                prompt, request.num_generations, {**defaults, **request.kwargs}
            )
        async with limits.concurrency.slot() as slot:
            await limits.rate.acquire(tokens)
            breaker.check()
            attempt = await inner(request)
            slot.report(attempt.error is None, attempt.info.status)
        limits.reach.record(None if attempt.error is None else attempt.info)
        if attempt.error is None:
            limits.rate.settle(tokens, used_tokens(attempt.output))
        return attempt


class BudgetLayer(_LLMLayer):
    """One attempt within the run's spending limit (``distilabel.runtime.budget``), and counted.

    Without a budget (or for a free model) the attempt is only counted. With one, its
    worst case is reserved before it is sent (waiting for the requests in flight when it
    does not fit, stopping the run when nothing is in flight and it still does not) and
    settled with what the answer's usage costs.
    """

    @staticmethod
    async def handle(llm: "AsyncLLM", request: Request, inner: Handler) -> Attempt:
        state = llm._state
        budget = state.budget
        prices = prices_for(llm) if budget is not None else None
        if budget is None or prices is None or (prices.input == 0 and prices.output == 0):
            # An unknown price never gets here in a run with a budget (checked at its start).
            state.stats.requests += 1
            return await inner(request)
        prompt, _ = split_formatted_input(request.input)
        kwargs = {**llm._generation_signature().defaults, **request.kwargs}
        reservation = await budget.reserve(worst_case_cost(prices, prompt, request.num_generations, kwargs))
        state.stats.requests += 1
        attempt: Optional[Attempt] = None
        try:
            attempt = await inner(request)
        finally:
            budget.settle(reservation, _charged(attempt, prices))
        return attempt


def _charged(attempt: Optional[Attempt], prices: TokenPrices) -> Optional[float]:
    """What the budget counts for an attempt; ``None`` is its worst case (it may have been billed)."""
    if attempt is None:  # cancelled, or the LLM raised: the provider may have answered
        return None
    if attempt.error is None:
        input_tokens, _ = reported_tokens(attempt.output)
        # No prompt tokens reported: the answer says nothing of its usage.
        return request_cost(attempt.output, prices) if input_tokens else None
    info = attempt.info
    if info.status is not None or (info.network is not None and not info.network.connected):
        return 0.0  # refused, or never reached the server: nothing was generated
    return None  # a timeout or a lost connection: the answer may have been generated and billed


def send_of(llm: "AsyncLLM") -> Handler:
    """The innermost handler: the LLM's ``_send`` (its ``agenerate`` under the timeout, classified)."""
    owner = weakref.ref(llm)

    async def send(request: Request) -> Attempt:
        return Attempt(
            *await _alive(owner)._send(request.input, request.num_generations, request.kwargs)
        )

    return send


def _alive(owner: "weakref.ReferenceType[AsyncLLM]") -> "AsyncLLM":
    llm = owner()
    if llm is None:  # only reachable if a path outlives its LLM, which holds it
        raise RuntimeError("the LLM of this request path is gone")
    return llm


def cacheable(output: Any) -> bool:
    """Only complete outputs are cached: a re-run retries every failed generation."""
    if not isinstance(output, dict) or output.get("errors"):
        return False
    generations = output.get("generations")
    return bool(generations) and all(generation is not None for generation in generations)


__all__ = [
    "Attempt",
    "BudgetLayer",
    "FanOutLayer",
    "LimitLayer",
    "OutputCheckLayer",
    "Request",
    "ResponseCacheLayer",
    "RetryLayer",
    "cacheable",
    "compose",
    "send_of",
]
