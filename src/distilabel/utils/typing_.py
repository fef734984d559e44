"""Helpers on type hints (distilabel 1.5's ``distilabel.utils.typing_``)."""

import inspect
from typing import Any, Union

from pydantic import SecretBytes, SecretStr
from typing_extensions import Annotated, get_args, get_origin


def is_parameter_annotated_with(parameter: inspect.Parameter, annotation: Any) -> bool:
    """Whether ``parameter`` is hinted ``Annotated[..., annotation, ...]``.

    Examples:
        >>> from distilabel.steps import StepInput
        >>> def process(inputs: StepInput): ...
        >>> is_parameter_annotated_with(inspect.signature(process).parameters["inputs"], "StepInput")
        True
    """
    if get_origin(parameter.annotation) is not Annotated:
        return False
    return any(metadata == annotation for metadata in get_args(parameter.annotation)[1:])


def extract_annotation_inner_type(type_hint: Any) -> Any:
    """The type inside ``Annotated[...]`` and ``Optional[...]`` wrappers (``Optional[Annotated[int, ...]]`` -> ``int``)."""
    args = get_args(type_hint)
    if get_origin(type_hint) is Annotated:
        return extract_annotation_inner_type(args[0])
    if get_origin(type_hint) is Union and type(None) in args:
        return extract_annotation_inner_type(args[0])
    return type_hint


def is_type_pydantic_secret_field(type_: type) -> bool:
    """Whether ``type_`` is a pydantic secret (``SecretStr`` / ``SecretBytes`` or a subclass)."""
    return inspect.isclass(type_) and issubclass(type_, (SecretStr, SecretBytes))


__all__ = ["extract_annotation_inner_type", "is_parameter_annotated_with", "is_type_pydantic_secret_field"]
