"""Normalise and check structured output specs (``{"format": ..., "schema": ...}``)."""

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, Optional, Tuple, Type, Union

from pydantic import BaseModel, ValidationError

from distilabel.errors import DistilabelUserError

VALID_FORMATS = ("json", "regex")
_JSON_SCHEMA_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}


@dataclass(frozen=True)
class JsonSchemaOutput:
    """The answer must be JSON following ``schema``.

    Attributes:
        schema: the JSON schema, as a dict.
        name: a name for the schema (providers require one).
        model: the pydantic model the schema came from, if any; used to validate.
    """

    schema: Dict[str, Any] = field(hash=False)
    name: str = "output"
    model: Optional[Type[BaseModel]] = None
    schema_json: str = ""

    def check(self, text: str) -> Optional[str]:
        """``None`` when ``text`` is valid output, else why it is not."""
        try:
            if self.model is not None:
                self.model.model_validate_json(text)
                return None
            value = json.loads(text)
        except (ValidationError, ValueError) as error:
            return f"output does not follow the JSON schema {self.name!r}: {_first_line(error)}"
        problem = _check_instance(value, self.schema, self.schema)
        return None if problem is None else f"output does not follow the JSON schema {self.name!r}: {problem}"


@dataclass(frozen=True)
class RegexOutput:
    """The answer must match ``pattern`` in full."""

    pattern: str
    compiled: "re.Pattern[str]" = field(compare=False, hash=False, repr=False, default=None)  # type: ignore[assignment]

    def check(self, text: str) -> Optional[str]:
        if self.compiled.fullmatch(text) is None and self.compiled.fullmatch(text.strip()) is None:
            return f"output does not match the regex {self.pattern!r}"
        return None


StructuredOutput = Union[JsonSchemaOutput, RegexOutput]


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def normalize_structured_output(spec: Any) -> Optional[StructuredOutput]:
    """Check a user's structured output spec and turn it into one normalised form.

    Accepts ``{"format": "json", "schema": PydanticModel | dict | JSON string}``,
    ``{"format": "regex", "schema": pattern}``, or a bare pydantic model / JSON-schema
    dict (taken as ``format="json"``). ``format`` defaults to ``"json"``.

    Raises:
        DistilabelUserError: unknown format (naming the valid ones), an invalid JSON
            schema, or a regex that does not compile.
    """
    if spec is None:
        return None
    if isinstance(spec, (JsonSchemaOutput, RegexOutput)):
        return spec
    if isinstance(spec, type) and issubclass(spec, BaseModel):
        spec = {"format": "json", "schema": spec}
    if not isinstance(spec, dict):
        raise DistilabelUserError(
            f"structured_output must be a dict like {{'format': 'json', 'schema': ...}}, got {type(spec).__name__}."
        )
    if "schema" not in spec and ("properties" in spec or "type" in spec):
        spec = {"format": "json", "schema": spec}
    fmt = spec.get("format") or "json"
    if fmt not in VALID_FORMATS:
        raise DistilabelUserError(
            f"Unknown structured output format {fmt!r}. Valid formats: {', '.join(VALID_FORMATS)}."
        )
    if "schema" not in spec:
        raise DistilabelUserError("structured_output needs a 'schema': a pydantic model, a JSON schema or a regex.")
    schema = spec["schema"]
    if fmt == "regex":
        return _regex_output(schema)
    return _json_output(schema)


def _regex_output(pattern: Any) -> RegexOutput:
    if not isinstance(pattern, str):
        raise DistilabelUserError(f"A regex structured output needs a string pattern, got {type(pattern).__name__}.")
    return RegexOutput(pattern=pattern, compiled=_compile(pattern))


@lru_cache(maxsize=256)
def _compile(pattern: str) -> "re.Pattern[str]":
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error as error:
        raise DistilabelUserError(f"The regex {pattern!r} does not compile: {error}.") from error


def _json_output(schema: Any) -> JsonSchemaOutput:
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return _model_output(schema)
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError as error:
            raise DistilabelUserError(f"The JSON schema is not valid JSON: {error}.") from error
    if not isinstance(schema, dict):
        raise DistilabelUserError(
            f"A JSON structured output needs a pydantic model or a JSON schema dict, got {type(schema).__name__}."
        )
    problem = _schema_problem(schema, "#")
    if problem is not None:
        raise DistilabelUserError(f"Invalid JSON schema: {problem}.")
    name = _schema_name(str(schema.get("title") or "output"))
    return JsonSchemaOutput(schema, name, None, json.dumps(schema, sort_keys=True))


@lru_cache(maxsize=256)
def _model_output(model: Type[BaseModel]) -> JsonSchemaOutput:
    # Generating a model's JSON schema is slow; rows often share one model.
    as_dict = model.model_json_schema()
    return JsonSchemaOutput(as_dict, _schema_name(model.__name__), model, json.dumps(as_dict, sort_keys=True))


def _schema_name(title: str) -> str:
    # Providers restrict names to [a-zA-Z0-9_-]{1,64}.
    return re.sub(r"[^a-zA-Z0-9_-]", "_", title)[:64] or "output"


def _schema_problem(schema: Any, where: str) -> Optional[str]:
    """A description of the first structural error in a JSON schema, or ``None``."""
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, dict):
        return f"{where} must be an object, got {type(schema).__name__}"
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for item in kinds:
        if item not in _JSON_SCHEMA_TYPES:
            return f"{where}/type is {item!r}, not one of {', '.join(sorted(_JSON_SCHEMA_TYPES))}"
    properties = schema.get("properties")
    if properties is not None:
        if not isinstance(properties, dict):
            return f"{where}/properties must be an object"
        for name, sub in properties.items():
            if (problem := _schema_problem(sub, f"{where}/properties/{name}")) is not None:
                return problem
    required = schema.get("required")
    if required is not None and not (isinstance(required, list) and all(isinstance(r, str) for r in required)):
        return f"{where}/required must be a list of property names"
    if "items" in schema and (problem := _schema_problem(schema["items"], f"{where}/items")) is not None:
        return problem
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = schema[key]
            if not isinstance(options, list) or not options:
                return f"{where}/{key} must be a non-empty list"
            for i, sub in enumerate(options):
                if (problem := _schema_problem(sub, f"{where}/{key}/{i}")) is not None:
                    return problem
    for key in ("$defs", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            if (problem := _schema_problem(sub, f"{where}/{key}/{name}")) is not None:
                return problem
    if "enum" in schema and not isinstance(schema["enum"], list):
        return f"{where}/enum must be a list"
    return None


_PY_TYPES: Dict[str, Tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _resolve_ref(ref: str, root: Dict[str, Any]) -> Any:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return True
        node = node[part]
    return node


def _check_instance(value: Any, schema: Any, root: Dict[str, Any], path: str = "$") -> Optional[str]:
    """Validate ``value`` against the commonly used subset of JSON schema."""
    if schema is True or schema == {}:
        return None
    if schema is False:
        return f"{path}: no value is allowed"
    if "$ref" in schema:
        return _check_instance(value, _resolve_ref(schema["$ref"], root), root, path)
    if "const" in schema and value != schema["const"]:
        return f"{path}: expected {schema['const']!r}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{path}: {value!r} is not one of {schema['enum']!r}"
    for key in ("anyOf", "oneOf"):
        if key in schema and all(_check_instance(value, s, root, path) is not None for s in schema[key]):
            return f"{path}: matches none of the {key} options"
    for sub in schema.get("allOf", []):
        if (problem := _check_instance(value, sub, root, path)) is not None:
            return problem
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_has_type(value, k) for k in kinds):
            return f"{path}: expected {' or '.join(kinds)}, got {type(value).__name__}"
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                return f"{path}: missing required property {name!r}"
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                if (problem := _check_instance(item, properties[name], root, f"{path}.{name}")) is not None:
                    return problem
            elif schema.get("additionalProperties") is False:
                return f"{path}: unexpected property {name!r}"
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            if (problem := _check_instance(item, schema["items"], root, f"{path}[{i}]")) is not None:
                return problem
    return None


def _has_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("number",) and isinstance(value, bool):
        return False
    return isinstance(value, _PY_TYPES.get(kind, (object,)))


def split_formatted_input(input: Any) -> Tuple[Any, Any]:
    """Split a ``FormattedInput`` into the prompt (chat or string) and its row-level structured output."""
    if isinstance(input, tuple) and len(input) == 2:
        return input[0], input[1]
    return input, None


def as_conversation(prompt: Any) -> Any:
    """A plain prompt string as a conversation of one user message; a conversation as it is."""
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
