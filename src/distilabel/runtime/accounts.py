"""Limits belong to the account, not to the LLM object.

Two tasks whose LLMs send to the same provider with the same base URL and API key
draw on one budget: one adaptive concurrency limit, one requests-per-minute and one
tokens-per-minute bucket, one record of whether the server was ever reached. The
provider counts them together, so the client must too (two tasks each given the
full limit send twice what the account allows).

Budgets live per event loop (the limiters use that loop's futures), keyed by a hash
of the account: the API key itself is never kept. When LLMs of one account ask for
different limits, the strictest of each applies to all of them.
"""

import asyncio
import hashlib
import logging
import weakref
from typing import Any, Dict, Mapping, NamedTuple, Optional

from distilabel.runtime.concurrency import AdaptiveConcurrencyLimiter
from distilabel.runtime.rate_limit import RateLimiter, TokenBucket
from distilabel.runtime.retries import Reachability

_logger = logging.getLogger("distilabel.limits")


class LimitSettings(NamedTuple):
    """The limits one LLM asks for."""

    max_concurrent_requests: int
    requests_per_minute: Optional[float]
    tokens_per_minute: Optional[float]


class AccountLimits(NamedTuple):
    """The limits the requests of one account share on one event loop."""

    concurrency: AdaptiveConcurrencyLimiter
    rate: RateLimiter
    reach: Reachability


def account_key(*parts: Any) -> str:
    """A stable, non-reversible name for an account (provider, base URL, API key...)."""
    return hashlib.sha256("\x1f".join("" if part is None else str(part) for part in parts).encode()).hexdigest()


_budgets: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[str, AccountLimits]]" = weakref.WeakKeyDictionary()


def limits_for(account: str, settings: LimitSettings) -> AccountLimits:
    """The running loop's budget of ``account``, made with ``settings`` or tightened to them."""
    loop = asyncio.get_running_loop()
    budgets = _budgets.setdefault(loop, {})
    limits = budgets.get(account)
    if limits is None:
        limits = budgets[account] = AccountLimits(
            AdaptiveConcurrencyLimiter(settings.max_concurrent_requests),
            RateLimiter(settings.requests_per_minute, settings.tokens_per_minute),
            Reachability(),
        )
        return limits
    _tighten(limits, settings)
    return limits


def observe_headers(account: str, headers: Mapping[str, str]) -> None:
    """Let the account's budget on the running loop pace by an answer's rate-limit headers."""
    budgets = _budgets.get(asyncio.get_running_loop())
    limits = budgets.get(account) if budgets else None
    if limits is not None:
        # The answered request still holds its slot: the others in flight are the rest.
        limits.rate.observe(headers, max(0, limits.concurrency.in_flight - 1))


def _tighten(limits: AccountLimits, settings: LimitSettings) -> None:
    concurrency, rate = limits.concurrency, limits.rate
    if settings.max_concurrent_requests < concurrency.max_limit:
        _logger.info(
            "LLMs of one account ask for different max_concurrent_requests: %d applies to all of them",
            settings.max_concurrent_requests,
        )
        concurrency.max_limit = settings.max_concurrent_requests
        concurrency.limit = min(concurrency.limit, float(settings.max_concurrent_requests))
    if settings.requests_per_minute and (rate.requests is None or settings.requests_per_minute / 60 < rate.requests.rate):
        rate.requests = TokenBucket(settings.requests_per_minute, 1)
    if settings.tokens_per_minute and (rate.tokens is None or settings.tokens_per_minute / 60 < rate.tokens.rate):
        rate.tokens = TokenBucket(settings.tokens_per_minute)


__all__ = ["AccountLimits", "LimitSettings", "account_key", "limits_for", "observe_headers"]
