"""MathShepherdGenerator: step-by-step solutions to math problems (Math-Shepherd, Wang et al. 2023)."""

from typing import TYPE_CHECKING, Any, Dict, Final, List, Optional

from pydantic import PositiveInt

from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.steps.tasks.math_shepherd.utils import split_solution_steps, structured_solutions
from distilabel.utils.template import package_template, render_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType, StepColumns

SYSTEM_PROMPT: Final[str] = package_template("math_shepherd/generator_system.jinja2")
SYSTEM_PROMPT_STRUCTURED: Final[str] = package_template("math_shepherd/generator_structured.jinja2")
RULES_GSM8K: Final[str] = package_template("math_shepherd/rules_gsm8k.jinja2")
FEW_SHOTS_GSM8K: Final[str] = package_template("math_shepherd/few_shots_gsm8k.jinja2")
RULES_MATH: Final[str] = package_template("math_shepherd/rules_math.jinja2")
FEW_SHOTS_MATH: Final[str] = package_template("math_shepherd/few_shots_math.jinja2")
TEMPLATE: Final[str] = package_template("math_shepherd/generator.jinja2")
TEMPLATE_STRUCTURED: Final[str] = package_template("math_shepherd/generator_structured_user.jinja2")

_SOLUTION_SCHEMA: Final[Dict[str, Any]] = {
    "$defs": {
        "Solution": {
            "properties": {
                "solution": {
                    "description": "Step by step solution leading to the final answer",
                    "title": "Solution",
                    "type": "string",
                }
            },
            "required": ["solution"],
            "title": "Solution",
            "type": "object",
        }
    },
    "properties": {
        "solutions": {
            "description": "List of solutions",
            "items": {"$ref": "#/$defs/Solution"},
            "title": "Solutions",
            "type": "array",
        }
    },
    "required": ["solutions"],
    "title": "MathShepherdGenerator",
    "type": "object",
}


def render_system_prompt(
    system_prompt: Optional[str],
    extra_rules: Optional[str],
    few_shots: Optional[str],
    structured: Optional[str],
) -> Optional[str]:
    """``system_prompt`` with its ``{{ extra_rules }}``, ``{{ few_shots }}`` and ``{{ structured_prompt }}`` filled in."""
    if system_prompt is None:
        return None
    return render_template(
        system_prompt,
        strict=False,
        extra_rules=extra_rules or "",
        few_shots=few_shots or "",
        structured_prompt=structured or "",
    )


def prompt_messages(task: Any, content: str, structured_prompt: str) -> "ChatType":
    """The user turn ``content``, after ``task``'s system prompt when it has one.

    ``task`` has the ``system_prompt``, ``extra_rules`` and ``few_shots`` fields of the
    Math-Shepherd tasks; ``structured_prompt`` joins the system prompt when the task uses
    its default structured output.
    """
    messages: List[Dict[str, str]] = [{"role": "user", "content": content}]
    system = render_system_prompt(
        task.system_prompt,
        task.extra_rules,
        task.few_shots,
        structured_prompt if task.use_default_structured_output else None,
    )
    if system:
        messages.insert(0, {"role": "system", "content": system})
    return messages  # type: ignore[return-value]


class MathShepherdGenerator(Task):
    """Generate step-by-step solutions to math problems, in the format `MathShepherdCompleter` labels.

    With ``M`` unset it writes one solution, the ``golden_solution`` (use a strong model:
    its final answer is the reference the completer labels against). With ``M`` set it
    writes ``M`` candidate solutions to be labelled. Solutions number their steps
    ``"Step 1: ..."`` and end with ``"The answer is: X"``; each is split into a list:
    the steps, then the answer.

    Attributes:
        system_prompt: the system prompt, a Jinja2 template that may use
            ``{{ extra_rules }}``, ``{{ few_shots }}`` and ``{{ structured_prompt }}``.
        extra_rules: dataset-specific rules for the system prompt (GSM8K's by default;
            ``RULES_MATH`` in this module suits MATH).
        few_shots: worked examples for the system prompt (GSM8K-style by default;
            ``FEW_SHOTS_MATH`` suits MATH).
        M: how many solutions to generate; ``None`` generates the golden solution.
        use_default_structured_output: ask for JSON matching `get_structured_output`.

    Input columns:
        - instruction (`str`): the problem.

    Output columns:
        - golden_solution (`List[str]`): with ``M`` unset: the steps and the final answer.
        - solutions (`List[List[str]]`): with ``M`` set: the solutions, each a list of steps.
            Either is ``None`` when nothing in the answer has the step format.
        - model_name (`str`): the model that generated them.

    References:
        - [Math-Shepherd: Verify and Reinforce LLMs Step-by-step without Human Annotations](https://arxiv.org/abs/2312.08935)

    Examples:
        Math-Shepherd's annotation pipeline: a strong model writes the golden solution, a
        weaker one the candidates, and `MathShepherdCompleter` labels the candidates' steps:

        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.pipeline import Pipeline
        from distilabel.steps import CombineOutputs, LoadDataFromDicts
        from distilabel.steps.tasks import MathShepherdCompleter, MathShepherdGenerator

        with Pipeline(name="math-shepherd") as pipeline:
            load = LoadDataFromDicts(data=[{"instruction": "What is 12 * 12 - 4?"}])
            golden = MathShepherdGenerator(llm=OpenAILLM(model="gpt-4o"))
            candidates = MathShepherdGenerator(llm=OpenAILLM(model="gpt-4o-mini"), M=4)
            completer = MathShepherdCompleter(llm=OpenAILLM(model="gpt-4o-mini"), N=4)
            load >> [golden, candidates] >> CombineOutputs() >> completer
        distiset = pipeline.run()
        # golden_solution: ["Step 1: 12 * 12 = <<12*12=144>>144.", "Step 2: ...", "The answer is: 140"]
        # solutions: four candidates, every step ending with "+" or "-"
        ```
    """

    system_prompt: Optional[str] = SYSTEM_PROMPT
    extra_rules: Optional[str] = RULES_GSM8K
    few_shots: Optional[str] = FEW_SHOTS_GSM8K
    M: Optional[PositiveInt] = None

    inputs = column_property(["instruction"])

    @property
    def outputs(self) -> "StepColumns":
        return ["solutions" if self.M else "golden_solution", "model_name"]

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        template = TEMPLATE_STRUCTURED if self.use_default_structured_output else TEMPLATE
        content = render_template(template, instruction=input["instruction"], M=self.M)
        return prompt_messages(self, content, SYSTEM_PROMPT_STRUCTURED)

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        column = "solutions" if self.M else "golden_solution"
        if output is None:
            return {column: None}
        if self.use_default_structured_output:
            texts = structured_solutions(output)
        else:
            texts = output.split("---") if self.M else [output]
        solutions = [steps for steps in (split_solution_steps(t) for t in texts) if steps]
        if not solutions:
            return {column: None}
        return {column: solutions[: self.M] if self.M else solutions[0]}

    def get_structured_output(self) -> Dict[str, Any]:
        """The JSON schema of ``{"solutions": [{"solution": str}, ...]}``."""
        return _SOLUTION_SCHEMA


__all__ = [
    "FEW_SHOTS_GSM8K",
    "FEW_SHOTS_MATH",
    "RULES_GSM8K",
    "RULES_MATH",
    "SYSTEM_PROMPT",
    "SYSTEM_PROMPT_STRUCTURED",
    "TEMPLATE",
    "TEMPLATE_STRUCTURED",
    "MathShepherdGenerator",
]
