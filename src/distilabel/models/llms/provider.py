"""A remote provider's client, declared once, and the roles of LLM fields.

A provider module declares its client as one ``ProviderClient``: the SDK module and
the distilabel extra that installs it, the environment variables of its API key and
base URL, a factory ``(llm) -> client`` and, where the SDK needs one, a ``close``.
``AsyncLLM`` reads it from the class's ``_provider_client``: ``load()`` checks that the
SDK is installed and (unless ``api_key_required=False``) that an API key is set,
``aclient`` makes one client per event loop with the factory and closes it with
``close``, and error messages name the API key's variable. ``api_key_field`` and
``base_url_field`` build the fields whose defaults come from those variables, so each
variable is written once and the provider module keeps only what is its own: how it
builds a request and reads the answer.

Field roles are marked on the field's type, once, and read by the shared code:

- ``Secret[T]``: a credential. Never part of a cache key (dumps leave ``SecretStr``
  values out, see ``distilabel.utils.serialization``).
- ``RunOnly[T]``: changes how requests are sent (retries, timeouts, batch mode), never
  what is asked: not part of the LLM's identity in cache keys.
- ``RequestLimit[T]``: a run-only field that sizes the request limiters (concurrency,
  rate limits, circuit breaker): changing it makes new limiters.
- ``KeyedPerRequest[T]``: part of each request's cache key on its own
  (``generation_kwargs``), so not of the LLM's identity.

Unmarked fields shape requests (the model, the base URL, the structured output...) and
are part of the identity. A role marked on a field holds for every subclass that
declares the field again.
"""

import importlib
import os
import weakref
from dataclasses import dataclass
from enum import Enum
from typing import (
    Any,
    Awaitable,
    Callable,
    FrozenSet,
    Optional,
    Type,
    TypeVar,
    get_args,
    get_origin,
)

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo
from typing_extensions import Annotated

from distilabel.utils.imports import require

_T = TypeVar("_T")

STRUCTURED_OUTPUT_DESCRIPTION = "The structured output format to use across all the generations."


class FieldRole(Enum):
    """What a field is to the shared request code (see the module docstring)."""

    SECRET = "secret"
    RUN_ONLY = "run_only"
    LIMIT = "limit"
    KEYED_PER_REQUEST = "keyed_per_request"


Secret = Annotated[_T, FieldRole.SECRET]
RunOnly = Annotated[_T, FieldRole.RUN_ONLY]
RequestLimit = Annotated[_T, FieldRole.RUN_ONLY, FieldRole.LIMIT]
KeyedPerRequest = Annotated[_T, FieldRole.KEYED_PER_REQUEST]

# The roles that keep a field out of an LLM's identity in cache keys.
NOT_IDENTITY_ROLES = (
    FieldRole.SECRET,
    FieldRole.RUN_ONLY,
    FieldRole.LIMIT,
    FieldRole.KEYED_PER_REQUEST,
)


def field_roles(field: FieldInfo) -> FrozenSet[FieldRole]:
    """The roles marked on a field, on its type or inside an ``Optional[...]`` of it."""
    roles = {item for item in field.metadata if isinstance(item, FieldRole)}
    for arg in get_args(field.annotation):
        if get_origin(arg) is Annotated:
            roles.update(item for item in get_args(arg)[1:] if isinstance(item, FieldRole))
    return frozenset(roles)


_ROLES: "weakref.WeakKeyDictionary[type, dict]" = weakref.WeakKeyDictionary()


def fields_with_roles(model: Type[BaseModel], *roles: FieldRole) -> FrozenSet[str]:
    """The names of ``model``'s fields marked with any of ``roles``, by it or a base class."""
    by_role = _ROLES.get(model)
    if by_role is None:
        by_role = _ROLES[model] = {}
        for klass in model.__mro__:
            if not (isinstance(klass, type) and issubclass(klass, BaseModel)) or klass is BaseModel:
                continue
            for name, field in klass.__pydantic_fields__.items():
                for role in field_roles(field):
                    by_role.setdefault(role, set()).add(name)
    return frozenset().union(*(by_role.get(role, ()) for role in roles))


def env_default(variable: str, default: Optional[str] = None) -> Callable[[], Optional[str]]:
    """A default factory reading ``variable`` from the environment when the field is built."""

    def read() -> Optional[str]:
        return os.getenv(variable, default)

    return read


def env_field(variable: str, default: Optional[str] = None, *, description: str) -> Any:
    """A field whose default is the environment variable ``variable`` (else ``default``)."""
    return Field(default_factory=env_default(variable, default), description=description)


def _model_field(llm: Any) -> str:
    return llm.model


# The `model_name` of an LLM whose `model` field names the model: `model_name = MODEL_FIELD_NAME`.
MODEL_FIELD_NAME = property(
    _model_field, doc="The name of the model used to generate: the ``model`` field."
)


def structured_output_field() -> Any:
    """The ``structured_output`` field: ``None`` by default, a runtime parameter."""
    return Field(default=None, description=STRUCTURED_OUTPUT_DESCRIPTION)


@dataclass(frozen=True)
class ProviderClient:
    """Everything about a provider's client the shared code needs, in one declaration.

    Attributes:
        sdk: the module ``load()`` imports, e.g. ``"anthropic"``.
        extra: the distilabel extra that installs it, named in the error when missing;
            by default the extra named like ``sdk``.
        api_key_env: the environment variable of the API key (the ``api_key`` field's
            default and the name error messages give).
        base_url_env: the environment variable of the base URL, if the provider reads one.
        default_base_url: the base URL when ``base_url_env`` is not set.
        factory: makes the async client of one event loop from the LLM; ``None`` when
            the class overrides ``_create_async_client`` itself.
        close: closes a client made by ``factory``; ``None`` calls its ``close()`` or
            ``aclose()``.
        api_key_required: whether ``load()`` fails without an API key; ``False`` for
            providers that check their credentials themselves (or need none).
    """

    sdk: str
    extra: Optional[str] = None
    api_key_env: Optional[str] = None
    base_url_env: Optional[str] = None
    default_base_url: Optional[str] = None
    factory: Optional[Callable[[Any], Any]] = None
    close: Optional[Callable[[Any], Awaitable[None]]] = None
    api_key_required: bool = True

    def __post_init__(self) -> None:
        if self.extra is None:
            object.__setattr__(self, "extra", self.sdk)

    def api_key_field(self, description: str) -> Any:
        """The ``api_key`` field: defaults to ``api_key_env``."""
        assert self.api_key_env is not None, "api_key_field needs api_key_env"
        return env_field(self.api_key_env, description=description)

    def base_url_field(self, description: str) -> Any:
        """The ``base_url`` field: defaults to ``base_url_env``, else ``default_base_url``."""
        assert self.base_url_env is not None, "base_url_field needs base_url_env"
        return env_field(self.base_url_env, self.default_base_url, description=description)

    def check(self, llm: Any) -> None:
        """What ``load()`` checks: the SDK is installed and, if required, an API key is set."""
        require(self.sdk, self.extra, type(llm).__name__)
        if self.api_key_required:
            llm._require_api_key()


def default_aiohttp_client(sdk: Any) -> Any:
    """The aiohttp transport of a Stainless-generated SDK (anthropic, groq, openai), if installed."""
    try:
        return sdk.DefaultAioHttpClient()
    except RuntimeError:  # the SDK was installed without its aiohttp extra: its httpx transport
        return None


def stainless_factory(sdk_module: str, client_class: str) -> Callable[[Any], Any]:
    """The factory of a Stainless-generated SDK's async client (``AsyncAnthropic``, ``AsyncGroq``).

    The client gets the LLM's key, base URL and timeout, no retries of its own (the
    shared retry policy in ``AsyncLLM`` retries instead), and the LLM's ``http_client``
    if it has one, else the SDK's aiohttp transport when installed.
    """

    def create(llm: Any) -> Any:
        sdk = importlib.import_module(sdk_module)  # load() checked it is installed
        http_client = getattr(llm, "http_client", None)
        if http_client is None:
            http_client = default_aiohttp_client(sdk)
        return getattr(sdk, client_class)(
            api_key=llm._require_api_key(),
            base_url=llm.base_url,
            timeout=llm.timeout,
            max_retries=0,
            http_client=http_client,
        )

    return create
