"""``inputs``/``outputs`` properties for steps whose columns do not depend on their fields."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns


def column_property(columns: "StepColumns") -> property:
    """A read-only property returning ``columns`` (a fresh copy on each read, so callers may change it).

    For a step's ``inputs`` or ``outputs`` when they are the same for every instance::

        class Summarize(Task):
            inputs = column_property(["text"])
            outputs = column_property(["summary", "model_name"])

    A subclass may still override either with its own ``@property``.
    """

    def read(self: object) -> "StepColumns":
        return dict(columns) if isinstance(columns, dict) else list(columns)

    return property(read)
