"""``isinstance`` / ``issubclass`` for base clients that our models match without inheriting.

pydantic's model metaclass turns off ``ABC.register``; this metaclass adds the models
a base client lists (``register_models``) back to the checks.
"""

from typing import Any, Tuple, Type

from pydantic import BaseModel

_ModelMetaclass: Any = type(BaseModel)


class BaseClientMeta(_ModelMetaclass):  # type: ignore[misc, valid-type]
    def __subclasscheck__(cls, subclass: Any) -> bool:
        models: Tuple[type, ...] = cls.__dict__.get("_registered_models", ())
        if isinstance(subclass, type) and any(issubclass(subclass, model) for model in models):
            return True
        return super().__subclasscheck__(subclass)

    def __instancecheck__(cls, instance: Any) -> bool:
        return cls.__subclasscheck__(type(instance))


def register_models(base: Type[BaseModel], *models: type) -> None:
    """Make ``models`` (and their subclasses) count as subclasses of ``base``."""
    type.__setattr__(base, "_registered_models", (*base.__dict__.get("_registered_models", ()), *models))
