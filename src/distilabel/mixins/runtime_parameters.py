"""Runtime parameters: fields whose value can be given when the pipeline runs.

A field annotated ``RuntimeParameter[T]`` can be set through
``Pipeline.run(parameters={step_name: {field: value}})``. Components that hold other
components (a Task holding an LLM) expose the nested ones under the field's name.
"""

from typing import Any, Dict, List, Tuple, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, PrivateAttr
from pydantic.fields import FieldInfo
from typing_extensions import Annotated

from distilabel.utils.names import unknown_name_error

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
                    raise unknown_name_error("runtime parameter", name, [*nested, *fields], type(self).__name__)
                nested[name].set_runtime_parameters(value)
            elif name in fields:
                self._set_runtime_parameter(name, value)
            else:
                raise unknown_name_error("runtime parameter", name, [*nested, *fields], type(self).__name__)
            self._runtime_parameters[name] = value

    def _set_runtime_parameter(self, name: str, value: Any) -> None:
        # Assignment goes through pydantic validation, so CLI strings get coerced.
        setattr(self, name, value)
