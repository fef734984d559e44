"""``UltraFeedbackTask``: rate several answers against a rubric, one block per answer (distilabel 0.x).

Reference: Cui et al., "UltraFeedback: Boosting Language Models with High-quality
Feedback" (2023), https://arxiv.org/abs/2310.01377. The answer format (``#### Output
for Text N`` blocks of ``Rating:`` and ``Rationale:``) is UltraFeedback's; the rubric
wording is ours.
"""

import re
from typing import ClassVar, Dict, List, Optional, Type

from pydantic.dataclasses import dataclass
from typing_extensions import TypedDict

from distilabel.tasks.preference.base import PreferenceTask
from distilabel.tasks.prompt import Prompt


class Rating(TypedDict):
    """One step of a rating scale."""

    value: int
    description: str


class UltraFeedbackOutput(TypedDict):
    """The judgement of one answer; ``None`` where the judge's block could not be read."""

    rating: Optional[float]
    rationale: Optional[str]


_HEADER = re.compile(r"^[ \t]*#*[ \t]*[*_]*Output for Text[ \t]+(\d+)[^\n]*$", re.IGNORECASE | re.MULTILINE)
_RATING = re.compile(r"[*_]*Rating[*_]*\s*:[*_\s]*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_RATIONALE = re.compile(r"[*_]*Rationale[*_]*\s*:[*_\s]*(.+?)(?=\n[ \t]*\n|\Z)", re.IGNORECASE | re.DOTALL)


def _scale(*descriptions: str) -> List[Rating]:
    return [Rating(value=value, description=text) for value, text in enumerate(descriptions, start=1)]


# Rubrics, by aspect: (task description, rating scale).
_ASPECTS: Dict[str, tuple] = {
    "text-quality": (
        "# Overall quality\n"
        "Judge each text as a whole: is it correct and informative, honest about what it does not know,"
        " free of invented details, and does it do what the instruction asks?\n\n"
        "Rate each text from 1 to 5:",
        _scale(
            "Poor: wrong, off topic, or largely made up.",
            "Weak: some of it is right, but errors or missed instructions stand out.",
            "Fair: mostly right, with small errors or small departures from the instruction.",
            "Good: right and on target, with only minor flaws.",
            "Excellent: right, complete, well calibrated and exactly what was asked.",
        ),
    ),
    "helpfulness": (
        "# Helpfulness\n"
        "Judge whether each text gives the user what the task needs: correct content, sound reasoning,"
        " and useful detail, without padding or repetition.\n\n"
        "Rate each text from 1 to 5:",
        _scale(
            "Badly wrong: serious errors or invented content, however long it is.",
            "Partly wrong: mistakes that could mislead, even if some of it is useful.",
            "Correct: accurate and good enough for the task.",
            "Very informative: accurate and detailed, with useful insight.",
            "Outstanding: accurate, thorough and insightful.",
        ),
    ),
    "truthfulness": (
        "# Truthfulness\n"
        "Judge whether each text sticks to the facts: does it contradict what is known, the instruction"
        " or itself, or add details nobody gave?\n\n"
        "Rate each text from 1 to 5:",
        _scale(
            "Made up: it cannot be trusted at all.",
            "Mostly made up: about half of it is invented or contradicts the facts.",
            "Partly made up: true on the whole, but with invented or misread parts.",
            "Nearly true: a slip that does not change the main points.",
            "True: nothing invented, nothing contradicted.",
        ),
    ),
    "honesty": (
        "# Honesty\n"
        "Judge whether each text's confidence fits how right it is: plain when it is right, doubtful"
        " where doubt is due, and open about what it cannot answer.\n\n"
        "Rate each text from 1 to 5:",
        _scale(
            "Confidently wrong.",
            "Wrong with misplaced confidence, or wrong and only vaguely unsure.",
            "Unsure, declining to answer, or with small unflagged mistakes.",
            "Right, but more doubtful than it needed to be.",
            "Right and confident, with doubt only where a mistake could be.",
        ),
    ),
    "instruction-following": (
        "# Instruction following\n"
        "Judge how well each text does what the instruction asks: its goal, and its restrictions"
        " (format, length, style, anything it rules in or out).\n\n"
        "Rate each text from 1 to 5:",
        _scale(
            "Off target: it does not address the instruction.",
            "Barely: it touches the goal or the restrictions, poorly.",
            "Half: it meets the goal or the restrictions but not both, or both only in part.",
            "Nearly: it meets both, with small departures.",
            "Fully: it meets the goal and every restriction.",
        ),
    ),
}


def _rubric(aspect: str, name: str, doc: str) -> classmethod:
    """A ``for_<aspect>`` constructor: the ``aspect``'s rubric, each part replaceable."""

    def build(
        cls: Type["UltraFeedbackTask"],
        system_prompt: Optional[str] = None,
        task_description: Optional[str] = None,
        ratings: Optional[List[Rating]] = None,
    ) -> "UltraFeedbackTask":
        return cls._for(aspect, system_prompt, task_description, ratings)

    build.__name__, build.__qualname__ = name, f"UltraFeedbackTask.{name}"
    build.__doc__ = doc
    return classmethod(build)


@dataclass
class UltraFeedbackTask(PreferenceTask):
    """Rate each of several answers to one instruction against a rubric.

    Build one with a ready rubric: ``for_overall_quality()`` (also ``for_text_quality()``),
    ``for_helpfulness()``, ``for_truthfulness()``, ``for_honesty()`` or
    ``for_instruction_following()``, or give your own ``task_description`` and ``ratings``.

    Attributes:
        ratings: the rating scale, as ``{"value": int, "description": str}`` steps.
        task_description: what to judge, shown before the rating scale.
        system_prompt: the judge's system prompt.

    Output columns (``parse_output`` returns one dict per answer, in order):
        - rating (`float`): the answer's rating.
        - rationale (`str`): why.

    Examples:
        >>> from distilabel.tasks import UltraFeedbackTask
        >>> task = UltraFeedbackTask.for_honesty()
        >>> task.parse_output("#### Output for Text 1\\nRating: 4\\nRationale: Sure and right.")
        [{'rating': 4.0, 'rationale': 'Sure and right.'}]
    """

    ratings: List[Rating]
    task_description: str
    system_prompt: str = "You evaluate the quality of texts against the criteria you are given."

    __subtasks__: ClassVar[List[str]] = list(_ASPECTS)
    _modern_equivalent: ClassVar[str] = "distilabel.steps.tasks.UltraFeedback"
    _template_name: ClassVar[str] = "legacy_0x/ultrafeedback.jinja2"

    def generate_prompt(self, input: str, generations: List[str]) -> Prompt:  # type: ignore[override]
        """The rating request for ``generations``, the answers to ``input``."""
        formatted = self.template.render(
            task_description=self.task_description, ratings=self.ratings, input=input, responses=generations
        )
        return Prompt(system_prompt=self.system_prompt, formatted_prompt=formatted)

    def parse_output(self, output: str) -> List[UltraFeedbackOutput]:
        """One ``{"rating", "rationale"}`` per ``Output for Text N`` block, in text order.

        A text whose block is missing or has no number after ``Rating:`` gets ``None``s.

        Raises:
            ValueError: the answer has no ``Output for Text N`` block at all.
        """
        headers = list(_HEADER.finditer(output))
        if not headers:
            raise ValueError("UltraFeedbackTask: the answer has no '#### Output for Text N' block.")
        blocks: Dict[int, str] = {}
        for position, header in enumerate(headers):
            end = headers[position + 1].start() if position + 1 < len(headers) else len(output)
            blocks.setdefault(int(header.group(1)), output[header.end() : end])
        parsed: List[UltraFeedbackOutput] = []
        for number in range(1, max(blocks) + 1):
            block = blocks.get(number, "")
            rating, rationale = _RATING.search(block), _RATIONALE.search(block)
            parsed.append(
                UltraFeedbackOutput(
                    rating=float(rating.group(1)) if rating else None,
                    rationale=rationale.group(1).strip() if rationale else None,
                )
            )
        return parsed

    @classmethod
    def _for(
        cls,
        aspect: str,
        system_prompt: Optional[str],
        task_description: Optional[str],
        ratings: Optional[List[Rating]],
    ) -> "UltraFeedbackTask":
        default_description, default_ratings = _ASPECTS[aspect]
        kwargs = {"system_prompt": system_prompt} if system_prompt is not None else {}
        return cls(
            ratings=ratings if ratings is not None else list(default_ratings),
            task_description=task_description if task_description is not None else default_description,
            **kwargs,
        )

    for_overall_quality = _rubric(
        "text-quality",
        "for_overall_quality",
        "Rate overall quality: correctness, honesty, truthfulness and instruction following together.",
    )
    for_text_quality = _rubric(
        "text-quality", "for_text_quality", "The same rubric as ``for_overall_quality`` (its earlier 0.x name)."
    )
    for_helpfulness = _rubric("helpfulness", "for_helpfulness", "Rate helpfulness: correct, informative content.")
    for_truthfulness = _rubric(
        "truthfulness", "for_truthfulness", "Rate truthfulness: nothing invented or contradicted."
    )
    for_honesty = _rubric("honesty", "for_honesty", "Rate honesty: confidence that fits correctness.")
    for_instruction_following = _rubric(
        "instruction-following",
        "for_instruction_following",
        "Rate instruction following: the goal and the restrictions.",
    )

__all__ = ["Rating", "UltraFeedbackOutput", "UltraFeedbackTask"]
