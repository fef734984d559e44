"""Dump components to dicts, JSON and YAML, and rebuild them safely.

A dump records each component's class as ``type_info: {"module", "name"}``.
Rebuilding imports a class only from ``distilabel`` or from modules the caller
allows, so a YAML file cannot make the loader import arbitrary code. Secrets
(``SecretStr`` fields such as ``api_key``) are never written.
"""

import importlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any, Dict, Iterable, Literal, Optional, Tuple, Type, TypeVar, Union, get_args

import yaml
from pydantic import BaseModel, SecretStr, model_serializer

from distilabel.errors import DistilabelUserError

TYPE_INFO_KEY = "type_info"
ALLOWED_MODULES_ENV_VAR = "DISTILABEL_ALLOWED_MODULES"
_ALWAYS_ALLOWED = ("distilabel",)

SaveFormats = Literal["json", "yaml"]
_S = TypeVar("_S", bound="_Serializable")


def _mentions_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(_mentions_secret(arg) for arg in get_args(annotation))


@cache
def _secret_fields(cls: Type[BaseModel]) -> Tuple[str, ...]:
    return tuple(name for name, field in cls.model_fields.items() if _mentions_secret(field.annotation))


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
        data[TYPE_INFO_KEY] = type_info(type(self))
        return data

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
    def from_dict(cls: Type[_S], data: Dict[str, Any], *, allowed_modules: Iterable[str] = ()) -> _S:
        """Rebuild a component from ``dump()``'s output.

        Args:
            data: the dumped dict.
            allowed_modules: modules, besides ``distilabel``, whose classes may be
                rebuilt (e.g. your own package with custom steps). Also read from the
                comma-separated ``DISTILABEL_ALLOWED_MODULES`` environment variable.

        Raises:
            DistilabelUserError: the dump names a class outside the allowed modules,
                or one that is not a ``cls``.
        """
        allowed = _allowed_modules(allowed_modules)
        data = dict(data)
        info = data.pop(TYPE_INFO_KEY, None)
        target = resolve_class(info, allowed, expected=cls) if info is not None else cls
        fields = {key: _rebuild(value, allowed) for key, value in data.items()}
        return target._from_fields(fields)

    @classmethod
    def _from_fields(cls: Type[_S], fields: Dict[str, Any]) -> _S:
        """Instantiate from rebuilt fields; components with derived state override this."""
        return cls(**fields)

    @classmethod
    def from_json(cls: Type[_S], path: Union[str, os.PathLike], *, allowed_modules: Iterable[str] = ()) -> _S:
        return cls.from_dict(json.loads(Path(path).read_text()), allowed_modules=allowed_modules)

    @classmethod
    def from_yaml(cls: Type[_S], path: Union[str, os.PathLike], *, allowed_modules: Iterable[str] = ()) -> _S:
        return cls.from_dict(yaml.safe_load(Path(path).read_text()), allowed_modules=allowed_modules)

    @classmethod
    def from_file(cls: Type[_S], path: Union[str, os.PathLike], *, allowed_modules: Iterable[str] = ()) -> _S:
        if _format_from_suffix(Path(path)) == "json":
            return cls.from_json(path, allowed_modules=allowed_modules)
        return cls.from_yaml(path, allowed_modules=allowed_modules)


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
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise DistilabelUserError(f"Module {module_name!r} has no class {qualname!r}.")
    if not (isinstance(obj, type) and issubclass(obj, expected)):
        raise DistilabelUserError(f"{module_name}.{qualname} is not a {expected.__name__}; refusing to load it.")
    return obj


def _rebuild(value: Any, allowed: Tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        if TYPE_INFO_KEY in value and isinstance(value[TYPE_INFO_KEY], dict):
            return _Serializable.from_dict(value, allowed_modules=allowed)
        return {key: _rebuild(item, allowed) for key, item in value.items()}
    if isinstance(value, list):
        return [_rebuild(item, allowed) for item in value]
    return value
