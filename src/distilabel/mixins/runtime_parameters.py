"""Runtime parameters: fields whose value can be given when the pipeline runs.

A field annotated ``RuntimeParameter[T]`` can be set through
``Pipeline.run(parameters={step_name: {field: value}})``. Components that hold other
components (a Task holding an LLM) expose the nested ones under the field's name.
"""

import inspect
from functools import cached_property
from typing import Any, Dict, List, Tuple, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, PrivateAttr
from pydantic.fields import FieldInfo
from typing_extensions import Annotated

from distilabel.errors import DistilabelUserError
from distilabel.utils.names import name_paths, unknown_name_error

_T = TypeVar("_T")
_RUNTIME_PARAMETER_ANNOTATION = "distilabel_step_runtime_parameter"

RuntimeParameter = Annotated[Union[_T, None], _RUNTIME_PARAMETER_ANNOTATION]
"""Marks a field as settable at run time. The field is optional when it has a
default other than ``None`` or is written ``Optional[RuntimeParameter[T]]``."""

RuntimeParametersNames = Dict[str, Union[bool, "RuntimeParametersNames"]]
"""Runtime parameter names mapped to whether they are optional; nested components
map to their own names."""

RuntimeParameterInfo = Dict[str, Any]


def _is_runtime_parameter(field: FieldInfo) -> Tuple[bool, bool]:
    """Whether ``field`` is a runtime parameter, and whether it is optional."""
    if _RUNTIME_PARAMETER_ANNOTATION in field.metadata:
        return True, field.default is not None or field.default_factory is not None
    for arg in get_args(field.annotation):
        if get_origin(arg) is Annotated and _RUNTIME_PARAMETER_ANNOTATION in get_args(arg)[1:]:
            return True, True
    return False, False


class RuntimeParametersMixin(BaseModel):
    """Gives a pydantic model runtime parameters: names, descriptions, setting them."""

    _runtime_parameters: Dict[str, Any] = PrivateAttr(default_factory=dict)

    def _runtime_parameter_fields(self) -> Dict[str, Tuple[FieldInfo, bool]]:
        found = {}
        for name, field in type(self).model_fields.items():
            is_runtime, optional = _is_runtime_parameter(field)
            if is_runtime:
                found[name] = (field, optional)
        return found

    def _nested_runtime_components(self) -> Dict[str, "RuntimeParametersMixin"]:
        return {
            name: value
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name, None), RuntimeParametersMixin)
        }

    @property
    def runtime_parameters_names(self) -> RuntimeParametersNames:
        """The runtime parameters of this component, mapped to whether they are optional."""
        names: RuntimeParametersNames = {}
        for name, component in self._nested_runtime_components().items():
            names[name] = component.runtime_parameters_names
        for name, (_, optional) in self._runtime_parameter_fields().items():
            names[name] = optional
        return names

    def get_runtime_parameters_info(self) -> List[RuntimeParameterInfo]:
        """Name, optionality and description of each runtime parameter, nested ones included."""
        info: List[RuntimeParameterInfo] = []
        for name, component in self._nested_runtime_components().items():
            info.append({"name": name, "runtime_parameters_info": component.get_runtime_parameters_info()})
        for name, (field, optional) in self._runtime_parameter_fields().items():
            entry: RuntimeParameterInfo = {"name": name, "optional": optional}
            if field.description is not None:
                entry["description"] = field.description
            info.append(entry)
        return info

    def set_runtime_parameters(self, runtime_parameters: Dict[str, Any]) -> None:
        """Set runtime parameters, recursing into nested components.

        Args:
            runtime_parameters: parameter names mapped to values; a nested component
                (e.g. ``"llm"``) maps to a dict of its own parameters.

        Raises:
            DistilabelUserError: a name is not a runtime parameter of this component;
                the message lists the valid names and the closest one.
        """
        nested = self._nested_runtime_components()
        fields = self._runtime_parameter_fields()
        for name, value in runtime_parameters.items():
            if name in nested:
                if not isinstance(value, dict):
                    raise DistilabelUserError(
                        f"Runtime parameter {name!r} of {type(self).__name__} holds the parameters of its"
                        f" {type(nested[name]).__name__}: pass a dict, e.g. {{{name!r}: {{...}}}}, got {value!r}."
                    )
                nested[name].set_runtime_parameters(value)
            elif name in fields:
                self._set_runtime_parameter(name, value)
            else:
                raise self._unknown_runtime_parameter(name, value, [*nested, *fields])
            self._runtime_parameters[name] = value

    def _unknown_runtime_parameter(self, name: str, value: Any, valid: List[str]) -> Exception:
        # Names one level down count too: `temperature` given to an LLM is a generation
        # kwarg, and the message says so instead of suggesting `tokens_per_minute`.
        nested = [path for path in name_paths(self.runtime_parameters_names) if len(path) > 1]
        return unknown_name_error("runtime parameter", name, valid, type(self).__name__, nested=nested, value=value)

    def _set_runtime_parameter(self, name: str, value: Any) -> None:
        # Assignment goes through pydantic validation, so CLI strings get coerced.
        setattr(self, name, value)


_NOT_GENERATION_KWARGS = ("input", "inputs", "num_generations")


class RuntimeParametersModelMixin(RuntimeParametersMixin):
    """Runtime parameters of a model (an LLM, an image generation model): its fields,
    plus ``generation_kwargs``, whose keys are the arguments of its ``generate`` method.

    ``get_runtime_parameters_info`` lists those keys under the ``generation_kwargs``
    entry (``"keys"``), each with whether it is optional and the description its
    ``generate`` docstring gives it (Google style ``Args:``).
    """

    @property
    def generate_parameters(self) -> List[inspect.Parameter]:
        """The parameters of ``generate`` (as ``inspect.Parameter``)."""
        return list(inspect.signature(self.generate).parameters.values())  # type: ignore[attr-defined]

    def _generation_kwargs_names(self) -> Dict[str, bool]:
        return {
            param.name: param.default is not inspect.Parameter.empty
            for param in self.generate_parameters
            if param.name not in _NOT_GENERATION_KWARGS
            and param.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        }

    @property
    def runtime_parameters_names(self) -> RuntimeParametersNames:
        names = super().runtime_parameters_names
        names["generation_kwargs"] = self._generation_kwargs_names()
        return names

    def get_runtime_parameters_info(self) -> List[RuntimeParameterInfo]:
        info = super().get_runtime_parameters_info()
        descriptions = self.generate_parsed_docstring["args"]
        keys = [
            {"name": name, "optional": optional, **({"description": descriptions[name]} if name in descriptions else {})}
            for name, optional in self._generation_kwargs_names().items()
        ]
        for entry in info:
            if entry["name"] == "generation_kwargs":
                entry["keys"] = keys
                break
        return info

    @cached_property
    def generate_parsed_docstring(self) -> Dict[str, Any]:
        """``generate``'s docstring: ``short_description`` (its first line) and ``args`` (name -> description)."""
        from distilabel.utils.docstring import parse_args_section

        doc = inspect.getdoc(self.generate) or ""  # type: ignore[attr-defined]
        return {"short_description": doc.split("\n", 1)[0].strip(), "args": parse_args_section(doc)}
