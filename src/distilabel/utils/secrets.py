"""What counts as a secret, in one place: dumps, the response cache, reprs and error messages use it.

A value is a secret when it is:

- a ``SecretStr`` (``api_key``, ``token``... fields);
- named like a credential (``is_secret_name``): ``api_key``, ``hf_token``, ``password``,
  ``Authorization``, ``X-Api-Key``, ``Cookie``... (``-`` and ``_`` are the same, case is ignored);
- a header value that reads like one (``Bearer ...``, ``Basic ...``), in any ``*headers`` mapping;
- the user info of a URL (``https://user:key@host``) or a query parameter named like a credential
  (``?api_key=``, ``?key=``, ``?sig=``).

Two ways of keeping them out:

- ``redact`` (dumps: ``pipeline.yaml``, saved Distisets, ``save()``, ``repr``): a secret value
  becomes ``REDACTED`` (``"**********"``) so a reader sees *that* a header was set; a URL keeps its
  scheme, host, port and path and loses its user info and secret query parameters (the others, such
  as ``api-version``, stay). Lists of records (a generator's ``data``) are data, not
  configuration, and are kept as they are.
- the response cache drops secrets from what it hashes instead (``distilabel.runtime.cache``).

Loading a dump never sends a redacted value: ``from_dict`` drops every ``REDACTED`` entry,
so the rebuilt component falls back to its default (``api_key`` fields read their environment
variable, e.g. ``OPENAI_API_KEY``) and a redacted header is simply not sent; give it again in
code or as a runtime parameter.

The secret values components hold are also remembered (``remember_secret``), and
``redact_known`` removes them from error messages and row errors: a provider that echoes the key
in its error body must not put it into ``rows.jsonl`` or the log.
"""

import re
import threading
from functools import lru_cache
from typing import Any, Iterable, Iterator, Optional, Set, Tuple
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import SecretStr

from distilabel.utils.nested import map_leaves

REDACTED = "**********"

# Names (lower-cased, "-" read as "_") of fields, kwargs, headers and query parameters holding credentials.
_SECRET_NAME = re.compile(
    r"(^|_)(api_?keys?|apikey|secrets?|client_secret|passwords?|passwd|token|access_?key|secret_?key"
    r"|credentials?|authorization|auth|cookie|session_?id)$"
)
# Query parameters that carry keys in common APIs (Google's ?key=, Azure's ?sig= / ?code=).
_SECRET_QUERY_NAMES = frozenset({"key", "sig", "signature", "code"})
_CREDENTIAL_VALUE = re.compile(r"^\s*(bearer|basic|token|digest)\s+\S", re.IGNORECASE)
_URL_PREFIXES = ("http://", "https://", "ws://", "wss://", "redis://", "postgres://", "postgresql://", "mongodb://")
# Shorter values are too likely to appear in a message by chance to be replaced in it.
_MIN_KNOWN_SECRET_LENGTH = 8
_TYPE_INFO_KEY = "type_info"


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether a field, kwarg, header or query parameter with this name holds a credential."""
    return bool(_SECRET_NAME.search(name.lower().replace("-", "_")))


def is_header_container(name: str) -> bool:
    """Whether a field with this name maps header names to values (``default_headers``, ``headers``)."""
    return name.lower().replace("-", "_").endswith("headers")


def looks_like_credential(value: str) -> bool:
    """Whether a header value reads like a credential (``Bearer ...``, ``Basic ...``)."""
    return bool(_CREDENTIAL_VALUE.match(value))


def is_url(value: str) -> bool:
    return value.startswith(_URL_PREFIXES)


def _split_url(url: str) -> Optional[Tuple[SplitResult, str]]:
    """``url``'s parts and its host (with the port) without user info; ``None`` if it does not parse."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    return parts, host if port is None else f"{host}:{port}"


def strip_url_credentials(url: str) -> str:
    """``url`` without user info and without any query string (the cache's form: keys never hashed)."""
    split = _split_url(url)
    if split is None:
        return url
    parts, netloc = split
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def redact_url(url: str) -> str:
    """``url`` with its host and path, without user info or query parameters named like credentials."""
    split = _split_url(url)
    if split is None:
        return url
    parts, netloc = split
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(name, value) for name, value in pairs if not _is_secret_query_name(name)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    if parts.username is None and parts.password is None and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _is_secret_query_name(name: str) -> bool:
    return name.lower() in _SECRET_QUERY_NAMES or is_secret_name(name)


def redact(value: Any, name: Optional[str] = None, *, skip_components: bool = False) -> Any:
    """A copy of ``value`` with every secret replaced by ``REDACTED`` (see the module docstring).

    Args:
        value: a dump (JSON-like) or field value; other objects are returned as they are.
        name: the field or key ``value`` is stored under, if any.
        skip_components: leave dicts holding a ``type_info`` as they are (dumps of
            nested components, which redacted themselves).
    """
    if isinstance(value, SecretStr):
        return REDACTED if value.get_secret_value() else value
    if isinstance(value, str):
        if name is not None and value and is_secret_name(name):
            return REDACTED
        return redact_url(value) if is_url(value) else value
    if isinstance(value, dict):
        if skip_components and _TYPE_INFO_KEY in value:
            return value
        if name is not None and is_secret_name(name):
            return _redact_all(value)
        headers = name is not None and is_header_container(name)
        result = {}
        for key, item in value.items():
            key_name = key if isinstance(key, str) else None
            if headers and isinstance(item, str) and looks_like_credential(item):
                result[key] = REDACTED
            else:
                result[key] = redact(item, key_name, skip_components=skip_components)
        return result
    if isinstance(value, (list, tuple)):
        if name is not None and is_secret_name(name):
            return _redact_all(value)
        # Records are data, not configuration: a dataset column named "token" stays.
        items = [item if isinstance(item, dict) else redact(item, skip_components=skip_components) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def _redact_all(value: Any) -> Any:
    """Everything under a secret name: every string is a secret."""
    return map_leaves(value, lambda item: REDACTED if isinstance(item, (str, SecretStr)) else item)


# --- secret values, for error messages ------------------------------------------------------------

_known: Set[str] = set()
_known_lock = threading.Lock()
_known_pattern: Optional[re.Pattern] = None


def remember_secret(value: Any) -> None:
    """Record a secret value (a ``str`` or ``SecretStr``) so ``redact_known`` removes it from messages."""
    global _known_pattern
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(text, str):
        return
    text = text.strip()
    if len(text) < _MIN_KNOWN_SECRET_LENGTH or text in _known:
        return
    with _known_lock:
        _known.add(text)
        _known_pattern = None


def remember_secrets_of(name: str, value: Any) -> None:
    """Record the secret values a field holds: its value under a secret name, the credentials in
    its headers or in its URL."""
    for secret in _secret_values(name, value):
        remember_secret(secret)


def _secret_values(name: str, value: Any) -> Iterator[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, str):
        if is_secret_name(name):
            yield value
            yield from _credential_parts(value)
        elif is_url(value):
            yield from _url_secrets(value)
    elif isinstance(value, dict):
        headers = is_header_container(name)
        for key, item in value.items():
            if not isinstance(key, str):
                continue
            if headers and isinstance(item, str) and (is_secret_name(key) or looks_like_credential(item)):
                yield item
                yield from _credential_parts(item)
            elif isinstance(item, (str, SecretStr, dict)):
                yield from _secret_values(key, item)


def _credential_parts(value: str) -> Iterable[str]:
    """``Bearer KEY`` -> ``KEY``: providers echo the key, not the header."""
    if looks_like_credential(value):
        return [value.split(None, 1)[1]]
    return []


def _url_secrets(url: str) -> Iterator[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    if parts.password:
        yield parts.password
    for name, item in parse_qsl(parts.query, keep_blank_values=True):
        if _is_secret_query_name(name):
            yield item


def redact_known(text: str) -> str:
    """``text`` with every remembered secret value replaced by ``REDACTED``."""
    global _known_pattern
    if not _known or not text:
        return text
    pattern = _known_pattern
    if pattern is None:
        with _known_lock:
            # Longest first, so a key that contains another is replaced whole.
            ordered = sorted(_known, key=len, reverse=True)
            pattern = _known_pattern = re.compile("|".join(re.escape(secret) for secret in ordered))
    return pattern.sub(REDACTED, text)


__all__ = [
    "REDACTED",
    "is_header_container",
    "is_secret_name",
    "looks_like_credential",
    "redact",
    "redact_known",
    "redact_url",
    "remember_secret",
    "remember_secrets_of",
    "strip_url_credentials",
]
