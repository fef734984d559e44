"""``TextGenerationTask``: answer an instruction (distilabel 0.x)."""

import math
import random
from typing import Any, ClassVar, Dict, List, Literal, Union

from pydantic import Field
from pydantic.dataclasses import dataclass

from distilabel.errors import DistilabelUserError
from distilabel.tasks.base import Task
from distilabel.tasks.prompt import Prompt
from distilabel.tasks.text_generation.principles import UltraFeedbackPrinciples

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful, honest and careful assistant. Answer as well as you can, and keep your answers"
    " safe, respectful and free of harmful or biased content. If a question makes no sense or rests on"
    " a false premise, say so instead of making up an answer; if you do not know something, say that"
    " you do not know."
)


def _default_principles() -> Dict[str, List[str]]:
    return {
        "harmlessness": list(UltraFeedbackPrinciples.harmlessness),
        "helpfulness": list(UltraFeedbackPrinciples.helpfulness),
        "truthfulness": list(UltraFeedbackPrinciples.truthfulness),
        "honesty": list(UltraFeedbackPrinciples.honesty),
        "verbalized_calibration": list(UltraFeedbackPrinciples.verbalized_calibration),
    }


@dataclass
class TextGenerationTask(Task):
    """Answer each input's instruction; the answer is the output.

    With ``principles_distribution`` set, each prompt's system prompt ends with one
    principle, drawn from ``principles``: first a group (``"balanced"``: any group
    with equal chance; a dict: with the given probabilities), then a sentence of it.

    Attributes:
        system_prompt: the system prompt of every request.
        principles: groups of principles, by group name.
        principles_distribution: ``None`` (no principle), ``"balanced"``, or the
            probability of each group (covering every group, summing to 1).

    Input columns:
        - input (`str`): the instruction.

    Output columns:
        - generations (`str`): the model's answer.

    Examples:
        >>> from distilabel.tasks import TextGenerationTask
        >>> TextGenerationTask(system_prompt="You are terse.").generate_prompt("Name a colour.")
        Prompt(system_prompt='You are terse.', formatted_prompt='Name a colour.')
    """

    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    principles: Dict[str, List[str]] = Field(default_factory=_default_principles, repr=False)
    principles_distribution: Union[Dict[str, float], Literal["balanced"], None] = None

    __type__: ClassVar[str] = "generation"
    _modern_equivalent: ClassVar[str] = "distilabel.steps.tasks.TextGeneration"

    def __post_init__(self) -> None:
        super().__post_init__()
        distribution = self.principles_distribution
        if isinstance(distribution, dict):
            missing = [name for name in self.principles if name not in distribution]
            if missing:
                raise DistilabelUserError(
                    f"principles_distribution gives no probability for the principle group(s) {missing}."
                )
            if not math.isclose(sum(distribution.values()), 1.0, abs_tol=1e-9):
                raise DistilabelUserError(
                    f"principles_distribution must sum to 1; it sums to {sum(distribution.values()):g}."
                )

    def _draw_principle(self) -> str:
        groups = [name for name in self.principles if self.principles[name]]
        if isinstance(self.principles_distribution, dict):
            weights = [self.principles_distribution[name] for name in groups]
            group = random.choices(groups, weights=weights, k=1)[0]
        else:
            group = random.choice(groups)
        return random.choice(self.principles[group])

    def generate_prompt(self, input: str) -> Prompt:  # type: ignore[override]
        """The prompt for one instruction.

        Args:
            input: the instruction.
        """
        system_prompt = self.system_prompt
        if self.principles_distribution is not None:
            system_prompt = f"{system_prompt} {self._draw_principle()}".strip()
        return Prompt(system_prompt=system_prompt, formatted_prompt=input)

    def parse_output(self, output: str) -> Dict[str, Any]:
        """The answer as it is: ``{"generations": output}``."""
        return {"generations": output}

    @property
    def input_args_names(self) -> List[str]:
        return ["input"]

    @property
    def output_args_names(self) -> List[str]:
        return ["generations"]


__all__ = ["DEFAULT_SYSTEM_PROMPT", "TextGenerationTask"]
