"""``UltraJudgeTask``: score several answers area by area, then overall (distilabel 0.x).

UltraJudge was Argilla's judge for distilabel 0.x, built on UltraFeedback and
JudgeLM: per assistant, each area as ``<area> - <score>`` and a line of feedback,
then ``Final scores: s1 s2 ...``. The wording here is ours.
"""

import re
from typing import ClassVar, Dict, List, Optional

from pydantic import Field
from pydantic.dataclasses import dataclass
from typing_extensions import TypedDict

from distilabel.tasks.preference.base import PreferenceTask, fill_placeholders
from distilabel.tasks.prompt import Prompt

_ASSISTANT = re.compile(r"^[ \t]*[#*_]*[ \t]*Assistant[ \t]+(\d+)[*_]*[ \t]*:?[*_]*[ \t]*$", re.IGNORECASE | re.MULTILINE)
_FINAL_SCORES = re.compile(r"Final scores?[*_]*\s*:[*_]*[ \t]*((?:-?\d+(?:\.\d+)?[ \t,]*)+)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class Area(TypedDict):
    """The score and feedback of one assistant in one area."""

    rating: float
    rationale: str


class UltraJudgeOutput(TypedDict):
    """The judgement of one assistant."""

    rating: float
    areas: Dict[str, Area]


@dataclass
class UltraJudgeTask(PreferenceTask):
    """Judge several answers the way a user would, area by area, then give each an
    overall score from 0 to 10.

    Attributes:
        system_prompt: the judge's system prompt.
        task_description: the judging instructions; ``{num_responses}`` becomes the
            number of answers and ``{areas}`` the list of areas.
        areas: the areas each answer is scored in.

    Output columns (``parse_output`` returns one dict per answer, in order):
        - rating (`float`): the overall score.
        - areas (`Dict[str, Dict]`): per area, ``{"rating": float, "rationale": str}``.

    Examples:
        >>> from distilabel.tasks import UltraJudgeTask
        >>> task = UltraJudgeTask(areas=["Accuracy", "Clarity"])
        >>> task.areas_str
        'Accuracy, and Clarity'
    """

    system_prompt: str = (
        "You evaluate AI assistants' answers the way the person who asked would: you care whether an"
        " answer solves the problem, is correct, is clear, can be trusted, and does what was meant."
        " Read each answer as that person, be impartial, and explain what is good and what is missing."
    )
    task_description: str = (
        "Evaluate the answers of {num_responses} AI assistants to the instruction below, as the person who"
        " asked would. Score every assistant in each of these areas: {areas}. For each assistant and area,"
        " give a score from 0 to 10 and a line of feedback. Then give the {num_responses} overall scores, for"
        " Assistant 1 to Assistant {num_responses}, separated by spaces."
    )
    areas: List[str] = Field(
        default_factory=lambda: [
            "Practical Accuracy",
            "Clarity & Transparency",
            "Authenticity & Reliability",
            "Compliance with Intent",
        ]
    )

    _modern_equivalent: ClassVar[str] = (
        "a judging task of distilabel.steps.tasks (e.g. UltraFeedback, QualityScorer or PrometheusEval)"
    )
    _template_name: ClassVar[str] = "legacy_0x/ultrajudge.jinja2"

    @property
    def output_args_names(self) -> List[str]:
        return ["rating", "areas"]

    @property
    def areas_str(self) -> str:
        """The areas as one phrase: ``"A, B, and C"``."""
        if len(self.areas) == 1:
            return self.areas[0]
        return ", ".join(self.areas[:-1]) + ", and " + self.areas[-1]

    def generate_prompt(self, input: str, generations: List[str]) -> Prompt:  # type: ignore[override]
        """The judging request for ``generations``, the answers to ``input``."""
        description = fill_placeholders(self.task_description, num_responses=len(generations), areas=self.areas_str)
        formatted = self.template.render(
            task_description=description, instruction=input, responses=generations, areas=self.areas
        )
        return Prompt(system_prompt=self.system_prompt, formatted_prompt=formatted)

    def parse_output(self, output: str) -> List[UltraJudgeOutput]:
        """One ``{"rating", "areas"}`` per assistant, from the ``Final scores:`` line and
        the ``<area> - <score>`` lines under each ``Assistant N:`` heading.

        Raises:
            ValueError: the answer has no ``Final scores:`` line.
        """
        final = _FINAL_SCORES.search(output)
        if final is None:
            raise ValueError("UltraJudgeTask: the answer has no 'Final scores:' line.")
        scores = [float(value) for value in _NUMBER.findall(final.group(1))]
        sections = self._sections(output[: final.start()])
        return [UltraJudgeOutput(rating=score, areas=sections.get(i, {})) for i, score in enumerate(scores, start=1)]

    def _sections(self, text: str) -> Dict[int, Dict[str, Area]]:
        """Per assistant number, the areas its section scores."""
        area_line = re.compile(
            r"^[ \t]*[*_-]*[ \t]*(" + "|".join(re.escape(area) for area in self.areas) + r")[*_]*[ \t]*[-:][ \t]*"
            r"[*_]*(-?\d+(?:\.\d+)?)[^\n]*\n(?P<rationale>(?:[ \t]*\S[^\n]*(?:\n|$))*)",
            re.IGNORECASE | re.MULTILINE,
        )
        headings = list(_ASSISTANT.finditer(text))
        sections: Dict[int, Dict[str, Area]] = {}
        for position, heading in enumerate(headings):
            end = headings[position + 1].start() if position + 1 < len(headings) else len(text)
            areas: Dict[str, Area] = {}
            for match in area_line.finditer(text, heading.end(), end):
                name = self._canonical_area(match.group(1))
                if name is not None and name not in areas:
                    areas[name] = Area(rating=float(match.group(2)), rationale=match.group("rationale").strip())
            sections.setdefault(int(heading.group(1)), areas)
        return sections

    def _canonical_area(self, written: str) -> Optional[str]:
        return next((area for area in self.areas if area.lower() == written.lower()), None)


__all__ = ["Area", "UltraJudgeOutput", "UltraJudgeTask"]
