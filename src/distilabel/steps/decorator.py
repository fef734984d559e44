"""``@step``: make a step class out of a function.

```python
@step(inputs=["instruction"], outputs=["length"])
def InstructionLength(inputs: StepInput, factor: RuntimeParameter[int] = 1) -> StepOutput:
    for row in inputs:
        row["length"] = len(row["instruction"]) * factor
    yield inputs
```

Parameters other than the rows (``StepInput``, or ``offset`` for generators) become
fields of the class, and runtime parameters when annotated ``RuntimeParameter[T]``.
"""

import inspect
from typing import Any, Callable, Dict, Literal, Type, Union, get_type_hints

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import GeneratorStep, GlobalStep, Step, StepInput, _Step

_BASES: Dict[str, Type[_Step]] = {"normal": Step, "global": GlobalStep, "generator": GeneratorStep}


def _is_rows_parameter(param: inspect.Parameter, hints: Dict[str, Any]) -> bool:
    if param.kind is inspect.Parameter.VAR_POSITIONAL:
        return True
    return hints.get(param.name) == StepInput or param.annotation in (StepInput, "StepInput")


def step(
    inputs: Union[list, dict, None] = None,
    outputs: Union[list, dict, None] = None,
    step_type: Literal["normal", "global", "generator"] = "normal",
) -> Callable[[Callable[..., Any]], Type[_Step]]:
    """Make a step class from a generator function.

    Args:
        inputs: the columns the step reads (list, or dict of name -> required).
        outputs: the columns the step writes.
        step_type: ``"normal"`` (batches), ``"global"`` (all rows at once) or ``"generator"``.
    """
    if step_type not in _BASES:
        raise DistilabelUserError(f"Unknown step_type {step_type!r}: use one of {sorted(_BASES)}.")
    base = _BASES[step_type]

    def decorator(func: Callable[..., Any]) -> Type[_Step]:
        signature = inspect.signature(func)
        try:
            hints = get_type_hints(func, include_extras=True)
        except Exception:
            hints = {}
        annotations: Dict[str, Any] = {}
        namespace: Dict[str, Any] = {"__module__": func.__module__, "__doc__": func.__doc__, "__qualname__": func.__name__}
        field_names = []
        rows_params = []
        for name, param in signature.parameters.items():
            if (step_type == "generator" and name == "offset") or _is_rows_parameter(param, hints):
                rows_params.append(param)
                continue
            annotations[name] = hints.get(name, Any)
            if param.default is not inspect.Parameter.empty:
                namespace[name] = param.default
            field_names.append(name)
        namespace["__annotations__"] = annotations
        declared_inputs, declared_outputs = inputs or [], outputs or []
        namespace["inputs"] = property(lambda self: declared_inputs)
        namespace["outputs"] = property(lambda self: declared_outputs)

        def own_kwargs(self: _Step) -> Dict[str, Any]:
            return {name: getattr(self, name) for name in field_names}

        if step_type == "generator":

            def process(self: Any, offset: int = 0) -> Any:
                kwargs = own_kwargs(self)
                if any(p.name == "offset" for p in rows_params):
                    kwargs["offset"] = offset
                yield from func(**kwargs)

        elif any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in rows_params):

            def process(self: Any, *inputs: StepInput) -> Any:  # type: ignore[misc]
                yield from func(*inputs, **own_kwargs(self))

        else:

            def process(self: Any, inputs: StepInput) -> Any:  # type: ignore[misc]
                yield from func(inputs, **own_kwargs(self))

        namespace["process"] = process
        return type(func.__name__, (base,), namespace)

    return decorator


