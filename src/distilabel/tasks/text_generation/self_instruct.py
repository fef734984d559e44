"""``SelfInstructTask``: write user queries about a context (Self-Instruct, distilabel 0.x).

Reference: Wang et al., "Self-Instruct: Aligning Language Models with Self-Generated
Instructions" (2022), https://arxiv.org/abs/2212.10560.

The prompt is the one ``distilabel.steps.tasks.SelfInstruct`` sends, with its
default criteria: one template for both APIs.
"""

from typing import ClassVar, Dict, List

from pydantic import PositiveInt
from pydantic.dataclasses import dataclass

from distilabel.steps.tasks.self_instruct import SelfInstruct
from distilabel.tasks.prompt import Prompt
from distilabel.tasks.text_generation.base import TextGenerationTask
from distilabel.utils.template import package_template, render_template

_TEMPLATE = "self_instruct/generate.jinja2"
_CRITERIA = SelfInstruct.model_fields["criteria_for_query_generation"].default


@dataclass
class SelfInstructTask(TextGenerationTask):
    """Ask for ``num_instructions`` user queries about the input text; each line of the
    answer is one query.

    Attributes:
        system_prompt: the system prompt of every request.
        application_description: the kind of AI application the queries are for.
        num_instructions: how many queries to ask for.

    Input columns:
        - input (`str`): the context the queries are about.

    Output columns:
        - generations (`List[str]`): the queries, one per non-empty line of the answer.

    Examples:
        >>> from distilabel.tasks import SelfInstructTask
        >>> task = SelfInstructTask(application_description="AI cooking assistant", num_instructions=3)
        >>> task.parse_output("How do I proof dough?\\n\\nWhat is a starter?")
        {'generations': ['How do I proof dough?', 'What is a starter?']}
    """

    system_prompt: str = (
        "You write prompts for AI applications: many different, realistic queries that the application's"
        " users could send, each following the instructions you are given."
    )
    application_description: str = "AI assistant"
    num_instructions: PositiveInt = 5

    _modern_equivalent: ClassVar[str] = "distilabel.steps.tasks.SelfInstruct"

    def generate_prompt(self, input: str) -> Prompt:  # type: ignore[override]
        """The request for queries about ``input``."""
        formatted = render_template(
            package_template(_TEMPLATE),
            input=input,
            application_description=self.application_description,
            criteria_for_query_generation=_CRITERIA,
            num_instructions=self.num_instructions,
        )
        return Prompt(system_prompt=self.system_prompt, formatted_prompt=formatted)

    def parse_output(self, output: str) -> Dict[str, List[str]]:
        """One query per non-empty line: ``{"generations": [query, ...]}``."""
        return {"generations": [line.strip() for line in output.split("\n") if line.strip()]}


__all__ = ["SelfInstructTask"]
