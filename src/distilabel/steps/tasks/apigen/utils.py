"""Helpers for the APIGen tasks: few-shot examples, loading a library of functions, running a call."""

import re
import signal
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union

from pydantic import Field

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import Step, StepInput
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.apigen._runner import (
    TIMED_OUT,
    FunctionResult,
    call_function,
    coerce_arguments,
    load_module,
)

if TYPE_CHECKING:
    from distilabel.typing import StepOutput


class PrepareExamples(Step):
    """Turn ``query`` / ``answers`` pairs into the few-shot ``examples`` text of `APIGenGenerator`.

    Each row holds lists of queries and answers (e.g. a few rows of
    Salesforce/xlam-function-calling-60k grouped together); the step writes them as
    one text, one example per pair, separated by a blank line.

    Attributes:
        template: how one pair is written, a `str.format` template with ``{query}``
            and ``{answers}``.

    Input columns:
        - query (`List[str]`): the queries.
        - answers (`List[str]`): the answers of each query (JSON lists of calls).

    Output columns:
        - examples (`str`): the formatted examples.

    Examples:
        ```python
        from distilabel.steps.tasks.apigen.utils import PrepareExamples

        step = PrepareExamples()
        step.load()
        rows = next(step.process([{
            "query": ["What is 2 + 3?"],
            "answers": ['[{"name": "add", "arguments": {"a": 2, "b": 3}}]'],
        }]))
        # rows[0]["examples"] == '## Query:\\nWhat is 2 + 3?\\n## Answers:\\n[{"name": "add", ...}]'
        ```
    """

    template: str = Field(
        default="## Query:\n{query}\n## Answers:\n{answers}",
        description="How one query/answers pair is written; uses {query} and {answers}.",
    )

    inputs = column_property(["query", "answers"])
    outputs = column_property(["examples"])

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        rows = []
        for row in inputs:
            queries, answers = (
                _as_list(row.get("query"), "query"),
                _as_list(row.get("answers"), "answers"),
            )
            if len(queries) != len(answers):
                raise DistilabelUserError(
                    f"PrepareExamples: a row has {len(queries)} queries but {len(answers)} answers; they must pair up."
                )
            examples = "\n\n".join(
                self.template.format(query=q, answers=a)
                for q, a in zip(queries, answers, strict=True)
            )
            rows.append({**row, "examples": examples})
        yield rows


def _as_list(value: Any, column: str) -> List[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return [value]
    raise DistilabelUserError(
        f"PrepareExamples: column {column!r} must be a list (or one string), got {value!r}."
    )


def load_module_from_path(path: Union[str, Path]) -> ModuleType:
    """Import the Python file at ``path`` as a module (in this process).

    Args:
        path: a ``.py`` file.

    Returns:
        The module; its functions are its attributes (``getattr(module, "name")``).

    Raises:
        FileNotFoundError: there is no file at ``path``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No Python file at {str(path)!r}")
    return load_module(path, f"_apigen_library_{path.stem}")


_FENCE = re.compile(r"^\s*```[ \t]*(\w+)?[ \t]*\n(.*?)\n?\s*```\s*$", re.DOTALL)


def remove_fences(text: str) -> str:
    """The content of ``text`` when it is one Markdown code block (with or without a language), else ``text``."""
    match = _FENCE.match(text)
    return match.group(2) if match else text


def remove_json_fences(text: str) -> str:
    """The content of ``text`` when it is one code block marked ``json``, else ``text``."""
    match = _FENCE.match(text)
    return match.group(2) if match and match.group(1) == "json" else text


def run_function_with_timeout(function: Callable[..., Any], timeout: int = 5, *args: Any) -> Any:
    """Call ``function(*args)`` in this process, raising ``TimeoutError`` after ``timeout`` seconds.

    In the main thread of a POSIX process the call is interrupted by an alarm signal.
    Elsewhere it runs in a daemon thread that is abandoned (not stopped) on timeout;
    `APIGenExecutionChecker` runs calls in a child process instead, which it can kill.
    """
    if hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread():
        return _run_with_alarm(function, timeout, args)
    outcome: Dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = function(*args)
        except BaseException as error:
            outcome["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(TIMED_OUT)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _run_with_alarm(function: Callable[..., Any], timeout: int, args: Any) -> Any:
    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(TIMED_OUT)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    # Someone else's alarm (e.g. pytest-timeout) is put back afterwards, minus the time spent.
    started, pending = time.monotonic(), signal.alarm(max(1, int(timeout)))
    try:
        return function(*args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if pending:
            signal.alarm(max(1, round(pending - (time.monotonic() - started))))


def execute_from_response(
    function: Optional[Callable[..., Any]], call_answer: Optional[Dict[str, Any]], timeout: int = 5
) -> FunctionResult:
    """Run one generated call in this process.

    String arguments that spell Python literals become those values (``"[1, 2]"`` is a
    list); arguments are passed by name.

    Args:
        function: the function to call (``None`` when it was not found).
        call_answer: the call's ``arguments``.
        timeout: seconds the call may take.

    Returns:
        ``{"keep": True, "execution_result": str(result)}``, or ``keep=False`` with the
        error message.
    """
    if function is None:
        return FunctionResult(keep=False, execution_result="Function not found")
    arguments = coerce_arguments(call_answer) if call_answer else None
    try:
        return run_function_with_timeout(call_function, timeout, function, arguments)
    except TimeoutError as error:
        return FunctionResult(keep=False, execution_result=str(error))


__all__ = [
    "FunctionResult",
    "PrepareExamples",
    "execute_from_response",
    "load_module_from_path",
    "remove_fences",
    "remove_json_fences",
    "run_function_with_timeout",
]
