"""A scripted LLM for task tests: canned answers in the task's format, and a record of what was sent."""

from typing import Any, List, Optional, Tuple

from pydantic import PrivateAttr

from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output


class ScriptedLLM(LLM):
    """Answers the n-th prompt with ``answers[n % len(answers)]``; keeps what it was sent in ``_sent``.

    A ``None`` answer is a failed generation. ``usage`` is the (input, output) tokens each answer reports.
    """

    answers: List[Optional[str]] = ["ok"]
    usage: Tuple[int, int] = (9, 4)
    _sent: List[Any] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "scripted"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for input in inputs:
            answer = self.answers[len(self._sent) % len(self.answers)]
            self._sent.append(input)
            outputs.append(prepare_output([answer] * num_generations, [self.usage[0]], [self.usage[1]]))
        return outputs
