"""Stop a run that cannot succeed instead of retrying for hours.

``CircuitBreaker`` watches the outcome of every request an LLM sends (each retry
counts, and so does a request refused with a 4xx: if every request is a 400, the
configuration is wrong). When at least ``failure_ratio`` of the last ``window``
requests failed, continuously for ``open_after`` seconds, it opens: ``check()``
raises ``DistilabelCircuitOpenError`` naming the most common error, and every
later request of that LLM raises it too, so the pipeline stops, keeping the rows
that finished, and can resume later.
"""

import threading
import time
from collections import Counter, deque
from typing import Callable, Deque, Optional

from distilabel.exceptions import DistilabelCircuitOpenError


class CircuitBreaker:
    """Opens when nearly every request has failed for a while.

    Args:
        name: what the requests go to, for the error message (e.g. the LLM's class and model).
        open_after: seconds of near-total failure before opening; ``None`` never opens.
        failure_ratio: the share of failed requests, among the last ``window``, that
            counts as near-total failure.
        window: how many of the latest requests are looked at (at least this many
            must have been sent).
    """

    def __init__(
        self,
        name: str,
        open_after: Optional[float] = 120.0,
        failure_ratio: float = 0.95,
        window: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.open_after = open_after
        self.failure_ratio = failure_ratio
        self._outcomes: Deque[Optional[str]] = deque(maxlen=window)
        self._failures = 0
        self._failing_since: Optional[float] = None
        self._error: Optional[DistilabelCircuitOpenError] = None
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._error is not None

    def record(self, error: Optional[str]) -> None:
        """Record one request: ``None`` if it succeeded, else a one-line reason."""
        with self._lock:
            outcomes = self._outcomes
            if len(outcomes) == outcomes.maxlen and outcomes[0] is not None:
                self._failures -= 1
            outcomes.append(error)
            self._failures += error is not None
            failing = len(outcomes) == outcomes.maxlen and self._failures >= self.failure_ratio * len(outcomes)
            if not failing:
                self._failing_since = None
            elif self._failing_since is None:
                self._failing_since = self._clock()

    def check(self) -> None:
        """Raise ``DistilabelCircuitOpenError`` if the circuit is (or now becomes) open."""
        if self._error is not None:
            raise self._error
        since = self._failing_since
        if self.open_after is None or since is None or self._clock() - since < self.open_after:
            return
        with self._lock:
            if self._error is None:
                reasons = Counter(reason for reason in self._outcomes if reason is not None)
                reason = reasons.most_common(1)[0][0] if reasons else "unknown"
                self._error = DistilabelCircuitOpenError(
                    self.name,
                    seconds=self._clock() - since,
                    failed=self._failures,
                    window=len(self._outcomes),
                    reason=reason,
                )
        raise self._error

    def reset(self) -> None:
        """Close the circuit and forget every outcome."""
        with self._lock:
            self._outcomes.clear()
            self._failures = 0
            self._failing_since = None
            self._error = None


__all__ = ["CircuitBreaker"]
