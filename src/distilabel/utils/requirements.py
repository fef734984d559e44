"""``@requirements([...])``: declare the pip requirements of a custom step class.

The requirements become the step's ``requirements`` and its pipeline's; the pipeline
writes them in its dump and refuses to run while one is not installed.
"""

from typing import Callable, List, TypeVar

S = TypeVar("S", bound=type)

CLASS_REQUIREMENTS_ATTR = "_requirements_of_class"


def requirements(requirements: List[str]) -> Callable[[S], S]:
    """Add pip requirements (``"numpy>=1.26"``) to a step class.

    Args:
        requirements: the requirements, in pip's syntax.

    Returns:
        A class decorator.

    Examples:
        >>> from distilabel.steps import Step, StepInput
        >>> @requirements(["numpy>=1.0"])
        ... class Normalize(Step):
        ...     def process(self, inputs: StepInput):
        ...         yield inputs
        >>> Normalize().requirements
        ['numpy>=1.0']
    """
    declared = [requirements] if isinstance(requirements, str) else list(requirements)

    def decorator(step_class: S) -> S:
        inherited = list(getattr(step_class, CLASS_REQUIREMENTS_ATTR, []))
        type.__setattr__(step_class, CLASS_REQUIREMENTS_ATTR, [*inherited, *declared])
        return step_class

    return decorator


__all__ = ["requirements"]
