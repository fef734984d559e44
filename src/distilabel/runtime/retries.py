"""One retry policy for every provider.

SDKs are created with their own retries off; a failed request is classified here
from what every SDK exposes (an HTTP status, a ``Retry-After`` header, the kind of
exception) and retried with exponential backoff and jitter, or not at all.
"""

import asyncio
import enum
import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Optional

RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
AUTH_STATUSES = frozenset({401, 403})


class ErrorKind(enum.Enum):
    """What to do about a failed request."""

    RETRY = "retry"
    """Transient (rate limit, server error, timeout, lost connection): try again."""
    AUTH = "auth"
    """The credentials are wrong: no request will succeed, stop now."""
    ROW = "row"
    """This request is wrong (bad request, content refused): fail this row only."""


@dataclass(frozen=True)
class ErrorInfo:
    kind: ErrorKind
    status: Optional[int] = None
    retry_after: Optional[float] = None


def _status_of(error: BaseException) -> Optional[int]:
    for candidate in (error, getattr(error, "response", None)):
        for attribute in ("status_code", "status", "http_status"):
            value = getattr(candidate, attribute, None)
            if isinstance(value, int) and 100 <= value < 600:
                return value
    return None


def _headers_of(error: BaseException) -> Any:
    response = getattr(error, "response", None)
    return getattr(response, "headers", None) or getattr(error, "headers", None)


def retry_after_seconds(headers: Any) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` (or ``retry-after-ms``) header, if any."""
    if not headers:
        return None
    try:
        milliseconds = headers.get("retry-after-ms")
        if milliseconds is not None:
            return max(0.0, float(milliseconds) / 1000)
        value = headers.get("retry-after")
    except Exception:
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import datetime, timezone

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


_TRANSIENT_NAME_PARTS = ("timeout", "connection", "connect", "disconnect", "network", "temporar", "unavailable")


def classify_error(error: BaseException) -> ErrorInfo:
    """Classify an exception from any SDK by its HTTP status or, lacking one, its kind."""
    status = _status_of(error)
    if status is not None:
        if status in AUTH_STATUSES:
            return ErrorInfo(ErrorKind.AUTH, status)
        if status in RETRYABLE_STATUSES or status >= 500:
            return ErrorInfo(ErrorKind.RETRY, status, retry_after_seconds(_headers_of(error)))
        return ErrorInfo(ErrorKind.ROW, status)
    if isinstance(error, (asyncio.TimeoutError, TimeoutError, ConnectionError)):
        return ErrorInfo(ErrorKind.RETRY)
    names = " ".join(cls.__name__.lower() for cls in type(error).__mro__)
    if any(part in names for part in _TRANSIENT_NAME_PARTS):
        return ErrorInfo(ErrorKind.RETRY)
    return ErrorInfo(ErrorKind.ROW)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring ``Retry-After``.

    Attributes:
        max_retries: retries after the first attempt.
        base_delay: the first backoff, in seconds; it doubles per attempt.
        max_delay: the longest wait between attempts, in seconds.
    """

    max_retries: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0

    def delay(self, retry_number: int, retry_after: Optional[float] = None) -> float:
        """Seconds to wait before retry number ``retry_number`` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (retry_number - 1)))
        return random.uniform(ceiling / 2, ceiling)
