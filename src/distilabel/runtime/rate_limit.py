"""Requests-per-minute and tokens-per-minute limits for one LLM on one event loop.

Each limit is a token bucket. Requests leave evenly spaced, one every
``60 / requests_per_minute`` seconds (the bucket holds one request): no burst can
exceed the limit however the provider measures it. Tokens come from a bucket that
holds one second's worth: over any ``w`` seconds at most
``tokens_per_minute / 60 * (w + 1)`` tokens are sent.

Requests queue in order behind one lock, and only the first in line waits for the
buckets, measuring them when it wakes: an event loop that wakes late (blocked by
other work) lets at most a bucketful through, never the backlog of every overdue
request.

Tokens are estimated before sending (prompt characters / 4 plus the most tokens the
request may generate) and corrected with the usage the provider reports.

The provider's own count sets the pace too, before any 429: answers that carry
OpenAI-style rate-limit headers (``x-ratelimit-remaining-requests`` and
``x-ratelimit-reset-requests``, the same for tokens) pause sending until the window
resets once the account has no more requests left than are already in flight
(``RateLimiter.observe``).
"""

import asyncio
import re
import time
from typing import Any, Callable, Dict, Mapping, Optional

# Generation kwargs that cap the tokens generated, across providers.
_MAX_TOKENS_KWARGS = ("max_new_tokens", "max_tokens", "max_completion_tokens", "max_output_tokens", "num_predict")
_DEFAULT_MAX_TOKENS = 256
_CHARS_PER_TOKEN = 4


class TokenBucket:
    """A bucket refilled at ``per_minute / 60`` per second, holding ``capacity``.

    A request larger than the bucket waits for a full bucket (instead of forever) and
    leaves it in debt, which later requests wait out.

    Args:
        per_minute: the limit.
        capacity: the most the bucket holds; defaults to one second's worth (at least 1).
    """

    def __init__(
        self, per_minute: float, capacity: Optional[float] = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.capacity = capacity if capacity is not None else max(1.0, self.rate)
        self.level = self.capacity
        self._clock = clock
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.level = min(self.capacity, self.level + (now - self._updated) * self.rate)
        self._updated = now

    def wait_time(self, amount: float) -> float:
        """Seconds until ``amount`` may be taken (0 if it may be now)."""
        self._refill()
        return max(0.0, (min(amount, self.capacity) - self.level) / self.rate)

    def take(self, amount: float) -> None:
        self._refill()
        self.level -= amount

    def give_back(self, amount: float) -> None:
        """Return ``amount`` (a cancelled request, or an estimate that was too high)."""
        self._refill()
        self.level = min(self.capacity, self.level + amount)


class RateLimiter:
    """Both limits of one LLM; ``None`` leaves a limit off.

    Args:
        requests_per_minute: the most requests sent per minute.
        tokens_per_minute: the most tokens (prompt and generated) per minute.
    """

    def __init__(
        self,
        requests_per_minute: Optional[float] = None,
        tokens_per_minute: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.requests = TokenBucket(requests_per_minute, 1, clock) if requests_per_minute else None
        self.tokens = TokenBucket(tokens_per_minute, None, clock) if tokens_per_minute else None
        self.waits = 0
        self.waited_seconds = 0.0
        self.header_pauses = 0
        self._queue: Optional[asyncio.Lock] = None  # made on first use, on the running loop
        self._clock = clock
        # Until when the provider's rate-limit headers said the account has nothing left.
        self._paused_until = 0.0

    @property
    def limits_tokens(self) -> bool:
        return self.tokens is not None

    async def acquire(self, tokens: float = 0) -> None:
        """Wait until one request of about ``tokens`` tokens may be sent, then count it."""
        if self.requests is None and self.tokens is None and self._paused_until <= self._clock():
            return
        if self._queue is None:
            self._queue = asyncio.Lock()
        async with self._queue:  # first come, first served
            waited = False
            while (delay := self._wait_time(tokens)) > 0:
                waited = True
                self.waited_seconds += delay
                await asyncio.sleep(delay)
            self.waits += waited
            if self.requests is not None:
                self.requests.take(1)
            if self.tokens is not None:
                self.tokens.take(tokens)

    def _wait_time(self, tokens: float) -> float:
        delay = max(0.0, self._paused_until - self._clock())
        if self.requests is not None:
            delay = self.requests.wait_time(1)
        if self.tokens is not None:
            delay = max(delay, self.tokens.wait_time(tokens))
        return delay

    def observe(self, headers: Mapping[str, str], in_flight: int = 0) -> None:
        """Pace by an answer's rate-limit headers.

        Args:
            headers: the answer's headers (any mapping with case-insensitive ``get``).
            in_flight: other requests of the account already sent and not answered:
                when no more requests are left than these, sending pauses until the
                window resets, since they will use up what is left.
        """
        for kind, reserved in (("requests", in_flight), ("tokens", 0)):
            remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
            if remaining is None or remaining > reserved:
                continue
            reset = parse_reset(headers.get(f"x-ratelimit-reset-{kind}"))
            if reset is not None:
                until = self._clock() + reset + _RESET_MARGIN
                if until > self._paused_until:
                    self._paused_until = until
                    self.header_pauses += 1

    def settle(self, estimated: float, used: Optional[float]) -> None:
        """Correct a request's token estimate with the tokens the provider reported."""
        if self.tokens is not None and used is not None:
            self.tokens.give_back(estimated - used)


# Waiting a little past the reset a provider announces keeps clock skew from costing a 429.
_RESET_MARGIN = 0.01
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_reset(value: Optional[str]) -> Optional[float]:
    """Seconds from a reset header: OpenAI's durations (``"1s"``, ``"6m0s"``, ``"120ms"``) or plain seconds."""
    if not value:
        return None
    number = _number(value)
    if number is not None:
        return max(0.0, number)
    parts = _DURATION_PART.findall(value)
    if not parts:
        return None
    return sum(float(amount) * _DURATION_SECONDS[unit] for amount, unit in parts)


def _number(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def estimate_tokens(prompt: Any, num_generations: int, kwargs: Mapping[str, Any]) -> int:
    """A cheap upper-ish estimate of the tokens a request uses: prompt chars / 4 + max tokens."""
    max_tokens = next((kwargs[name] for name in _MAX_TOKENS_KWARGS if kwargs.get(name)), _DEFAULT_MAX_TOKENS)
    return _text_length(prompt) // _CHARS_PER_TOKEN + int(max_tokens) * max(1, num_generations)


def used_tokens(output: Any) -> Optional[int]:
    """The prompt and generated tokens an output reports, or ``None`` when it reports none."""
    if not isinstance(output, dict):
        return None
    statistics: Dict[str, Any] = output.get("statistics") or {}
    total, seen = 0, False
    for name in ("input_tokens", "output_tokens"):
        values = statistics.get(name)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, (int, float)):
                total += int(value)
                seen = True
    return total if seen else None


def _text_length(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_text_length(item) for key, item in value.items() if key != "role")
    if isinstance(value, (list, tuple)):
        return sum(_text_length(item) for item in value)
    return 0


__all__ = ["RateLimiter", "TokenBucket", "estimate_tokens", "parse_reset", "used_tokens"]
