"""APIGenGenerator: write queries and the function calls that answer them (APIGen, Liu et al. 2024)."""

import json
import random
from typing import TYPE_CHECKING, Any, Dict, Final, List, Optional, Union

from pydantic import BaseModel, Field, field_validator

from distilabel.errors import DistilabelUserError
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.apigen.utils import remove_fences
from distilabel.steps.tasks.base import Task
from distilabel.utils.llm_json import loads_llm_json
from distilabel.utils.template import package_template, render_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType

SYSTEM_PROMPT_API_GEN: Final[str] = package_template("apigen/generator_system.jinja2").strip()

_PARALLEL_QUERIES: Final[str] = (
    "A query may hold several requests in natural language, answered by parallel calls: the same"
    " function with different arguments, or different functions.\n"
)

_FORMAT_LIST: Final[str] = """
Answer with JSON only, nothing before or after it, shaped like this:
```
[
    {
        "query": "The query text.",
        "answers": [
            {
                "name": "function_name",
                "arguments": {
                    "argument_name": "value"
                    ... (every argument the call needs)
                }
            },
            ... (one call per request in the query)
        ]
    }
]
```
"""

_FORMAT_STRUCTURED: Final[str] = """
Answer with a JSON object whose "pairs" list holds the pairs; each pair has a "query" and its "answers", the calls, each with a "name" and its "arguments".
"""


# The generator's structured answer, {"pairs": [{"query": ..., "answers": [...]}]}. No
# docstrings: pydantic would put them in the schema the LLM is sent.
class Answer(BaseModel):
    name: str
    arguments: Dict[str, str]


class QueryAnswer(BaseModel):
    query: str
    answers: List[Answer]


class QueryAnswerPairs(BaseModel):
    pairs: List[QueryAnswer]


class APIGenGenerator(Task):
    """Generate a query and the function calls that answer it, for a given function.

    The generation stage of APIGen: from a function's name and description and a few
    examples of queries with their calls (for similar functions), the LLM writes new
    query/answer pairs. The first pair is kept; ``answers`` is its list of calls as a
    JSON string, ready for `APIGenExecutionChecker`.

    Attributes:
        system_prompt: the system prompt (the default describes a good query and answer).
        use_default_structured_output: ask the LLM for JSON matching
            `get_structured_output` (``{"pairs": [...]}``).
        number: how many pairs to ask for: a number, a list to choose from, or a dict of
            number to weight. A list or dict is sampled per row, reproducibly (the choice
            depends only on the row), so a rerun asks the same question. With more than
            one pair, the prompt invites parallel queries.
        use_tools: add the row's ``tools`` column (the function's definition) to the description.

    Input columns:
        - examples (`str`): few-shot examples of queries and their calls.
        - func_name (`str`): the function's name.
        - func_desc (`str`): what the function does.
        - tools (`str`, optional): the function's definition (e.g. its JSON schema).

    Output columns:
        - query (`str`): the generated query.
        - answers (`str`): its calls, a JSON list of ``{"name": ..., "arguments": {...}}``.
            When the answer cannot be parsed: ``query`` is ``None`` and ``answers`` is a
            JSON list of ``null`` (one per pair asked for), as in distilabel 1.5.
        - model_name (`str`): the model that generated them.

    References:
        - [APIGen: Automated Pipeline for Generating Verifiable and Diverse Function-Calling Datasets](https://arxiv.org/abs/2406.18518)

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import APIGenGenerator

        # Seven prompts in ten ask for one pair, three for two (inviting parallel queries).
        task = APIGenGenerator(
            llm=OpenAILLM(model="gpt-4o-mini"),
            number={1: 0.7, 2: 0.3},
            use_default_structured_output=True,
        )
        task.load()
        rows = next(task.process([{
            "examples": 'QUERY:\\nAdd 2 and 3.\\nANSWER:\\n[{"name": "add", "arguments": {"a": 2, "b": 3}}]',
            "func_name": "final_velocity",
            "func_desc": "Final velocity from initial velocity, acceleration and time.",
        }]))
        # rows[0]["query"], rows[0]["answers"] == '[{"name": "final_velocity", "arguments": {...}}]'
        ```
    """

    system_prompt: str = SYSTEM_PROMPT_API_GEN
    use_default_structured_output: bool = False
    number: Union[int, List[int], Dict[int, float]] = Field(
        default=1,
        description="Pairs to ask for: a number, a list to choose from, or number -> weight.",
    )
    use_tools: bool = True

    @field_validator("number")
    @classmethod
    def _check_number(cls, value: Union[int, List[int], Dict[int, float]]) -> Any:
        numbers = list(value) if isinstance(value, (list, dict)) else [value]
        if not numbers or any(n < 1 for n in numbers):
            raise DistilabelUserError(
                f"APIGenGenerator: `number` needs positive numbers of pairs, got {value!r}."
            )
        if isinstance(value, dict) and (
            any(w < 0 for w in value.values()) or sum(value.values()) <= 0
        ):
            raise DistilabelUserError(
                f"APIGenGenerator: the weights in `number` must be >= 0, not all 0: {value!r}."
            )
        return value

    inputs = column_property({"examples": True, "func_name": True, "func_desc": True, "tools": False})
    outputs = column_property(["query", "answers", "model_name"])

    def number_for(self, row: Dict[str, Any]) -> int:
        """How many pairs the prompt for ``row`` asks for."""
        if isinstance(self.number, int):
            return self.number
        rng = random.Random(
            "\x00".join(str(row.get(c)) for c in ("func_name", "func_desc", "examples"))
        )
        if isinstance(self.number, list):
            return rng.choice(self.number)
        return rng.choices(list(self.number), weights=list(self.number.values()))[0]

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        for column in ("examples", "func_name", "func_desc"):
            if input.get(column) is None:
                raise DistilabelUserError(
                    f"APIGenGenerator needs the column {column!r} (the row has {sorted(input)})."
                )
        number = self.number_for(input)
        prompt = render_template(
            package_template("apigen/generator.jinja2"),
            examples=input["examples"],
            parallel_queries=_PARALLEL_QUERIES if number > 1 else "",
            number=number,
            func_name=input["func_name"],
            func_desc=self._func_desc(input),
            format_inst=_FORMAT_STRUCTURED if self.use_default_structured_output else _FORMAT_LIST,
        )
        return [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": prompt},
        ]

    def _func_desc(self, row: Dict[str, Any]) -> str:
        tools = row.get("tools")
        if not self.use_tools or tools is None:
            return str(row["func_desc"])
        return f"{row['func_desc']}\n\nThe function's definition, for reference:\n{tools}"

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        pair = self._first_pair(output)
        if pair is None:
            return {"query": None, "answers": json.dumps([None] * self.number_for(input or {}))}
        return {"query": pair["query"], "answers": json.dumps(pair["answers"])}

    def _first_pair(self, output: Optional[str]) -> Optional[Dict[str, Any]]:
        if output is None:
            return None
        try:
            parsed = loads_llm_json(
                output if self.use_default_structured_output else remove_fences(output)
            )
        except ValueError:
            return None
        if isinstance(parsed, dict):
            # {"pairs": [...]} is the structured shape; a lone pair is accepted too.
            parsed = parsed.get("pairs", [parsed])
        if not isinstance(parsed, list) or not parsed:
            return None
        pair = parsed[0]
        if not isinstance(pair, dict) or not isinstance(pair.get("query"), str):
            return None
        answers = pair.get("answers")
        if isinstance(answers, dict):
            answers = [answers]
        if not isinstance(answers, list) or not all(
            isinstance(a, dict) and "name" in a for a in answers
        ):
            return None
        return {"query": pair["query"], "answers": answers}

    def get_structured_output(self) -> Dict[str, Any]:
        """The JSON schema of ``{"pairs": [{"query": str, "answers": [{"name": str, "arguments": {...}}]}]}``."""
        return QueryAnswerPairs.model_json_schema()


__all__ = ["SYSTEM_PROMPT_API_GEN", "APIGenGenerator"]
