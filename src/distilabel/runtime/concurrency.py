"""A concurrency limit that backs off when the provider says it is overloaded.

``AdaptiveConcurrencyLimiter`` works like a semaphore of ``max_limit`` slots whose
size changes with what the provider answers (AIMD, as TCP does):

- an overload answer (429, or 529 "overloaded") halves the limit, at most once per
  round trip: only a request *sent after* the last decrease can shrink it again, so
  a burst of 429s from requests already in flight counts once;
- every success adds one slot back, never above ``max_limit``; the limit never
  drops below 1.

Requests refused with an overload answer wait in ``backoff``, which ends early as
soon as any request succeeds after theirs was refused: once the provider accepts
requests again, the waiting ones go back to the limiter at once instead of sleeping
out an exponential delay chosen during the storm.

One limiter serves one event loop (it uses that loop's futures).
"""

import asyncio
import contextlib
from collections import deque
from typing import AsyncIterator, Deque, Dict, Optional

OVERLOAD_STATUSES = frozenset({429, 529})


class AdaptiveConcurrencyLimiter:
    """Limits requests in flight to a size that shrinks on overload and grows back on success.

    Args:
        max_limit: the most requests in flight, and the starting limit.
        decrease_factor: what the limit is multiplied by on an overload answer.
    """

    def __init__(self, max_limit: int, decrease_factor: float = 0.5) -> None:
        if max_limit < 1:
            raise ValueError("max_limit must be at least 1")
        self.max_limit = max_limit
        self.decrease_factor = decrease_factor
        self.limit = float(max_limit)
        self.in_flight = 0
        self.min_limit_seen = float(max_limit)
        self.decreases = 0
        self.max_in_flight_seen = 0
        self._waiters: Deque[asyncio.Future[None]] = deque()
        # Bumped at each decrease; a request remembers the epoch it was sent in.
        self._epoch = 0
        # Resolved by the next success; the requests in ``backoff`` wait on it.
        self._recovered: Optional[asyncio.Future[None]] = None

    @property
    def slots(self) -> int:
        """How many requests may be in flight now."""
        return max(1, int(self.limit))

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator["Slot"]:
        """Hold one slot for one request; report its outcome on the yielded ``Slot``."""
        await self._acquire()
        slot = Slot(self, self._epoch)
        try:
            yield slot
        finally:
            self._release()

    async def _acquire(self) -> None:
        if self.in_flight < self.slots and not self._waiters:
            self._take()
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.cancelled():
                self._waiters.remove(waiter)
            else:  # a slot was handed over just as we were cancelled: pass it on
                self._release()
            raise

    def _take(self) -> None:
        self.in_flight += 1
        self.max_in_flight_seen = max(self.max_in_flight_seen, self.in_flight)

    def _release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.slots:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._take()
                waiter.set_result(None)

    async def backoff(self, delay: float, until_recovery: bool = True) -> None:
        """Sleep ``delay`` seconds before a retry, or less when a request succeeds meanwhile.

        Args:
            delay: the backoff the retry policy chose.
            until_recovery: end the wait at the next success (for overload answers
                without ``Retry-After``); ``False`` sleeps the whole delay.
        """
        if not until_recovery:
            await asyncio.sleep(delay)
            return
        if self._recovered is None or self._recovered.done():
            self._recovered = asyncio.get_running_loop().create_future()
        await asyncio.wait((self._recovered,), timeout=delay)

    def on_success(self) -> None:
        recovered = self._recovered
        if recovered is not None and not recovered.done():
            recovered.set_result(None)
        if self.limit < self.max_limit:
            self.limit = min(float(self.max_limit), self.limit + 1)
            self._wake()

    def on_overload(self, epoch: int) -> None:
        if epoch != self._epoch:
            return  # sent before the last decrease: that decrease already answered it
        self._epoch += 1
        self.decreases += 1
        self.limit = max(1.0, self.limit * self.decrease_factor)
        self.min_limit_seen = min(self.min_limit_seen, self.limit)

    def stats(self) -> Dict[str, float]:
        return {
            "concurrency_limit": self.slots,
            "min_concurrency_limit": max(1, int(self.min_limit_seen)),
            "concurrency_decreases": self.decreases,
            "max_in_flight": self.max_in_flight_seen,
        }


class Slot:
    """One request's hold on the limiter: tell it how the request went."""

    __slots__ = ("_epoch", "_limiter")

    def __init__(self, limiter: AdaptiveConcurrencyLimiter, epoch: int) -> None:
        self._limiter = limiter
        self._epoch = epoch

    def report(self, succeeded: bool, status: Optional[int] = None) -> None:
        if succeeded:
            self._limiter.on_success()
        elif status in OVERLOAD_STATUSES:
            self._limiter.on_overload(self._epoch)


__all__ = ["OVERLOAD_STATUSES", "AdaptiveConcurrencyLimiter", "Slot"]
