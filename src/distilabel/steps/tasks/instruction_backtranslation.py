"""``InstructionBacktranslation``: score how well an answer serves as training data for its instruction."""

import re
from typing import TYPE_CHECKING, Any, Dict, Optional

from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.utils.template import user_prompt

if TYPE_CHECKING:
    from distilabel.typing import ChatType

# The answer format: a reason, then "Score: <digit>".
_SCORE_PATTERN = re.compile(r"(.+?)Score: (\d)", re.DOTALL)


class InstructionBacktranslation(Task):
    """Rate an (instruction, generation) pair from 1 to 5 as training data for an assistant.

    This is the self-curation step of instruction backtranslation: the model judges
    whether a candidate answer is what a helpful AI assistant would reply to the
    instruction, gives its reason, and a score on a five-point scale.

    Input columns:
        - instruction (`str`): the instruction.
        - generation (`str`): the answer to judge.

    Output columns:
        - score (`int`): the rating, from 1 to 5.
        - reason (`str`): why the model gave that rating.
        - model_name (`str`): the model that judged.

    References:
        - [Self-Alignment with Instruction Backtranslation](https://arxiv.org/abs/2308.06259)

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import InstructionBacktranslation

        task = InstructionBacktranslation(llm=OpenAILLM(model="gpt-4o-mini"))
        task.load()
        rows = next(task.process([{"instruction": "Name a prime number.", "generation": "7"}]))
        # rows[0]["score"] -> 5, rows[0]["reason"] -> "The answer is correct and direct."
        ```
    """

    inputs = column_property(["instruction", "generation"])
    outputs = column_property(["score", "reason", "model_name"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        return user_prompt(  # type: ignore[return-value]
            "instruction_data/backtranslation.jinja2",
            instruction=input["instruction"],
            generation=input["generation"],
        )

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Read the reason and the ``Score: <digit>`` that follows it; ``None`` for both without one."""
        match = _SCORE_PATTERN.search(output) if output is not None else None
        if match is None:
            return {"score": None, "reason": None}
        return {"score": int(match.group(2)), "reason": match.group(1).strip()}


__all__ = ["InstructionBacktranslation"]
