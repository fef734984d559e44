"""Dump components to dicts, JSON and YAML, and rebuild them safely.

A dump records each component's class as ``type_info: {"module", "name"}``.
Rebuilding imports a class only from ``distilabel`` or from modules the caller
allows, so a YAML file cannot make the loader import arbitrary code.

Secrets are never written (``distilabel.utils.secrets`` says what is one):
``SecretStr`` fields such as ``api_key`` are left out, and every other secret,
e.g. an ``Authorization`` in ``default_headers``, a key in a ``base_url`` or an
``api_key`` in ``generation_kwargs.extra_body``, reads ``"**********"`` (a URL
keeps its host and path). ``repr()`` shows the same. Rebuilding from a dump drops
the redacted values: keys come back from their environment variables (e.g.
``OPENAI_API_KEY``), and a redacted header is not sent until it is given again.

Files are read with one bounded YAML loader (``load_yaml``): a document whose
aliases expand past ``MAX_YAML_ALIAS_EXPANSION`` nodes (a "billion laughs" file)
is refused. A file cannot turn on ``trust_remote_code`` by itself: loading one
that does needs ``allow_trust_remote_code=True``, ``--allow-trust-remote-code`` or
``DISTILABEL_ALLOW_TRUST_REMOTE_CODE=1``.
"""

import importlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any, Dict, Iterable, Literal, Optional, Tuple, Type, TypeVar, Union, get_args

import yaml
from pydantic import BaseModel, ConfigDict, SecretStr, model_serializer, model_validator
from typing_extensions import TypedDict, Unpack

from distilabel.errors import DistilabelUserError
from distilabel.utils.secrets import (
    REDACTED,
    is_header_container,
    is_secret_name,
    redact,
    remember_secrets_of,
)

TYPE_INFO_KEY = "type_info"
ALLOWED_MODULES_ENV_VAR = "DISTILABEL_ALLOWED_MODULES"
TRUST_REMOTE_CODE_ENV_VAR = "DISTILABEL_ALLOW_TRUST_REMOTE_CODE"
# Nodes that aliases may add to a YAML document beyond those written in it.
MAX_YAML_ALIAS_EXPANSION = 100_000
# Larger pipeline dumps are written as JSON (see ``pipeline.base._write_yaml``).
MAX_YAML_BYTES = 64 * 1024 * 1024
_ALWAYS_ALLOWED = ("distilabel",)

SaveFormats = Literal["json", "yaml"]
_S = TypeVar("_S", bound="_Serializable")


class RebuildOptions(TypedDict, total=False):
    """What a component rebuilt from a dump may use (``from_dict``'s keyword arguments)."""

    allowed_modules: Iterable[str]
    allow_trust_remote_code: bool

# The pydantic config of distilabel's components (steps, LLMs, embedding models): any
# field type, defaults and assignments validated, unknown fields rejected, and field
# names starting with ``model_`` allowed (``model_name``, ``model_kwargs``...).
COMPONENT_CONFIG = ConfigDict(
    arbitrary_types_allowed=True,
    protected_namespaces=(),
    validate_default=True,
    validate_assignment=True,
    extra="forbid",
)


def _mentions_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(_mentions_secret(arg) for arg in get_args(annotation))


@cache
def _secret_fields(cls: Type[BaseModel]) -> Tuple[str, ...]:
    return tuple(name for name, field in cls.model_fields.items() if _mentions_secret(field.annotation))


@cache
def _credential_fields(cls: Type[BaseModel]) -> Tuple[str, ...]:
    """The fields that may hold a credential: secrets, headers and URLs."""
    return tuple(
        name
        for name, field in cls.model_fields.items()
        if _mentions_secret(field.annotation) or is_secret_name(name) or is_header_container(name) or "url" in name
    )


def _jsonable_fallback(value: Any) -> Any:
    """Turn values JSON has no form for into something a reader understands."""
    if isinstance(value, type) and issubclass(value, BaseModel):
        return value.model_json_schema()
    if callable(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}"
    return repr(value)


def type_info(cls: type) -> Dict[str, str]:
    return {"module": cls.__module__, "name": cls.__qualname__}


class _Serializable(BaseModel):
    """A pydantic component that dumps with its type and can be rebuilt from the dump."""

    @model_serializer(mode="wrap")
    def _serialize_with_type_info(self, handler: Any) -> Dict[str, Any]:
        data = handler(self)
        for name in _secret_fields(type(self)):
            data.pop(name, None)
        # Nested components have redacted themselves already.
        data = {key: redact(value, key, skip_components=True) for key, value in data.items()}
        data[TYPE_INFO_KEY] = type_info(type(self))
        return data

    @model_validator(mode="after")
    def _remember_secrets(self) -> Any:
        # Error messages replace these values (``secrets.redact_known``); re-run on assignment.
        for name in _credential_fields(type(self)):
            remember_secrets_of(name, getattr(self, name, None))
        return self

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, redact(value, name) if name is not None else value

    def dump(self, **kwargs: Any) -> Dict[str, Any]:
        """A JSON-compatible dict of this component, with ``type_info`` and without secrets."""
        return self.model_dump(mode="json", fallback=_jsonable_fallback, **kwargs)

    def save(self, path: Union[str, os.PathLike], format: Optional[SaveFormats] = None) -> None:
        """Write ``dump()`` to ``path`` as JSON or YAML (chosen from the suffix when not given)."""
        path = Path(path)
        format = format or _format_from_suffix(path)
        data = self.dump()
        text = json.dumps(data, indent=2) if format == "json" else yaml.safe_dump(data, sort_keys=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    @classmethod
    def from_dict(
        cls: Type[_S],
        data: Dict[str, Any],
        *,
        allowed_modules: Iterable[str] = (),
        allow_trust_remote_code: bool = False,
    ) -> _S:
        """Rebuild a component from ``dump()``'s output.

        Values the dump redacted (``"**********"``) are dropped: an API key comes back
        from its environment variable, a redacted header is not sent.

        Args:
            data: the dumped dict.
            allowed_modules: modules, besides ``distilabel``, whose classes may be
                rebuilt (e.g. your own package with custom steps). Also read from the
                comma-separated ``DISTILABEL_ALLOWED_MODULES`` environment variable.
            allow_trust_remote_code: let the dump set ``trust_remote_code: true`` (runs
                code from the model's folder); also ``DISTILABEL_ALLOW_TRUST_REMOTE_CODE=1``.

        Raises:
            DistilabelUserError: the dump names a class outside the allowed modules,
                or one that is not a ``cls``, or sets ``trust_remote_code`` without consent.
        """
        check_trust_remote_code(data, allow_trust_remote_code)
        return cls._from_dump(data, _allowed_modules(allowed_modules))

    @classmethod
    def _from_dump(cls: Type[_S], data: Dict[str, Any], allowed: Tuple[str, ...]) -> _S:
        data = dict(data)
        info = data.pop(TYPE_INFO_KEY, None)
        target = resolve_class(info, allowed, expected=cls) if info is not None else cls
        data = _drop_unknown_keys(target, data)
        fields = {key: _rebuild(value, allowed) for key, value in data.items() if value != REDACTED}
        return target._from_fields(fields)

    @classmethod
    def _from_fields(cls: Type[_S], fields: Dict[str, Any]) -> _S:
        """Instantiate from rebuilt fields; components with derived state override this."""
        return cls(**fields)

    @classmethod
    def from_json(cls: Type[_S], path: Union[str, os.PathLike], **options: Unpack[RebuildOptions]) -> _S:
        """Rebuild a component from a JSON file written by ``save()`` (see ``from_dict``)."""
        return cls.from_dict(read_json_file(path), **options)

    @classmethod
    def from_yaml(cls: Type[_S], path: Union[str, os.PathLike], **options: Unpack[RebuildOptions]) -> _S:
        """Rebuild a component from a YAML file written by ``save()`` (see ``from_dict``)."""
        return cls.from_dict(read_yaml_file(path), **options)

    @classmethod
    def from_file(cls: Type[_S], path: Union[str, os.PathLike], **options: Unpack[RebuildOptions]) -> _S:
        """``from_json`` or ``from_yaml``, chosen from the file's suffix."""
        load = cls.from_json if _format_from_suffix(Path(path)) == "json" else cls.from_yaml
        return load(path, **options)


def _format_from_suffix(path: Path) -> SaveFormats:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise DistilabelUserError(f"Cannot tell the format of {str(path)!r}: use a .json, .yaml or .yml file.")


def _allowed_modules(extra: Iterable[str]) -> Tuple[str, ...]:
    from_env = [m.strip() for m in os.environ.get(ALLOWED_MODULES_ENV_VAR, "").split(",") if m.strip()]
    return (*_ALWAYS_ALLOWED, *extra, *from_env)


def _is_allowed(module: str, allowed: Tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in allowed)


def resolve_class(info: Any, allowed: Tuple[str, ...], expected: type) -> Any:
    """Import the class named by a ``type_info`` dict, refusing modules not allowed.

    The module is checked before anything is imported.
    """
    if not isinstance(info, dict) or not isinstance(info.get("module"), str) or not isinstance(info.get("name"), str):
        raise DistilabelUserError(f"Invalid type_info {info!r}: expected {{'module': str, 'name': str}}.")
    module_name, qualname = info["module"], info["name"]
    if not _is_allowed(module_name, allowed):
        raise DistilabelUserError(
            f"Refusing to load class {qualname!r} from module {module_name!r}: only classes from"
            f" {', '.join(repr(m) for m in allowed)} may be loaded. If you trust this file, pass"
            f" allowed_modules=[{module_name!r}] or add it to the {ALLOWED_MODULES_ENV_VAR} environment variable."
        )
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise DistilabelUserError(f"Cannot load class {qualname!r}: {error}.") from error
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise DistilabelUserError(f"Module {module_name!r} has no class {qualname!r}.")
    if not (isinstance(obj, type) and issubclass(obj, expected)):
        raise DistilabelUserError(f"{module_name}.{qualname} is not a {expected.__name__}; refusing to load it.")
    return obj


# Keys a dump carries that are not fields: read by ``_from_fields`` or recomputed.
_DUMP_ONLY_KEYS = frozenset({"runtime_parameters_info"})


def _drop_unknown_keys(target: Type[BaseModel], data: Dict[str, Any]) -> Dict[str, Any]:
    """Leave out the keys of a dump that ``target`` has no field for.

    Files written by distilabel 1.5 (or another version of this package) may carry
    fields this version does not have; like distilabel 1.5's own loader, they are
    left out instead of failing the whole file. One that holds a value (not
    ``None``, ``False`` or empty) is named in an ``IgnoredParameterWarning``.
    """
    if target.model_config.get("extra") == "allow":
        return data
    fields = target.model_fields
    unknown = [key for key in data if key not in fields and key not in _DUMP_ONLY_KEYS]
    if not unknown:
        return data
    from distilabel.utils.ignored import warn_ignored

    for key in unknown:
        if data[key] not in (None, False, {}, [], (), "", REDACTED):
            warn_ignored(
                f"{target.__name__}.{key} (set to {data[key]!r} in the file)",
                f"{target.__name__} has no field {key!r} in this version of distilabel",
            )
    return {key: value for key, value in data.items() if key not in unknown}


def _rebuild(value: Any, allowed: Tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        if TYPE_INFO_KEY in value and isinstance(value[TYPE_INFO_KEY], dict):
            return _Serializable._from_dump(value, allowed)
        # A redacted secret is dropped, never sent as "**********".
        return {key: _rebuild(item, allowed) for key, item in value.items() if item != REDACTED}
    if isinstance(value, list):
        return [_rebuild(item, allowed) for item in value if item != REDACTED]
    if isinstance(value, tuple):  # ``!!python/tuple`` in a distilabel 1.5 file
        return tuple(_rebuild(item, allowed) for item in value if item != REDACTED)
    return value


# --- trust_remote_code --------------------------------------------------------------------------------


def check_trust_remote_code(data: Any, allowed: bool = False, source: str = "The file") -> None:
    """Refuse a dump that sets ``trust_remote_code`` unless the caller consents.

    ``trust_remote_code: true`` makes transformers/vLLM run Python code shipped in the
    model's folder, so a shared file must not switch it on by itself. Set in Python code
    (``TransformersLLM(..., trust_remote_code=True)``) it needs nothing.

    Args:
        data: the dump (a pipeline's or a component's).
        allowed: the caller's consent (``allow_trust_remote_code=True``).
        source: how the error names what was loaded.

    Raises:
        DistilabelUserError: a ``trust_remote_code`` key is true and there is no consent,
            neither ``allowed`` nor ``DISTILABEL_ALLOW_TRUST_REMOTE_CODE=1``.
    """
    if allowed or os.environ.get(TRUST_REMOTE_CODE_ENV_VAR, "").strip().lower() in ("1", "true", "yes"):
        return
    found = list(_trust_remote_code_paths(data, ""))
    if found:
        raise DistilabelUserError(
            f"{source} sets trust_remote_code: true (at {', '.join(found)}), which runs Python code from"
            " the model's folder. A file cannot turn that on by itself: if you trust the model, pass"
            " allow_trust_remote_code=True (e.g. Pipeline.from_yaml(path, allow_trust_remote_code=True)),"
            f" use `distilabel pipeline run --allow-trust-remote-code`, or set {TRUST_REMOTE_CODE_ENV_VAR}=1."
        )


def _trust_remote_code_paths(value: Any, path: str) -> Iterable[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if key == "trust_remote_code" and item not in (False, None, 0, "", "false", "False", "no"):
                yield here
            else:
                yield from _trust_remote_code_paths(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            # Pipeline dumps list steps as {"name": ..., "step": ...}: name them, not their index.
            label = item.get("name") if isinstance(item, dict) and isinstance(item.get("name"), str) else index
            yield from _trust_remote_code_paths(item, f"{path}[{label}]")


# --- reading files --------------------------------------------------------------------------------------


def read_json_file(path: Union[str, os.PathLike]) -> Any:
    """Parse a JSON file; a clear error naming the file when it is not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as error:
        raise DistilabelUserError(f"{str(path)!r} is not valid JSON: {error}") from None


def read_yaml_file(path: Union[str, os.PathLike]) -> Any:
    """Parse a YAML (or JSON) file with ``load_yaml``."""
    return load_yaml(Path(path).read_text(encoding="utf-8"), source=repr(str(path)))


class YAMLSyntaxError(DistilabelUserError):
    """The text is not valid YAML (``load_yaml``)."""


def load_yaml(text: str, source: str = "The YAML document") -> Any:
    """Parse YAML safely: plain data only, and bounded.

    Only plain values are built (``yaml.SafeLoader``), and tuples: distilabel 1.5
    wrote tuples as ``!!python/tuple``. A ``SecretStr`` it wrote in plain text reads
    ``"**********"`` (with a warning), so it is dropped, never used; any other
    ``!!python/...`` tag is refused. A document whose aliases (``*name``) would
    expand to more than ``MAX_YAML_ALIAS_EXPANSION`` extra nodes, or whose aliases
    refer to themselves, or that is larger than ``MAX_YAML_BYTES``, is refused.
    JSON (which YAML includes) is read by ``json``, fast at any size.

    Raises:
        YAMLSyntaxError: the text is not valid YAML.
        DistilabelUserError: the text breaks one of the bounds, or asks for a
            Python object other than a tuple.
    """
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML flow style, not JSON
    if len(text) > MAX_YAML_BYTES:
        raise DistilabelUserError(
            f"{source} is {len(text):,} characters, more than the {MAX_YAML_BYTES:,} a YAML file may have;"
            " save large pipelines as JSON."
        )
    try:
        if _has_aliases(text):
            return yaml.load(text, Loader=_BoundedLoader)  # a SafeLoader subclass
        return yaml.load(text, Loader=_FAST_SAFE_LOADER)  # SafeLoader or its C version
    except yaml.YAMLError as error:
        raise YAMLSyntaxError(f"{source} is not valid YAML: {error}") from None
    except RecursionError:
        raise DistilabelUserError(f"{source} is nested too deeply to be read.") from None


# distilabel 1.5 wrote its files with ``yaml.dump``, which tags tuples (e.g. a
# ``stop`` sequence) ``!!python/tuple``, and a ``SecretStr`` field other than
# ``api_key`` (e.g. ``TransformersLLM.token``) as a Python object.
_PYTHON_TAG_PREFIX = "tag:yaml.org,2002:python/"
_PYTHON_TUPLE_TAG = _PYTHON_TAG_PREFIX + "tuple"
_SECRET_STR_TAG = _PYTHON_TAG_PREFIX + "object:pydantic.types.SecretStr"


def _construct_tuple(loader: Any, node: Any) -> Tuple[Any, ...]:
    return tuple(loader.construct_sequence(node, deep=True))


def _construct_secret(loader: Any, node: Any) -> str:
    # Never built as an object, never used: the key comes from its environment variable.
    import warnings

    warnings.warn(
        f"The YAML file holds a secret in plain text (a pydantic SecretStr, line {node.start_mark.line + 1}),"
        " as distilabel 1.5 wrote some of them: it is not used (the value is read from its environment"
        " variable, e.g. HF_TOKEN). Remove it from the file.",
        UserWarning,
        stacklevel=2,
    )
    return REDACTED


def _refuse_python_tag(loader: Any, suffix: str, node: Any) -> Any:
    raise DistilabelUserError(
        f"The YAML file asks for the Python object !!python/{suffix} (line {node.start_mark.line + 1}):"
        " only !!python/tuple is read from a file; nothing else is built from Python tags."
    )


def _with_distilabel_15_tags(loader: Any) -> Any:
    """A subclass of the safe ``loader`` that also reads the tags distilabel 1.5 files carry."""

    class Loader(loader):  # type: ignore[misc, valid-type]
        pass

    Loader.add_constructor(_PYTHON_TUPLE_TAG, _construct_tuple)
    Loader.add_constructor(_SECRET_STR_TAG, _construct_secret)
    Loader.add_multi_constructor(_PYTHON_TAG_PREFIX, _refuse_python_tag)
    Loader.__name__ = Loader.__qualname__ = f"Distilabel{loader.__name__}"
    return Loader


_FAST_SAFE_LOADER: Any = _with_distilabel_15_tags(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _has_aliases(text: str) -> bool:
    # The C parser reads events without building anything; only documents with aliases
    # need the (slower, pure Python) bounded loader.
    return any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=_FAST_SAFE_LOADER))


class _BoundedLoader(_with_distilabel_15_tags(yaml.SafeLoader)):  # type: ignore[misc]
    """``SafeLoader`` that checks, before building anything, how far aliases expand the document."""

    def compose_document(self) -> Any:
        node = super().compose_document()
        _check_alias_expansion(node)
        return node


def _check_alias_expansion(root: Any) -> None:
    sizes: Dict[int, int] = {}
    open_nodes: set = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise DistilabelUserError("The YAML document has an alias that refers to itself; refusing to load it.")
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        open_nodes.discard(key)
        sizes[key] = total
        return total

    expanded = size(root)
    if expanded - len(sizes) > MAX_YAML_ALIAS_EXPANSION:
        raise DistilabelUserError(
            f"The YAML document's aliases (*name) expand it from {len(sizes):,} to {expanded:,} nodes, more than"
            f" the {MAX_YAML_ALIAS_EXPANSION:,} extra nodes allowed; refusing to load it (an alias bomb?)."
            " Write the repeated parts out instead of using anchors and aliases."
        )


# --- distilabel 1.5's file helpers ----------------------------------------------------------------------

DISTILABEL_FILENAME = "distilabel-file.json"
"""The file name ``save()`` used in distilabel 1.5 when given a folder."""

StrOrPath = Union[str, os.PathLike]


def write_json(filename: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, creating the file's folder."""
    path = Path(filename)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def read_json(filename: StrOrPath) -> Any:
    """Read a JSON file (a clear error naming it when it is not JSON)."""
    return read_json_file(filename)


def write_yaml(filename: Path, data: Dict[str, Any]) -> None:
    """Write ``data`` as block-style YAML in key order, creating the file's folder.

    Only plain values are written (tuples as lists), so ``read_yaml`` and any safe
    YAML loader read the file back.
    """
    path = Path(filename)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        yaml.dump(data, file, Dumper=_PlainDumper, default_flow_style=False, sort_keys=False, allow_unicode=True)


def read_yaml(filename: StrOrPath) -> Dict[str, Any]:
    """Read a YAML file with ``load_yaml``: plain values and the tuples distilabel 1.5 wrote, nothing else."""
    return read_yaml_file(filename)


class _PlainDumper(yaml.SafeDumper):
    """``SafeDumper`` that writes tuples (and other sequences) as lists."""


_PlainDumper.add_representer(tuple, lambda dumper, value: dumper.represent_list(list(value)))


def load_with_type_info(class_: Any, allowed_modules: Iterable[str] = ()) -> Any:
    """Rebuild the components in a dumped structure: every dict with a ``type_info``.

    Lists and dicts are walked; each dict naming a class (``type_info``) becomes an
    instance of it. As in ``_Serializable.from_dict``, only classes from ``distilabel``
    and from ``allowed_modules`` (or ``DISTILABEL_ALLOWED_MODULES``) are built, and
    keys the class has no field for are left out.

    Raises:
        DistilabelUserError: a class outside the allowed modules.
    """
    allowed = _allowed_modules(allowed_modules)
    check_trust_remote_code(class_)

    def build(value: Any) -> Any:
        if isinstance(value, list):
            return [build(item) for item in value]
        if not isinstance(value, dict):
            return value
        if not isinstance(value.get(TYPE_INFO_KEY), dict):
            return {key: build(item) for key, item in value.items()}
        data = dict(value)
        target = resolve_class(data.pop(TYPE_INFO_KEY), allowed, expected=object)
        fields = {key: build(item) for key, item in data.items() if item != REDACTED}
        if isinstance(target, type) and issubclass(target, _Serializable):
            return target._from_fields(dict(_drop_unknown_keys(target, fields)))
        if isinstance(target, type) and issubclass(target, BaseModel):
            fields = {key: item for key, item in fields.items() if key in target.model_fields}
        return target(**fields)

    return build(class_)
