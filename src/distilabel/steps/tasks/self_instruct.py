"""``SelfInstruct``: write several user queries about a given text (Self-Instruct).

Reference: Wang et al., "Self-Instruct: Aligning Language Models with Self-Generated
Instructions" (2022), https://arxiv.org/abs/2212.10560.
"""

from typing import TYPE_CHECKING, Any, Dict, Optional

from distilabel.errors import DistilabelUserError
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.utils.template import user_prompt

if TYPE_CHECKING:
    from distilabel.typing import ChatType

_TEMPLATE = "self_instruct/generate.jinja2"


class SelfInstruct(Task):
    """Generate instructions about an input text, as in Self-Instruct.

    The model is asked for ``num_instructions`` queries about the row's ``input``
    (the seed), for the kind of application ``application_description`` names, that
    follow ``criteria_for_query_generation``; each non-empty line of its answer is one
    instruction.

    Attributes:
        num_instructions: how many instructions to ask for.
        criteria_for_query_generation: what the queries must be like, one criterion per line.
        application_description: the AI application the instructions are for.

    Input columns:
        - input (`str`): the text the instructions are about (the seed).

    Output columns:
        - instructions (`List[str]`): the generated instructions, one per line of the answer.
        - model_name (`str`): the model that generated them.

    A generation that failed gives ``instructions == []`` (as in distilabel 1.5), with
    the reason in ``distilabel_metadata["error_<name>"]``.

    Examples:
        ```python
        from distilabel.steps.tasks import SelfInstruct

        task = SelfInstruct(llm=llm, num_instructions=3, application_description="AI cooking assistant")
        task.load()
        rows = next(task.process([{"input": "Sourdough bread needs a starter of flour and water."}]))
        # rows[0]["instructions"] == ["How do I feed a sourdough starter?", ...]
        ```
    """

    num_instructions: int = 5
    criteria_for_query_generation: str = (
        "Incorporate a diverse range of verbs, avoiding repetition.\n"
        "Ensure queries are compatible with AI model's text generation functions and are limited to 1-2 sentences.\n"
        "Design queries to be self-contained and standalone.\n"
        'Blend interrogative (e.g., "What is the significance of x?") and imperative (e.g., "Detail the process of x.") styles.'
    )
    application_description: str = "AI assistant"

    inputs = column_property(["input"])
    outputs = column_property(["instructions", "model_name"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        """The request for instructions about the row's ``input``."""
        if not isinstance(input.get("input"), str):
            raise DistilabelUserError(f"SelfInstruct needs an `input` string, got {input.get('input')!r}.")
        return user_prompt(  # type: ignore[return-value]
            _TEMPLATE,
            input=input["input"],
            application_description=self.application_description,
            criteria_for_query_generation=self.criteria_for_query_generation,
            num_instructions=self.num_instructions,
        )

    def format_output(self, output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """One instruction per non-empty line of the answer; ``[]`` when there is no answer."""
        if output is None:
            return {"instructions": []}
        return {"instructions": [line.strip() for line in output.split("\n") if line.strip()]}


__all__ = ["SelfInstruct"]
