"""Talking to the Hugging Face Hub: the token, one-line errors, and scripts without secrets.

``Distiset.push_to_hub`` and the ``PushToHub`` step share these, so both fail the same
way: no token is ``no Hugging Face token: set HF_TOKEN or pass token=``, a Hub that
cannot be reached (offline, refused, timed out) is ``cannot reach the Hub at <endpoint>:
<why>``, and an HTTP error names its status and the Hub's own message, each in one line
and without the chain of library exceptions behind it.
"""

import contextlib
import os
import re
from typing import Any, Iterator, Optional, Union

from pydantic import SecretStr

from distilabel.errors import DistilabelUserError
from distilabel.runtime.retries import error_chain
from distilabel.utils.secrets import REDACTED, is_secret_name, redact_known

NO_TOKEN_MESSAGE = "no Hugging Face token: set HF_TOKEN or pass token="

# Classes of the HTTP clients huggingface_hub has used (httpx, httpx2, requests) that mean
# the request never got an answer.
_TRANSPORT_MODULES = ("httpx", "httpx2", "requests", "urllib3", "aiohttp")
_TRANSPORT_NAMES = frozenset(
    {"TransportError", "TimeoutException", "ConnectionError", "Timeout", "ProtocolError", "MaxRetryError",
     "NewConnectionError", "ClientConnectionError"}
)
# Token shapes of common providers, removed from an uploaded script even when no variable holds them.
_TOKEN_SHAPES = re.compile(
    r"\b(?:hf_[A-Za-z0-9]{20,}|sk-[A-Za-z0-9_\-]{16,}|gsk_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_\-]{30,}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xai-[A-Za-z0-9]{30,}|r8_[A-Za-z0-9]{30,})\b"
)
# `api_key="..."`, `token = '...'`, `"password": "..."`: a string literal given to a secret name.
_SECRET_ASSIGNMENT = re.compile(r"""(?P<name>[A-Za-z_][\w-]*)(?P<quote_end>['"]?)(?P<op>\s*[=:]\s*)(?P<q>['"])(?P<value>[^'"\n]+)(?P=q)""")
_MIN_SECRET_LENGTH = 8


def hub_endpoint() -> str:
    """The Hub the client talks to: ``HF_ENDPOINT``, as ``huggingface_hub`` read it."""
    from huggingface_hub import constants

    return constants.ENDPOINT


def hub_token(token: Optional[Union[str, SecretStr]] = None) -> str:
    """``token``, else ``HF_TOKEN`` / ``HUGGING_FACE_HUB_TOKEN``, else the token ``hf auth login`` saved.

    Raises:
        DistilabelUserError: there is none.
    """
    if isinstance(token, SecretStr):
        token = token.get_secret_value()
    if token:
        return token
    from huggingface_hub import get_token  # a dependency of `datasets`, so always there

    found = get_token()
    if not found:
        raise DistilabelUserError(NO_TOKEN_MESSAGE)
    return found


@contextlib.contextmanager
def hub_errors(what: str) -> Iterator[None]:
    """Turn what ``huggingface_hub`` / ``datasets`` raise for the Hub into one-line ``DistilabelUserError``s.

    Args:
        what: what was being done, for the message (``"pushing tester/data"``).
    """
    try:
        yield
    except DistilabelUserError:
        raise
    except Exception as error:
        message = hub_error_message(error, what)
        if message is None:
            raise
        raise DistilabelUserError(message) from None


def hub_error_message(error: BaseException, what: str) -> Optional[str]:
    """The one-line message for a Hub error, or None when ``error`` is not one."""
    from huggingface_hub import errors as hub_errors_module

    endpoint = hub_endpoint()
    for cause in error_chain(error):
        if isinstance(cause, hub_errors_module.OfflineModeIsEnabled):
            return f"cannot reach the Hub at {endpoint}: offline mode is on (HF_HUB_OFFLINE=1) while {what}"
        if isinstance(cause, hub_errors_module.HfHubHTTPError):
            return _http_message(cause, endpoint, what)
        if _is_transport_error(cause):
            return f"cannot reach the Hub at {endpoint}: {_one_line(str(cause)) or type(cause).__name__} while {what}"
    return None


def _http_message(error: Any, endpoint: str, what: str) -> str:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    detail = _one_line(getattr(error, "server_message", None) or str(error).split("\n")[0])
    if status == 401:
        return f"the Hub at {endpoint} refused the token (401: {detail}) while {what}: check HF_TOKEN or token="
    if status == 403:
        return f"the token may not do this on the Hub at {endpoint} (403: {detail}) while {what}"
    return f"the Hub at {endpoint} answered {status} ({detail}) while {what}"


def _is_transport_error(error: BaseException) -> bool:
    if isinstance(error, (ConnectionError, TimeoutError)):
        return True
    return any(
        cls.__module__.split(".")[0] in _TRANSPORT_MODULES and cls.__name__ in _TRANSPORT_NAMES
        for cls in type(error).__mro__
    )


def _one_line(text: str) -> str:
    return " ".join(redact_known(text).split())


def scrub_known_secrets(text: str, secrets: tuple = ()) -> str:
    """``text`` with the secrets we know of replaced by ``REDACTED``.

    Those are ``secrets`` (e.g. the token in use), the values of environment variables named
    like credentials (``HF_TOKEN``, ``OPENAI_API_KEY``...) and the secrets components
    remembered (``remember_secret``).
    """
    values = [s.get_secret_value() if isinstance(s, SecretStr) else s for s in secrets]
    values += [value for name, value in os.environ.items() if is_secret_name(name)]
    for value in sorted({v.strip() for v in values if isinstance(v, str)}, key=len, reverse=True):
        if len(value) >= _MIN_SECRET_LENGTH:
            text = text.replace(value, REDACTED)
    return redact_known(text)


def scrub_secrets(text: str, secrets: tuple = ()) -> str:
    """``text`` (a script) with every secret it seems to hold replaced by ``REDACTED``.

    Besides what ``scrub_known_secrets`` removes: string literals given to a name like
    ``api_key`` / ``token`` / ``password`` (``api_key="..."``, ``"token": "..."``) and strings
    shaped like well-known tokens (``hf_...``, ``sk-...``). A script stays valid Python: only
    the insides of string literals change.
    """
    text = scrub_known_secrets(text, secrets)

    def literal(match: "re.Match[str]") -> str:
        if not is_secret_name(match.group("name")) or match.group("value") == REDACTED:
            return match.group(0)
        return match.group(0)[: match.start("value") - match.start(0)] + REDACTED + match.group("q")

    text = _SECRET_ASSIGNMENT.sub(literal, text)
    return _TOKEN_SHAPES.sub(REDACTED, text)


__all__ = ["NO_TOKEN_MESSAGE", "hub_endpoint", "hub_error_message", "hub_errors", "hub_token", "scrub_known_secrets", "scrub_secrets"]
