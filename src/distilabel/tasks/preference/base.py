"""``PreferenceTask``: the base of distilabel 0.x's tasks that rate several answers to one instruction."""

from typing import List

from distilabel.tasks.base import Task


class PreferenceTask(Task):
    """A task that judges several ``generations`` for one ``input``.

    Input columns:
        - input (`str`): the instruction.
        - generations (`List[str]`): the answers to judge.

    Output columns:
        - rating: the rating(s) the judge gave.
        - rationale: why.
    """

    __type__ = "labelling"

    @property
    def input_args_names(self) -> List[str]:
        return ["input", "generations"]

    @property
    def output_args_names(self) -> List[str]:
        return ["rating", "rationale"]


def fill_placeholders(text: str, **values: object) -> str:
    """``text`` with each ``{name}`` replaced by its value; other braces are left alone.

    0.x task descriptions hold ``{num_responses}``-style placeholders; ``str.format``
    would also evaluate ``{x.attr}`` fields and fail on literal braces.
    """
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


__all__ = ["PreferenceTask", "fill_placeholders"]
