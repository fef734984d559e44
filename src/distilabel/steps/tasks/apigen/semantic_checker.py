"""APIGenSemanticChecker: an LLM judges whether the calls and their results serve the query."""

from typing import TYPE_CHECKING, Any, Dict, Final, Optional

from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.apigen.utils import remove_fences
from distilabel.steps.tasks.base import Task
from distilabel.utils.llm_json import loads_llm_json
from distilabel.utils.template import package_template, render_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType

SYSTEM_PROMPT_SEMANTIC_CHECKER: Final[str] = package_template(
    "apigen/semantic_checker_system.jinja2"
).strip()

_FORMAT: Final[str] = """
Answer with this JSON only, nothing before or after it:
```
{
   "thought": "Your reasoning, briefly",
   "passes": "yes" or "no"
}
```
"""


class APIGenSemanticChecker(Task):
    """Judge whether generated function calls, and what they returned, do what the query asks.

    The last stage of APIGen's verification: after the format check (parsing) and the
    execution check (`APIGenExecutionChecker`), an LLM reads the query, the calls and
    their results, and says whether they match the user's intent.

    Attributes:
        system_prompt: the system prompt (the default lists the reasons to fail an example).
        use_default_structured_output: ask the LLM for JSON matching `get_structured_output`.

    Input columns:
        - func_desc (`str`): the available functions.
        - query (`str`): the user's query.
        - answers (`str`): the calls (JSON).
        - execution_result (`List[str]`): what running the calls returned.
        - keep_row_after_execution_check (`bool`): the execution check's verdict.

    Output columns:
        - keep_row_after_semantic_check (`bool`): ``True`` when the LLM answered ``"yes"``;
            ``None`` when its answer could not be parsed.
        - thought (`str`): the LLM's reasoning (``None`` when unparsed).

    References:
        - [APIGen: Automated Pipeline for Generating Verifiable and Diverse Function-Calling Datasets](https://arxiv.org/abs/2406.18518)

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import APIGenSemanticChecker

        task = APIGenSemanticChecker(llm=OpenAILLM(model="gpt-4o-mini"))
        task.load()
        rows = next(task.process([{
            "func_desc": "Information about a cat breed.",
            "query": "Tell me about Maine Coons.",
            "answers": '[{"name": "get_breed_information", "arguments": {"breed": "Maine Coon"}}]',
            "execution_result": ["The Maine Coon is a large, long-haired breed."],
            "keep_row_after_execution_check": True,
        }]))
        # rows[0]["keep_row_after_semantic_check"] is True or False, rows[0]["thought"] says why
        ```
    """

    system_prompt: str = SYSTEM_PROMPT_SEMANTIC_CHECKER
    use_default_structured_output: bool = False

    inputs = column_property({
        "func_desc": True,
        "query": True,
        "answers": True,
        "execution_result": True,
        "keep_row_after_execution_check": True,
    })
    outputs = column_property(["keep_row_after_semantic_check", "thought"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        prompt = render_template(
            package_template("apigen/semantic_checker.jinja2"),
            func_desc=input.get("func_desc"),
            query=input.get("query") or "",
            func_call=input.get("answers") or "",
            execution_result=input.get("execution_result"),
            format_inst="" if self.use_default_structured_output else _FORMAT,
        )
        return [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": prompt},
        ]

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        failed = {"keep_row_after_semantic_check": None, "thought": None}
        if output is None:
            return failed
        try:
            verdict = loads_llm_json(remove_fences(output))
        except ValueError:
            return failed
        passes = verdict.get("passes") if isinstance(verdict, dict) else None
        if not isinstance(passes, str) or passes.strip().lower() not in ("yes", "no"):
            return failed
        thought = verdict.get("thought")
        return {
            "keep_row_after_semantic_check": passes.strip().lower() == "yes",
            "thought": thought if isinstance(thought, str) else None,
        }

    def get_structured_output(self) -> Dict[str, Any]:
        """The JSON schema of ``{"thought": str, "passes": "yes" | "no"}``."""
        return {
            "properties": {
                "thought": {"title": "Thought", "type": "string"},
                "passes": {"enum": ["yes", "no"], "title": "Passes", "type": "string"},
            },
            "required": ["thought", "passes"],
            "title": "Checker",
            "type": "object",
        }


__all__ = ["SYSTEM_PROMPT_SEMANTIC_CHECKER", "APIGenSemanticChecker"]
