"""``InstructionBacktranslation``: score how well an answer serves as training data for its instruction."""

import re
from typing import TYPE_CHECKING, Any, Dict, Optional

from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.utils.llm_text import named_groups
from distilabel.utils.template import user_prompt

if TYPE_CHECKING:
    from distilabel.typing import ChatType

# The answer format: a reason, then "Score: <digit>".
_SCORE_PATTERN = re.compile(r"(?P<reason>.+?)Score: (?P<score>\d)", re.DOTALL)


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
        rows = next(
            task.process(
                [
                    {"instruction": "Name a prime number.", "generation": "7"},
                    {"instruction": "Name a prime number.", "generation": "Primes are numbers."},
                ]
            )
        )
        # Self-curation keeps the best-rated pairs for the next round of fine-tuning:
        curated = [row for row in rows if row["score"] == 5]
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
        parts = named_groups(_SCORE_PATTERN, output)
        score = parts["score"]
        return {"score": int(score) if score is not None else None, "reason": parts["reason"]}


__all__ = ["InstructionBacktranslation"]
