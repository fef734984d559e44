"""MathShepherdCompleter: label each step of a solution by completing it (Math-Shepherd's hard estimation)."""

from typing import TYPE_CHECKING, Any, Dict, Final, List, Optional, Tuple

from pydantic import Field, PositiveInt

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import DISTILABEL_METADATA_KEY, StepInput
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.steps.tasks.math_shepherd.generator import (
    _SOLUTION_SCHEMA,
    RULES_GSM8K,
    prompt_messages,
)
from distilabel.steps.tasks.math_shepherd.utils import (
    ANSWER_PREFIX,
    StepTags,
    final_answer,
    split_solution_steps,
    structured_solutions,
)
from distilabel.utils.template import package_template, render_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType, StepOutput

SYSTEM_PROMPT: Final[str] = package_template("math_shepherd/completer_system.jinja2")
SYSTEM_PROMPT_STRUCTURED: Final[str] = package_template("math_shepherd/completer_structured.jinja2")
FEW_SHOTS_GSM8K: Final[str] = package_template("math_shepherd/completer_few_shots_gsm8k.jinja2")
TEMPLATE: Final[str] = package_template("math_shepherd/completer.jinja2")
TEMPLATE_STRUCTURED: Final[str] = package_template("math_shepherd/completer_structured_user.jinja2")

# Which solution, and which of its steps, a prompt completes.
_Position = Tuple[int, int, int]


class MathShepherdCompleter(Task):
    """Label every step of candidate solutions as good or bad by completing the solution from it.

    Math-Shepherd's automatic process annotation with hard estimation: for step ``i``
    of a solution, the LLM writes ``N`` continuations from steps ``1..i``; the step is
    good (``tags[0]``, ``"+"``) when at least one continuation reaches the golden
    solution's final answer, and bad (``tags[1]``, ``"-"``) otherwise. The last step is
    labelled by the solution's own final answer, which is then joined to it, so each
    labelled solution is a list of steps that all end with a tag:
    ``["Step 1: ... +", "Step 2: ... The answer is: 18 -"]``.

    A step stays without a tag when every request for it failed. A row whose golden
    solution has no final answer is passed on unlabelled, with the reason in
    ``distilabel_metadata``.

    Attributes:
        system_prompt: the system prompt, a Jinja2 template that may use
            ``{{ extra_rules }}``, ``{{ few_shots }}`` and ``{{ structured_prompt }}``.
        extra_rules: dataset-specific rules for the system prompt (GSM8K's by default).
        few_shots: worked completions for the system prompt (GSM8K-style by default).
        N: continuations per step (the paper uses 8).
        tags: the good and the bad tag, in that order.
        use_default_structured_output: ask for JSON matching `get_structured_output`.

    Input columns:
        - instruction (`str`): the problem.
        - solutions (`List[List[str]]`): the candidate solutions, each a list of steps
            (the last item may be ``"The answer is: X"``), as `MathShepherdGenerator` writes them.
        - golden_solution (`List[str]` or `str`): the reference solution; its final answer
            (``"The answer is: X"``, or a GSM8K ``"#### X"`` line) is the target.

    Output columns:
        - solutions (`List[List[str]]`): the solutions, every step tagged.
        - model_name (`str`): the model that wrote the continuations.

    References:
        - [Math-Shepherd: Verify and Reinforce LLMs Step-by-step without Human Annotations](https://arxiv.org/abs/2312.08935)

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import MathShepherdCompleter

        task = MathShepherdCompleter(llm=OpenAILLM(model="gpt-4o-mini"), N=4)
        task.load()
        rows = next(task.process([{
            "instruction": "Tom has 3 bags of 4 apples and eats 2. How many are left?",
            "golden_solution": ["Step 1: 3 * 4 = <<3*4=12>>12 apples.", "Step 2: 12 - 2 = <<12-2=10>>10.", "The answer is: 10"],
            "solutions": [["Step 1: 3 + 4 = <<3+4=7>>7 apples.", "Step 2: 7 - 2 = <<7-2=5>>5.", "The answer is: 5"]],
        }]))
        # rows[0]["solutions"] == [["Step 1: 3 + 4 = <<3+4=7>>7 apples. -", "Step 2: 7 - 2 = <<7-2=5>>5. The answer is: 5 -"]]
        ```
    """

    system_prompt: Optional[str] = SYSTEM_PROMPT
    extra_rules: Optional[str] = RULES_GSM8K
    few_shots: Optional[str] = FEW_SHOTS_GSM8K
    N: PositiveInt = 1
    tags: StepTags = Field(
        default_factory=lambda: ["+", "-"], description="The good tag, then the bad tag."
    )

    inputs = column_property(["instruction", "solutions", "golden_solution"])
    outputs = column_property(["model_name"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        """The prompt continuing ``input["instruction"]`` from the steps in ``input["steps"]`` (none: from scratch)."""
        template = TEMPLATE_STRUCTURED if self.use_default_structured_output else TEMPLATE
        steps = "\n".join(input.get("steps") or [])
        content = render_template(template, instruction=input["instruction"], steps=steps, N=self.N)
        return prompt_messages(self, content, SYSTEM_PROMPT_STRUCTURED)

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Labels are written by `process`, which sees every continuation of a solution at once."""
        return {}

    def completion_answers(self, output: Optional[str]) -> List[Optional[str]]:
        """The final answers of the continuations in one generation (``None`` for one without an answer)."""
        if output is None:
            return []
        if self.use_default_structured_output:
            texts = structured_solutions(output)
        else:
            texts = output.split("---") if self.N > 1 else [output]
        return [
            final_answer(split_solution_steps(text)) for text in texts[: self.N] if text.strip()
        ]

    # --- processing --------------------------------------------------------------------------------

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        """Complete every step of every solution in the batch with one call to the LLM, then label."""
        prompts: List[Any] = []
        positions: List[_Position] = []
        golden: List[Optional[str]] = []
        for i, row in enumerate(inputs):
            golden.append(final_answer(row.get("golden_solution")))
            if golden[-1] is None:
                continue
            for j, solution in enumerate(_solutions(row)):
                body, _ = _body_and_answer(solution)
                # The last step is judged by the solution's own answer: no continuation needed.
                for k in range(len(body) - 1):
                    prompts.append(
                        self._format({"instruction": row["instruction"], "steps": body[: k + 1]})
                    )
                    positions.append((i, j, k))
        outputs = self._generate(prompts)
        per_row: Dict[int, List[Tuple[_Position, Any, Dict[str, Any]]]] = {}
        for position, prompt, output in zip(positions, prompts, outputs, strict=True):
            per_row.setdefault(position[0], []).append((position, prompt, output))
        yield [
            self._labelled_row(i, row, golden[i], per_row.get(i, []))
            for i, row in enumerate(inputs)
        ]

    def _generate(self, prompts: List[Any]) -> List[Dict[str, Any]]:
        # One continuation request per prompt: the N continuations are asked for in its text.
        return list(self._generate_batch(prompts, 1)) if prompts else []  # type: ignore[arg-type]

    def _labelled_row(
        self,
        index: int,
        row: Dict[str, Any],
        golden: Optional[str],
        requests: List[Tuple[_Position, Any, Dict[str, Any]]],
    ) -> Dict[str, Any]:
        good, bad = self.tags
        labels: Dict[Tuple[int, int], str] = {}
        errors: List[str] = []
        generations: List[Optional[str]] = []
        input_tokens: List[int] = []
        output_tokens: List[int] = []
        for (_, j, k), _, output in requests:
            generation = (output.get("generations") or [None])[0]
            generations.append(generation)
            statistics = output.get("statistics") or {}
            input_tokens.extend(
                t for t in statistics.get("input_tokens") or [] if isinstance(t, int)
            )
            output_tokens.extend(
                t for t in statistics.get("output_tokens") or [] if isinstance(t, int)
            )
            errors.extend(e for e in output.get("errors") or [] if e)
            if generation is not None:
                labels[(j, k)] = good if golden in self.completion_answers(generation) else bad
        statistics = {"input_tokens": input_tokens, "output_tokens": output_tokens}
        self._account(statistics, errors)

        out = dict(row)
        if golden is None:
            errors.append(
                "golden_solution has no final answer ('The answer is: X' or '#### X'), so its solutions were not labelled"
            )
        elif row.get("solutions") is not None:
            labelled = []
            for j, solution in enumerate(_solutions(row)):
                body, answer = _body_and_answer(solution)
                if not body:
                    labelled.append(list(solution))
                    continue
                steps = [
                    f"{step} {labels[(j, k)]}" if (j, k) in labels else step
                    for k, step in enumerate(body[:-1])
                ]
                # The answer is its own item when split by split_solution_steps, else inside the last step.
                own_answer = (
                    final_answer([answer]) if answer is not None else final_answer(body[-1])
                )
                last_good = own_answer is not None and own_answer == golden
                last = body[-1] if answer is None else f"{body[-1]} {answer}"
                steps.append(f"{last} {good if last_good else bad}")
                labelled.append(steps)
            out["solutions"] = labelled
        out["model_name"] = self.llm.model_name
        metadata = dict(row.get(DISTILABEL_METADATA_KEY) or {})
        if self.add_raw_input:
            metadata[f"raw_input_{self.name}"] = [
                p[0] if isinstance(p, tuple) else p for _, p, _ in requests
            ]
        if self.add_raw_output:
            metadata[f"raw_output_{self.name}"] = generations
        metadata[f"statistics_{self.name}"] = statistics
        if errors:
            metadata[f"error_{self.name}"] = errors
        out[DISTILABEL_METADATA_KEY] = metadata
        return out

    def get_structured_output(self) -> Dict[str, Any]:
        """The JSON schema of ``{"solutions": [{"solution": str}, ...]}``."""
        return _SOLUTION_SCHEMA


def _solutions(row: Dict[str, Any]) -> List[List[str]]:
    solutions = row.get("solutions")
    if solutions is None:
        return []
    if not isinstance(solutions, list) or not all(
        isinstance(s, list) or s is None for s in solutions
    ):
        raise DistilabelUserError(
            "MathShepherdCompleter: `solutions` must be a list of solutions, each a list of steps"
            f" (as MathShepherdGenerator(M=...) writes them); got {str(solutions)[:200]!r}."
        )
    return [list(s or []) for s in solutions]


def _body_and_answer(solution: List[str]) -> Tuple[List[str], Optional[str]]:
    """The steps of a solution, and its ``"The answer is: X"`` item when it has one."""
    if solution and isinstance(solution[-1], str) and solution[-1].startswith(ANSWER_PREFIX):
        return list(solution[:-1]), solution[-1]
    return list(solution), None


__all__ = [
    "FEW_SHOTS_GSM8K",
    "RULES_GSM8K",
    "SYSTEM_PROMPT",
    "SYSTEM_PROMPT_STRUCTURED",
    "TEMPLATE",
    "TEMPLATE_STRUCTURED",
    "MathShepherdCompleter",
]
