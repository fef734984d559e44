"""Counters of what an LLM did, for the run summary: requests, retries, cache hits, tokens, cost."""

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from distilabel.runtime.pricing import request_cost
from distilabel.runtime.rate_limit import used_tokens

if TYPE_CHECKING:
    from distilabel.runtime.pricing import TokenPrices


@dataclass
class RequestStats:
    """What one LLM sent and got back since it was created (or ``reset``).

    Attributes:
        requests: requests sent, retries included.
        retries: requests that were retries of a failed one.
        failed_requests: failed requests by cause (``"HTTP 429"``, ``"timeout"``, an
            exception name...), retried or not.
        failed_inputs: inputs that got no output (after their retries, or refused).
        cache_hits: inputs answered from the response cache, without a request.
        cache_misses: inputs looked up in the cache and not found.
        input_tokens: prompt tokens the provider reported.
        output_tokens: generated tokens the provider reported.
        cost_usd: what the answered requests cost, in US dollars, from the usage they
            reported and the LLM's prices (``distilabel.runtime.pricing``); answers from
            the cache cost nothing.
        cost_unknown: whether some answered request had no known price (then
            ``as_dict()`` reports ``cost_usd`` as ``None``).
        on_cost: called with the cost of each answered request (the live counters of
            the step the LLM works for, during a run).
    """

    requests: int = 0
    retries: int = 0
    failed_requests: Counter = field(default_factory=Counter)
    failed_inputs: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_unknown: bool = False
    on_cost: Optional[Callable[[float], None]] = field(default=None, repr=False, compare=False)

    def count_usage(self, output: Any, prices: Optional["TokenPrices"]) -> Optional[float]:
        """Count the tokens and the cost of one answered request; returns its cost (``None``: unknown)."""
        self.count_tokens(output)
        cost = request_cost(output, prices)
        if cost is None:
            self.cost_unknown = True
            return None
        self.cost_usd += cost
        if self.on_cost is not None and cost:
            self.on_cost(cost)
        return cost

    def count_tokens(self, output: Any) -> None:
        statistics = output.get("statistics") if isinstance(output, dict) else None
        if not statistics:
            return
        for name in ("input_tokens", "output_tokens"):
            value = used_tokens({"statistics": {name: statistics.get(name)}})
            if value:
                setattr(self, name, getattr(self, name) + value)

    def count_failure(self, status: Optional[int], error: BaseException) -> None:
        if status is not None:
            cause = f"HTTP {status}"
        elif isinstance(error, TimeoutError):
            cause = "timeout"
        else:
            cause = type(error).__name__
        self.failed_requests[cause] += 1

    def as_dict(self) -> Dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "failed_requests": dict(self.failed_requests),
            "failed_inputs": self.failed_inputs,
            "cache_hits": self.cache_hits,
            "cache_misses": self.cache_misses,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": None if self.cost_unknown else round(self.cost_usd, 10),
        }


__all__ = ["RequestStats"]
