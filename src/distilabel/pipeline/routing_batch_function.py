"""Routing batch functions: send each batch of a step to only some of its successors.

```python
sample_two_steps = sample_n_steps(2)
load >> sample_two_steps >> [task_a, task_b, task_c]
```
"""

import random
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union

from pydantic import BaseModel, ConfigDict, PrivateAttr

from distilabel.errors import DistilabelUserError

if TYPE_CHECKING:
    from distilabel.steps.base import _Step

RoutingFunction = Callable[[List[str]], List[str]]


class RoutingBatchFunction(BaseModel):
    """Chooses, for each batch a step yields, which of its successors receive it.

    Attributes:
        routing_function: takes the successors' names, returns the names to send to.
        description: shown in ``dump()``.
        routing_kwargs: the arguments the function was built with (for ``dump()``).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    routing_function: RoutingFunction
    description: Optional[str] = None
    routing_kwargs: Dict[str, Any] = {}
    factory_name: Optional[str] = None

    _step: Optional["_Step"] = PrivateAttr(default=None)

    def __call__(self, successors: List[str]) -> List[str]:
        chosen = list(self.routing_function(successors))
        unknown = [name for name in chosen if name not in successors]
        if unknown:
            raise DistilabelUserError(
                f"Routing batch function returned {unknown}, which are not successors of the step: {successors}."
            )
        return chosen

    @property
    def step(self) -> Optional["_Step"]:
        return self._step

    @step.setter
    def step(self, step: "_Step") -> None:
        self._step = step

    def __rshift__(self, other: Union["_Step", List["_Step"]]) -> Union["_Step", List["_Step"]]:
        """``router >> [a, b]``: connect the routed step to ``a`` and ``b`` through this function."""
        if self._step is None:
            raise DistilabelUserError("Use `step >> routing_batch_function >> [steps]`: no step routes through it.")
        targets = other if isinstance(other, list) else [other]
        self._step.connect(*targets, routing_batch_function=self)
        return other

    def dump(self) -> Dict[str, Any]:
        return {
            "description": self.description,
            "factory": self.factory_name,
            "kwargs": self.routing_kwargs,
        }


def routing_batch_function(
    description: Optional[str] = None,
) -> Callable[[RoutingFunction], RoutingBatchFunction]:
    """Turn a function ``(successors: List[str]) -> List[str]`` into a routing batch function."""

    def decorator(func: RoutingFunction) -> RoutingBatchFunction:
        return RoutingBatchFunction(
            routing_function=func, description=description or func.__doc__, factory_name=None
        )

    return decorator


def sample_n_steps(n: int) -> RoutingBatchFunction:
    """Send each batch to ``n`` successors picked at random."""
    if n < 1:
        raise DistilabelUserError(f"sample_n_steps needs n >= 1, got {n}.")

    def sample(successors: List[str]) -> List[str]:
        if n > len(successors):
            raise DistilabelUserError(f"sample_n_steps({n}) cannot pick {n} of {len(successors)} successors.")
        return random.sample(successors, n)

    return RoutingBatchFunction(
        routing_function=sample,
        description=f"Sample {n} steps from the list of downstream steps.",
        routing_kwargs={"n": n},
        factory_name="sample_n_steps",
    )


_FACTORIES = {"sample_n_steps": sample_n_steps}


def routing_from_dump(data: Dict[str, Any]) -> RoutingBatchFunction:
    """Rebuild a routing batch function from an entry of a pipeline dump's ``routing_batch_functions``.

    Reads this package's entries, ``{"step", "routing_batch_function": {"factory",
    "kwargs", ...}}``, and distilabel 1.5's, ``{"step", "description", "type_info":
    {"module", "name", "kwargs"}}``. Either way only the factories defined here
    (``sample_n_steps``) are called: a file cannot name another function.
    """
    if isinstance(data.get("routing_batch_function"), dict):
        data = data["routing_batch_function"]
        name, kwargs = data.get("factory") or "", data.get("kwargs") or {}
    else:
        info = data.get("type_info") or {}
        module = info.get("module")
        name, kwargs = info.get("name") or "", info.get("kwargs") or {}
        if module is not None and module != __name__:
            name = ""  # not one of ours
    factory = _FACTORIES.get(name)
    if factory is None:
        raise DistilabelUserError(
            f"Cannot rebuild the routing batch function {data!r} from a file: only"
            f" {sorted(_FACTORIES)} can be; add custom ones in Python."
        )
    function = factory(**kwargs)
    if data.get("description"):
        function.description = data["description"]
    return function


__all__ = ["RoutingBatchFunction", "routing_batch_function", "sample_n_steps"]
