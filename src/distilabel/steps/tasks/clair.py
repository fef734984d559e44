"""``CLAIR``: minimal revisions of an answer, for contrastive preference pairs."""

from typing import TYPE_CHECKING, Any, Dict, Final, Optional

from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.utils.template import package_template, render_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType

SYSTEM_PROMPT: Final[str] = (
    "You are a teacher who improves a student's answer as little as needed. You get a {task} and a"
    " {student_solution}. Revise the {student_solution} so that it is more correct, clearer and more"
    " engaging, and keep every part that needs no correction exactly as the student wrote it. Write the"
    " {corrected_student_solution} as a finished answer: do not mention that it is a revision or a correction."
)

# Where the revision starts, in order of preference; the text before it is the reasoning.
_REVISION_MARKERS: Final = (
    "**Corrected Student Solution:**",
    "{corrected_student_solution}:",
    "{corrected_student_solution}",
    "**Worsened Student Solution:**",
    "{worsened_student_solution}:",
    "{worsened_student_solution}",
)
_REASONING_MARKERS: Final = ("{teacher_reasoning}", "**Teacher Reasoning:**")


class CLAIR(Task):
    """Contrastive Learning from AI Revisions: minimally revise an answer to a task.

    The model, acting as a teacher, reasons about what is wrong with the student's
    answer and writes a minimally corrected version. The (revision, original) pair is a
    preference pair whose only differences are the improvements, which makes it a
    precise, contrastive training signal (used with Anchored Preference Optimization).

    Attributes:
        system_prompt: the teacher's instructions. The default names the parts of the
            answer with the ``{teacher_reasoning}`` and ``{corrected_student_solution}``
            identifiers the parser looks for.

    Input columns:
        - task (`str`): the task or instruction.
        - student_solution (`str`): the answer to revise.

    Output columns:
        - revision (`str`): the revised answer.
        - rational (`str`): the teacher's reasoning for the revision.
        - model_name (`str`): the model that revised it.

    References:
        - [Anchored Preference Optimization and Contrastive Revisions: Addressing Underspecification in Alignment](https://arxiv.org/abs/2408.06266)

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import CLAIR

        task = CLAIR(llm=OpenAILLM(model="gpt-4o"))
        task.load()
        rows = next(task.process([{"task": "How far is the Moon?", "student_solution": "About 38,000 km."}]))
        # rows[0]["revision"] -> "About 384,400 km.", rows[0]["rational"] -> "The distance is off by ten."
        ```
    """

    system_prompt: str = SYSTEM_PROMPT

    inputs = column_property(["task", "student_solution"])
    outputs = column_property(["revision", "rational", "model_name"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        prompt = render_template(
            package_template("instruction_data/clair.jinja2"),
            task=input["task"],
            student_solution=input["student_solution"],
        )
        return [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": prompt},
        ]  # type: ignore[return-value]

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Split the answer at the revision marker: the reasoning before it, the revision after.

        ``None`` for both when no marker is found or the revision is empty.
        """
        empty = {"revision": None, "rational": None}
        if output is None:
            return empty
        marker = next((m for m in _REVISION_MARKERS if m in output), None)
        if marker is None:
            return empty
        parts = output.split(marker)
        revision = parts[1].strip()
        if not revision:
            return empty
        rational = parts[0]
        for reasoning_marker in _REASONING_MARKERS:
            if reasoning_marker in rational:
                rational = rational.split(reasoning_marker, 1)[1].strip().lstrip(":")
                break
        return {"revision": revision, "rational": rational.strip()}


__all__ = ["CLAIR"]
