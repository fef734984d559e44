"""``JudgeLMTask``: score several answers on one line, then explain (JudgeLM, distilabel 0.x).

Reference: Zhu et al., "JudgeLM: Fine-tuned Large Language Models are Scalable
Judges" (2023), https://arxiv.org/abs/2310.17631.
"""

import re
from typing import ClassVar, List

from pydantic.dataclasses import dataclass
from typing_extensions import TypedDict

from distilabel.tasks.preference.base import PreferenceTask, fill_placeholders
from distilabel.tasks.prompt import Prompt

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class JudgeLMOutput(TypedDict):
    """What ``JudgeLMTask.parse_output`` returns."""

    rating: List[float]
    rationale: str


@dataclass
class JudgeLMTask(PreferenceTask):
    """Ask a judge for an overall score from 1 to 10 for each answer, written on the
    first line of its reply, followed by an explanation.

    Attributes:
        system_prompt: the judge's system prompt.
        task_description: the judging instructions; ``{num_responses}`` becomes the
            number of answers.

    Output columns:
        - rating (`List[float]`): one score per answer, in order.
        - rationale (`str`): the explanation.

    Examples:
        >>> from distilabel.tasks import JudgeLMTask
        >>> JudgeLMTask().parse_output("8 6\\nAssistant 1 is more precise.")
        {'rating': [8.0, 6.0], 'rationale': 'Assistant 1 is more precise.'}
    """

    task_description: str = (
        "Judge how well each of the {num_responses} AI assistants above answered the user's question:"
        " how helpful, relevant, accurate and detailed each answer is. Give every assistant one overall"
        " score from 1 to 10, where a higher score means a better answer.\n"
        "On the first line, write only the {num_responses} scores, for Assistant 1 to Assistant"
        " {num_responses} in that order, separated by single spaces. From the second line on, explain"
        " your scores. Judge what the answers say, not the order they were shown in or their length."
    )
    system_prompt: str = "You are a fair, exact judge of the quality of answers to questions."

    _modern_equivalent: ClassVar[str] = (
        "a judging task of distilabel.steps.tasks (e.g. UltraFeedback, QualityScorer or PrometheusEval)"
    )
    _template_name: ClassVar[str] = "legacy_0x/judgelm.jinja2"

    def generate_prompt(self, input: str, generations: List[str]) -> Prompt:  # type: ignore[override]
        """The judging request for ``generations``, the answers to ``input``."""
        description = fill_placeholders(self.task_description, num_responses=len(generations))
        formatted = self.template.render(input=input, responses=generations, task_description=description)
        return Prompt(system_prompt=self.system_prompt, formatted_prompt=formatted)

    def parse_output(self, output: str) -> JudgeLMOutput:
        """The scores on the first non-empty line, and the rest as the rationale.

        Raises:
            ValueError: the first line holds no score.
        """
        lines = output.strip().split("\n")
        scores = [float(value) for value in _NUMBER.findall(lines[0])]
        if not scores:
            raise ValueError(f"JudgeLMTask: the first line of the answer holds no scores: {lines[0]!r}")
        return JudgeLMOutput(rating=scores, rationale="\n".join(lines[1:]).strip())


__all__ = ["JudgeLMOutput", "JudgeLMTask"]
