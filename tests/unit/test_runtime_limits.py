"""Rate limits, the adaptive concurrency limit and the circuit breaker, on their own."""

import asyncio
import time
from typing import List

import pytest

from distilabel.errors import DistilabelError
from distilabel.exceptions import DistilabelCircuitOpenError
from distilabel.runtime.circuit_breaker import CircuitBreaker
from distilabel.runtime.concurrency import AdaptiveConcurrencyLimiter
from distilabel.runtime.rate_limit import RateLimiter, TokenBucket, estimate_tokens, used_tokens


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- rate limits ------------------------------------------------------------------------------------


def spacing(bucket: TokenBucket, clock: Clock, count: int) -> List[float]:
    """When each of ``count`` requests may go, taking each as soon as allowed."""
    times = []
    for _ in range(count):
        clock.now += bucket.wait_time(1)
        bucket.take(1)
        times.append(clock.now - 1000.0)
    return times


def test_token_bucket_allows_one_second_of_burst_then_spaces_requests() -> None:
    clock = Clock()
    bucket = TokenBucket(120, clock=clock)  # 2 per second
    assert spacing(bucket, clock, 6) == pytest.approx([0, 0, 0.5, 1.0, 1.5, 2.0])
    clock.now += 10  # refills, but never above one second's worth
    start = clock.now - 1000.0
    assert [t - start for t in spacing(bucket, clock, 3)] == pytest.approx([0, 0, 0.5])


def test_requests_per_minute_spaces_every_request() -> None:
    clock = Clock()
    limiter = RateLimiter(requests_per_minute=120, clock=clock)
    assert limiter.requests is not None
    assert spacing(limiter.requests, clock, 4) == pytest.approx([0, 0.5, 1.0, 1.5])


def test_token_bucket_lets_a_request_larger_than_the_bucket_through_when_full() -> None:
    clock = Clock()
    bucket = TokenBucket(600, clock=clock)  # 10 tokens per second, holds 10
    assert bucket.wait_time(50) == 0
    bucket.take(50)
    assert bucket.wait_time(5) == pytest.approx(4.5)  # pays back the 40 borrowed, then 5
    bucket.give_back(20)  # the first request used less than estimated
    assert bucket.wait_time(5) == pytest.approx(2.5)


def test_a_late_event_loop_lets_at_most_a_bucketful_through() -> None:
    async def scenario() -> List[float]:
        limiter = RateLimiter(tokens_per_minute=600)  # 10 tokens per second, bucket of 10
        loop = asyncio.get_running_loop()
        sent: List[float] = []

        async def request() -> None:
            await limiter.acquire(1)
            sent.append(loop.time())

        tasks = [asyncio.ensure_future(request()) for _ in range(25)]
        await asyncio.sleep(0)
        time.sleep(0.5)  # the loop is blocked while requests wait for the bucket
        await asyncio.gather(*tasks)
        return sent

    sent = asyncio.run(scenario())
    # However late the loop woke, no 50 ms saw more than a bucketful (and a refill of 0.5).
    busiest = max(sum(1 for t in sent if start <= t < start + 0.05) for start in sent)
    assert busiest <= 11
    assert sent[-1] - sent[0] >= 1.4  # 25 requests at 10/s with a bucket of 10


def test_rate_limiter_settles_estimates_with_reported_usage() -> None:
    clock = Clock()
    limiter = RateLimiter(tokens_per_minute=6000, clock=clock)  # 100 tokens/s
    assert limiter.limits_tokens
    assert limiter.tokens is not None and limiter.requests is None
    asyncio.run(limiter.acquire(100))
    limiter.settle(estimated=100, used=10)
    assert limiter.tokens.level == pytest.approx(90)


def test_estimate_and_used_tokens() -> None:
    messages = [{"role": "user", "content": "x" * 400}]
    assert estimate_tokens(messages, 2, {"max_new_tokens": 50}) == 100 + 100
    assert estimate_tokens("y" * 40, 1, {}) == 10 + 256
    assert used_tokens({"generations": ["a"], "statistics": {"input_tokens": [5], "output_tokens": [7]}}) == 12
    assert used_tokens({"generations": ["a"], "statistics": {"input_tokens": [], "output_tokens": []}}) is None


# --- adaptive concurrency ------------------------------------------------------------------------------


def test_limit_halves_once_per_round_trip_and_grows_back() -> None:
    async def scenario() -> List[int]:
        limiter = AdaptiveConcurrencyLimiter(16)
        seen = []
        # 16 requests in flight all get a 429: that is one decrease, not 16.
        slots = [limiter.slot() for _ in range(16)]
        held = [await slot.__aenter__() for slot in slots]
        for slot in held:
            slot.report(False, 429)
        seen.append(limiter.slots)
        for manager in slots:
            await manager.__aexit__(None, None, None)
        # A request sent after that decrease may shrink it again.
        async with limiter.slot() as slot:
            slot.report(False, 429)
        seen.append(limiter.slots)
        # A 500 is not an overload signal.
        async with limiter.slot() as slot:
            slot.report(False, 500)
        seen.append(limiter.slots)
        for _ in range(20):
            async with limiter.slot() as slot:
                slot.report(True)
        seen.append(limiter.slots)
        return seen

    assert asyncio.run(scenario()) == [8, 4, 4, 16]


def test_limit_never_drops_below_one_and_bounds_in_flight() -> None:
    async def scenario() -> AdaptiveConcurrencyLimiter:
        limiter = AdaptiveConcurrencyLimiter(8)
        for _ in range(10):
            async with limiter.slot() as slot:
                slot.report(False, 429)
        assert limiter.slots == 1
        in_flight: List[int] = []

        async def request() -> None:
            async with limiter.slot():
                in_flight.append(limiter.in_flight)
                await asyncio.sleep(0.001)

        await asyncio.gather(*(request() for _ in range(20)))
        assert max(in_flight) == 1
        return limiter

    limiter = asyncio.run(scenario())
    assert limiter.stats()["min_concurrency_limit"] == 1
    assert limiter.stats()["concurrency_decreases"] >= 3


def test_cancelled_waiters_give_their_slot_back() -> None:
    async def scenario() -> int:
        limiter = AdaptiveConcurrencyLimiter(1)
        gate = asyncio.Event()

        async def hold() -> None:
            async with limiter.slot():
                await gate.wait()

        holder = asyncio.ensure_future(hold())
        await asyncio.sleep(0)
        waiters = [asyncio.ensure_future(hold()) for _ in range(3)]
        await asyncio.sleep(0)
        for waiter in waiters:
            waiter.cancel()
        gate.set()
        await holder
        await asyncio.gather(*waiters, return_exceptions=True)
        async with limiter.slot():
            return limiter.in_flight

    assert asyncio.run(scenario()) == 1


# --- circuit breaker ------------------------------------------------------------------------------------


def test_backoff_after_an_overload_ends_at_the_next_success() -> None:
    async def scenario() -> List[str]:
        limiter = AdaptiveConcurrencyLimiter(4)
        events: List[str] = []

        async def waiting_retry(name: str) -> None:
            await limiter.backoff(30.0)  # a delay chosen mid-storm: far longer than the test
            events.append(name)

        waiters = [asyncio.ensure_future(waiting_retry(f"retry{i}")) for i in range(3)]
        await asyncio.sleep(0.01)
        assert events == []  # still waiting: nothing succeeded yet
        limiter.on_success()  # the provider accepts requests again
        await asyncio.wait_for(asyncio.gather(*waiters), timeout=5)
        # A later overload waits for a success after it, not the one already seen.
        late = asyncio.ensure_future(waiting_retry("late"))
        await asyncio.sleep(0.01)
        assert not late.done()
        limiter.on_success()
        await asyncio.wait_for(late, timeout=5)
        return events

    assert asyncio.run(scenario()) == ["retry0", "retry1", "retry2", "late"]


def test_backoff_without_recovery_sleeps_the_whole_delay() -> None:
    async def scenario() -> bool:
        limiter = AdaptiveConcurrencyLimiter(4)
        waiter = asyncio.ensure_future(limiter.backoff(30.0, until_recovery=False))  # e.g. Retry-After: 30
        await asyncio.sleep(0.01)
        limiter.on_success()
        await asyncio.sleep(0.05)
        done = waiter.done()
        waiter.cancel()
        return done

    assert asyncio.run(scenario()) is False


def test_breaker_opens_after_the_configured_time_of_near_total_failure() -> None:
    clock = Clock()
    breaker = CircuitBreaker("OpenAILLM(gpt-4o)", open_after=60, failure_ratio=0.95, window=20, clock=clock)
    for _ in range(19):
        breaker.record("RateLimitError (HTTP 429): slow down")
    breaker.record("APIConnectionError: refused")
    breaker.check()  # failing since now, not for 60 s yet
    clock.now += 59
    breaker.record("RateLimitError (HTTP 429): slow down")
    breaker.check()
    clock.now += 2
    with pytest.raises(DistilabelCircuitOpenError) as raised:
        breaker.check()
    message = str(raised.value)
    assert "OpenAILLM(gpt-4o)" in message and "RateLimitError (HTTP 429): slow down" in message
    assert "20 of the last 20 requests failed" in message and "resume" in message
    assert isinstance(raised.value, DistilabelError)
    assert breaker.is_open
    with pytest.raises(DistilabelCircuitOpenError):
        breaker.check()  # stays open


def test_breaker_counts_bad_requests_and_resets_on_successes() -> None:
    clock = Clock()
    breaker = CircuitBreaker("X", open_after=10, window=20, clock=clock)
    for _ in range(20):
        breaker.record("BadRequestError (HTTP 400): unknown parameter 'foo'")
    clock.now += 5
    breaker.record(None)  # 19 of 20 failed: still nearly all
    breaker.record(None)  # 18 of 20: the run is healthy again
    clock.now += 20
    breaker.check()
    for _ in range(20):
        breaker.record("BadRequestError (HTTP 400): unknown parameter 'foo'")
    clock.now += 11
    with pytest.raises(DistilabelCircuitOpenError, match="HTTP 400"):
        breaker.check()


def test_breaker_needs_a_full_window_and_can_be_turned_off() -> None:
    clock = Clock()
    breaker = CircuitBreaker("X", open_after=1, window=20, clock=clock)
    never = CircuitBreaker("X", open_after=None, window=20, clock=clock)
    for _ in range(19):
        breaker.record("boom")
    for _ in range(40):
        never.record("boom")
    clock.now += 100
    breaker.check()
    never.check()
