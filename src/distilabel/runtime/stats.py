"""Counters of what an LLM did, for the run summary: requests, retries, cache hits, tokens."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from distilabel.runtime.rate_limit import used_tokens


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
    """

    requests: int = 0
    retries: int = 0
    failed_requests: Counter = field(default_factory=Counter)
    failed_inputs: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

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
        }


__all__ = ["RequestStats"]
