"""JSON over HTTP on one aiohttp session: the lower layer under the OpenAI-compatible providers.

The openai SDK spends 3-5 ms of CPU per request (transforming the params, building
the request, constructing pydantic models from the answer); on two cores that CPU,
not the network, bounds a run (ARCHITECTURE.md, measured; `docs/request_path.md`).
The providers that speak OpenAI's wire format keep their SDK for what it does well
(configuration, authentication headers, files and batch jobs) and send chat
requests through ``JsonClient``: the body they build, posted as JSON, the answer
parsed with ``json.loads``.

Errors keep what the shared retry policy reads (``distilabel.runtime.retries``):
an HTTP error answer raises ``HTTPStatusError`` with ``status_code``, ``headers``
and the provider's JSON ``body``; no answer at all raises ``NoResponseError``, a
``ConnectionError`` naming the server's address, raised from aiohttp's error (whose
cause chain says what happened: refused, reset, closed early).
"""

import json
from typing import Any, Callable, Dict, Mapping, Optional

from yarl import URL


class HTTPStatusError(Exception):
    """The server answered with an HTTP error status (the subclasses name the common ones).

    Attributes:
        status_code: the HTTP status.
        headers: the response headers (``Retry-After``, ``x-ratelimit-*``).
        body: the response body, parsed as JSON when it is JSON.
    """

    def __init__(self, status_code: int, headers: Mapping[str, str], body: Any, where: str) -> None:
        self.status_code = status_code
        self.headers = headers
        self.body = body
        detail = body if isinstance(body, str) else json.dumps(body)[:500]
        super().__init__(f"HTTP {status_code} from {where}: {detail}")


class NoResponseError(ConnectionError):
    """The request got no HTTP answer.

    Attributes:
        host: the server's host.
        port: the server's port.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        super().__init__(f"no answer from {host}:{port}")


# The names the openai SDK gives these statuses, so row errors read the same on both paths.
class BadRequestError(HTTPStatusError): ...


class AuthenticationError(HTTPStatusError): ...


class PermissionDeniedError(HTTPStatusError): ...


class NotFoundError(HTTPStatusError): ...


class ConflictError(HTTPStatusError): ...


class UnprocessableEntityError(HTTPStatusError): ...


class RateLimitError(HTTPStatusError): ...


class InternalServerError(HTTPStatusError): ...


_ERRORS_BY_STATUS = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(status_code: int, headers: Mapping[str, str], body: Any, where: str) -> HTTPStatusError:
    """The ``HTTPStatusError`` subclass for ``status_code``."""
    error_type = _ERRORS_BY_STATUS.get(status_code) or (InternalServerError if status_code >= 500 else HTTPStatusError)
    return error_type(status_code, headers, body, where)


class JsonClient:
    """POSTs JSON bodies to one API and returns the parsed answers.

    Make one per event loop, inside it (an aiohttp session belongs to the loop that
    made it), and ``close()`` it before that loop ends.

    Args:
        base_url: the API's base URL, e.g. ``http://127.0.0.1:8000/v1``.
        headers: sent with every request (authentication, user agent, the user's own).
        query: query parameters sent with every request (e.g. Azure's ``api-version``).
        on_headers: called with the headers of every answer, errors included (the
            account's limits read the provider's rate-limit headers from them).
    """

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        query: Optional[Mapping[str, str]] = None,
        on_headers: Optional[Callable[[Mapping[str, str]], None]] = None,
    ) -> None:
        import aiohttp

        self._base = URL(base_url.rstrip("/"))
        self._query = dict(query or {})
        self._connection_errors = aiohttp.ClientConnectionError
        self._on_headers = on_headers
        # No connection cap here: the LLM's concurrency limit bounds requests in flight.
        self._session = aiohttp.ClientSession(
            headers={**headers, "Content-Type": "application/json"},
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
            timeout=aiohttp.ClientTimeout(total=None),
        )

    def url(self, path: str) -> URL:
        """The URL of ``path`` under the base URL."""
        return self._base.joinpath(*[part for part in path.split("/") if part])

    async def post(self, path: str, body: Dict[str, Any]) -> Any:
        """POST ``body`` as JSON to ``path`` and return the answer's JSON.

        Raises:
            HTTPStatusError: the server answered 4xx or 5xx.
            NoResponseError: no answer (refused, reset, closed early).
        """
        url = self.url(path)
        data = json.dumps(body).encode()
        try:
            async with self._session.post(url, data=data, params=self._query or None) as response:
                raw = await response.read()
                status, headers = response.status, response.headers
        except self._connection_errors as error:
            raise NoResponseError(url.host or "", url.port or 0) from error
        if self._on_headers is not None:
            self._on_headers(headers)
        if status >= 400:
            # Where, without credentials: no user info and no query string.
            raise status_error(status, headers, _parse_body(raw), f"{url.host}:{url.port}{url.path}")
        return json.loads(raw)

    async def close(self) -> None:
        await self._session.close()


def _parse_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:2000]


__all__ = ["HTTPStatusError", "JsonClient", "NoResponseError", "status_error"]
