"""One retry policy for every provider.

SDKs are created with their own retries off; a failed request is classified here
from what every SDK exposes (an HTTP status, a ``Retry-After`` header, the kind of
exception) and retried with exponential backoff and jitter, or not at all.

A request that got no HTTP response is described by what really happened below
HTTP (``network_failure``): SDKs wrap socket errors in their own types (the openai
SDK reports a refused connection over aiohttp as ``APITimeoutError: Request timed
out``), so the ``__cause__`` chain is read for the socket error and the address.
``Reachability`` stops an LLM after a few quick attempts when no request of it has
ever reached the server, instead of retrying for half a minute per row.
"""

import asyncio
import enum
import errno
import random
import re
import socket
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Iterator, Optional

from distilabel.errors import DistilabelUserError

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
class NetworkFailure:
    """A request that got no HTTP response, as the socket saw it.

    Attributes:
        cause: what happened, e.g. ``"connection refused"``, ``"connection reset"``.
        address: ``host:port`` of the server, when the error says.
        connected: whether a connection was made before it failed (a reset, a
            disconnect) or never was (refused, unknown host, connect timeout).
        error_type: the built-in exception type that says the same thing.
    """

    cause: str
    address: Optional[str]
    connected: bool
    error_type: type

    def describe(self) -> str:
        where = self.address or "the server"
        if self.connected:
            return f"the connection to {where} was lost ({self.cause})"
        return f"cannot connect to {where} ({self.cause})"

    def as_error(self, original: BaseException) -> BaseException:
        """An exception of ``error_type`` saying ``describe()``, caused by ``original``."""
        error = self.error_type(self.describe())
        error.__cause__ = original
        return error


@dataclass(frozen=True)
class ErrorInfo:
    kind: ErrorKind
    status: Optional[int] = None
    retry_after: Optional[float] = None
    network: Optional[NetworkFailure] = None
    """Set when the request got no HTTP response (refused, reset, unknown host...)."""


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


# errno -> (cause, connected, built-in type)
_ERRNOS = {
    errno.ECONNREFUSED: ("connection refused", False, ConnectionRefusedError),
    errno.ECONNRESET: ("connection reset", True, ConnectionResetError),
    errno.ECONNABORTED: ("connection aborted", True, ConnectionAbortedError),
    errno.EPIPE: ("broken pipe", True, BrokenPipeError),
    errno.EHOSTUNREACH: ("host unreachable", False, ConnectionError),
    errno.ENETUNREACH: ("network unreachable", False, ConnectionError),
}
# Exception class names (of aiohttp, httpx, httpcore, requests...) that say the same.
_NAMES = {
    "serverdisconnectederror": ("server disconnected without a response", True, ConnectionResetError),
    "remoteprotocolerror": ("server disconnected without a response", True, ConnectionResetError),
    "connectiontimeouterror": ("connect timed out", False, TimeoutError),
}
_ADDRESS_IN_TEXT = re.compile(r"\('([^']+)', (\d+)")


def error_chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what it was raised from, outermost first.

    A suppressed ``__context__`` is followed too: httpcore raises its errors
    ``from None`` over the socket error that is the real cause.
    """
    seen = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _address(errors: list) -> Optional[str]:
    for error in errors:
        host, port = getattr(error, "host", None), getattr(error, "port", None)
        if isinstance(host, str) and isinstance(port, int):
            return f"{host}:{port}"
    for error in errors:
        try:
            url = getattr(error, "request", None).url  # type: ignore[union-attr]
        except Exception:  # httpx raises when an error has no request
            continue
        host = getattr(url, "host", None)
        if host:
            scheme = str(getattr(url, "scheme", ""))
            port = getattr(url, "port", None) or {"https": 443, "http": 80}.get(scheme)
            return f"{host}:{port}" if port else str(host)
    for error in errors:
        match = _ADDRESS_IN_TEXT.search(str(error))
        if match:
            return f"{match.group(1)}:{match.group(2)}"
    return None


def network_failure(error: BaseException) -> Optional[NetworkFailure]:
    """What went wrong below HTTP, read from ``error``'s cause chain; ``None`` if it was not that."""
    errors = list(error_chain(error))
    found = None
    for candidate in reversed(errors):  # the innermost error is the most precise
        if isinstance(candidate, socket.gaierror):
            found = ("host name not resolved", False, ConnectionError)
        elif isinstance(candidate, OSError) and candidate.errno in _ERRNOS:
            found = _ERRNOS[candidate.errno]
        else:
            found = _NAMES.get(type(candidate).__name__.lower())
        if found is not None:
            break
    if found is None:
        return None
    cause, connected, error_type = found
    return NetworkFailure(cause, _address(errors), connected, error_type)


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
    failure = network_failure(error)
    if failure is not None:
        return ErrorInfo(ErrorKind.RETRY, network=failure)
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


class Reachability:
    """Whether any request of an LLM (on one event loop) ever reached its server.

    A server that is not running refuses every connection; retrying each row with
    backoff then costs half a minute per row and ends with every row failed. Once a
    request failed to connect ``attempts`` times in all, one of them being a retry
    (so at least one backoff was waited), while no request ever connected, the LLM
    stops with ``DistilabelUserError``. A server that answered once and then goes
    away is an outage: that is retried as usual (and the circuit breaker stops it).

    Args:
        attempts: failed connection attempts, in all, before stopping.
    """

    def __init__(self, attempts: int = 3) -> None:
        self.attempts = attempts
        self.connected = False
        self.failed_connects = 0

    def record(self, info: Optional[ErrorInfo]) -> None:
        """Record one attempt: ``None`` when it got a response, else its classification."""
        if info is None or info.status is not None or (info.network is not None and info.network.connected):
            self.connected = True
        elif info.network is not None:
            self.failed_connects += 1

    def should_stop(self, info: ErrorInfo, attempt: int) -> bool:
        """Whether to stop after attempt ``attempt`` (0-based) of one request failed with ``info``."""
        return (
            info.network is not None
            and not info.network.connected
            and not self.connected
            and attempt >= 1
            and self.failed_connects >= self.attempts
        )

    def error(self, llm_name: str, info: ErrorInfo, url: Optional[str] = None) -> DistilabelUserError:
        assert info.network is not None
        where = f" `base_url` is {url!r}." if url else ""
        return DistilabelUserError(
            f"{llm_name} {info.network.describe()}: {self.failed_connects} attempts failed and no request"
            f" has reached the server. Check that the server is running and that its address is right.{where}"
        )
