"""Math-Shepherd helpers: splitting solutions into steps, reading final answers, and `FormatPRM`."""

import re
from typing import TYPE_CHECKING, Annotated, Any, Dict, List, Literal, Optional, Union

from pydantic import AfterValidator, Field

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import Step, StepInput
from distilabel.steps.column_property import column_property
from distilabel.utils.llm_json import loads_llm_json

if TYPE_CHECKING:
    from distilabel.typing import StepColumns, StepOutput

ANSWER_PREFIX = "The answer is:"

# A step runs from "Step N:" to the next step or to the answer; the answer runs to the end of its line.
_STEP_OR_ANSWER = re.compile(
    r"Step \d+:.*?(?=Step \d+:|The answer is:|\Z)|The answer is:[^\n]*", re.DOTALL
)
_GSM8K_ANSWER = re.compile(r"####\s*(.+?)\s*$", re.MULTILINE)
_BOXED = re.compile(r"\\boxed\{(.*)\}")


def _two_tags(tags: List[str]) -> List[str]:
    if len(tags) != 2 or not all(tags) or tags[0] == tags[1]:
        raise DistilabelUserError(
            f"`tags` must be two different non-empty tags, good first: got {tags!r}."
        )
    return tags


StepTags = Annotated[List[str], AfterValidator(_two_tags)]
"""A step's two labels, good first: different and non-empty."""


def split_solution_steps(text: str) -> List[str]:
    """Split a step-by-step solution into its steps and its final answer.

    ``"Step 1: a\\nStep 2: b. The answer is: 3"`` gives
    ``["Step 1: a", "Step 2: b.", "The answer is: 3"]``; text outside the steps is dropped.
    """
    return [part.strip() for part in _STEP_OR_ANSWER.findall(text or "") if part.strip()]


def final_answer(solution: Union[str, List[str], None]) -> Optional[str]:
    """The final answer of a solution (a list of steps, or text), normalised for comparing; ``None`` if it has none.

    Reads the last ``"The answer is: X"``, or else a GSM8K ``"#### X"`` line. ``X`` is
    normalised: spaces, a final period, ``$`` signs, ``\\boxed{}`` and thousands
    separators go, and numbers are written in one way (``18.0`` is ``18``).
    """
    if solution is None:
        return None
    steps = (
        split_solution_steps(solution)
        if isinstance(solution, str)
        else [s for s in solution if isinstance(s, str)]
    )
    answers = [s for s in steps if s.startswith(ANSWER_PREFIX)]
    if answers:
        raw = answers[-1][len(ANSWER_PREFIX) :]
    elif isinstance(solution, str) and (match := _GSM8K_ANSWER.search(solution)):
        raw = match.group(1)
    else:
        return None
    return normalize_answer(raw)


def normalize_answer(answer: str) -> Optional[str]:
    """``answer`` in one canonical spelling (see `final_answer`); ``None`` when empty."""
    text = answer.strip()
    boxed = _BOXED.search(text)
    if boxed:
        text = boxed.group(1)
    text = text.replace("$", "").strip().rstrip(".").strip()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    try:
        number = float(text)
    except ValueError:
        return text or None
    return str(int(number)) if number.is_integer() else repr(number)


def parse_json_response(json_str: str) -> Optional[Any]:
    """Parse the JSON a model wrote (code fences, raw newlines and stray text allowed); ``None`` if it does not parse."""
    try:
        return loads_llm_json(json_str)
    except ValueError:
        pass
    # Models writing LaTeX often escape characters JSON does not escape (\( \[ \$): drop those backslashes.
    try:
        return loads_llm_json(re.sub(r'\\([^"\\/bfnrtu])', r"\1", json_str or ""))
    except ValueError:
        return None


def structured_solutions(output: Optional[str]) -> List[str]:
    """The solution texts of a ``{"solutions": [{"solution": str}, ...]}`` answer (a bare list is accepted too)."""
    parsed = parse_json_response(output) if output is not None else None
    if isinstance(parsed, dict):
        parsed = parsed.get("solutions")
    if not isinstance(parsed, list):
        return []
    texts = []
    for item in parsed:
        text = item.get("solution") if isinstance(item, dict) else item
        if isinstance(text, str):
            texts.append(text)
    return texts


class FormatPRM(Step):
    """Format Math-Shepherd's labelled solutions for training a process reward model (PRM).

    Each row holds one labelled solution (expand the ``solutions`` of
    `MathShepherdCompleter` first, with ``ExpandColumns(columns=["solutions"])``),
    whose steps end with a tag: ``+`` for a good step, ``-`` for a bad one.

    - ``format="math-shepherd"`` writes the columns of the peiyi9979/Math-Shepherd
      dataset: ``input``, the instruction and the steps with each tag replaced by
      ``step_token``, and ``label``, the instruction and the tagged steps.
    - ``format="trl"`` writes the columns TRL's PRM trainer reads: ``prompt``, the
      instruction; ``completions``, the steps without tags; ``labels``, ``True`` for
      steps tagged good.

    Attributes:
        format: ``"math-shepherd"`` or ``"trl"``.
        step_token: the token that marks where a step's score is predicted.
        tags: the good and the bad tag, in that order (as in `MathShepherdCompleter`).

    Input columns:
        - instruction (`str`): the problem.
        - solutions (`List[str]`): one solution, as a list of tagged steps.

    Output columns:
        - input (`str`): ``format="math-shepherd"``: the instruction and the steps, tags replaced by ``step_token``.
        - label (`str`): ``format="math-shepherd"``: the instruction and the tagged steps.
        - prompt (`str`): ``format="trl"``: the instruction.
        - completions (`List[str]`): ``format="trl"``: the steps, without their tags.
        - labels (`List[bool]`): ``format="trl"``: whether each step is tagged good
            (a step with no tag counts as not good).

    References:
        - [Math-Shepherd: Verify and Reinforce LLMs Step-by-step without Human Annotations](https://arxiv.org/abs/2312.08935)

    Examples:
        ```python
        from distilabel.steps.tasks import FormatPRM

        step = FormatPRM(format="trl")
        step.load()
        rows = next(step.process([{
            "instruction": "What is 2 + 3 * 4?",
            "solutions": ["Step 1: 3 * 4 = 12. +", "Step 2: 2 + 12 = 14. The answer is: 14 +"],
        }]))
        # rows[0]["completions"] == ["Step 1: 3 * 4 = 12.", "Step 2: 2 + 12 = 14. The answer is: 14"]
        # rows[0]["labels"] == [True, True]
        ```
    """

    format: Literal["math-shepherd", "trl"] = "math-shepherd"
    step_token: str = "ки"
    tags: StepTags = Field(
        default_factory=lambda: ["+", "-"], description="The good tag, then the bad tag."
    )

    inputs = column_property(["instruction", "solutions"])

    @property
    def outputs(self) -> "StepColumns":
        return (
            ["input", "label"]
            if self.format == "math-shepherd"
            else ["prompt", "completions", "labels"]
        )

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        format_row = self._math_shepherd if self.format == "math-shepherd" else self._trl
        yield [
            {**row, **format_row(row["instruction"], _one_solution(row.get("solutions")))}
            for row in inputs
        ]

    def _split_tag(self, step: str) -> tuple:
        """``(step without its tag, tag or None)``."""
        text = step.rstrip()
        for tag in self.tags:
            if text.endswith(tag):
                return text[: -len(tag)].rstrip(), tag
        return text, None

    def _math_shepherd(self, instruction: str, steps: List[str]) -> Dict[str, Any]:
        marked = []
        for step in steps:
            text, tag = self._split_tag(step)
            marked.append(f"{text} {self.step_token}" if tag is not None else step)
        return {
            "input": f"{instruction} " + "\n".join(marked),
            "label": f"{instruction} " + "\n".join(steps),
        }

    def _trl(self, instruction: str, steps: List[str]) -> Dict[str, Any]:
        split = [self._split_tag(step) for step in steps]
        return {
            "prompt": instruction,
            "completions": [text for text, _ in split],
            "labels": [tag == self.tags[0] for _, tag in split],
        }


def _one_solution(solutions: Any) -> List[str]:
    if solutions is None:
        return []
    if not isinstance(solutions, list) or not all(isinstance(step, str) for step in solutions):
        raise DistilabelUserError(
            "FormatPRM needs one solution per row, a list of step strings; this row's `solutions` is"
            f" {str(solutions)[:200]!r}. Expand the solutions first: ExpandColumns(columns=['solutions'])."
        )
    return solutions


__all__ = [
    "FormatPRM",
    "final_answer",
    "normalize_answer",
    "parse_json_response",
    "split_solution_steps",
    "structured_solutions",
]
