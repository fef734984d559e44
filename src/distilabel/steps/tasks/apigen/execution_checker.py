"""APIGenExecutionChecker: run the generated function calls and keep the rows whose calls all work."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from pydantic import Field, PositiveFloat, PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import Step, StepInput
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.apigen._runner import FunctionRunner

if TYPE_CHECKING:
    from distilabel.typing import StepOutput


class APIGenExecutionChecker(Step):
    """Execute the function calls in ``answers`` against a library of Python functions.

    The second stage of APIGen's verification: a call that names a function the
    library does not have, passes arguments it does not take, raises, or runs past
    the timeout fails the row. Each call runs in a child process (started by
    ``load()``), so a call that hangs is killed and one that crashes costs one row.

    Only functions defined in the files of ``libpath`` can be called: a generated
    name is looked up as a plain public identifier, never as a path.

    Attributes:
        libpath: a ``.py`` file whose functions are the tools, or a folder with one
            ``<function_name>.py`` file per function (each defining that function).
        check_is_dangerous: refuse to run functions whose source starts processes,
            touches the OS, reads the terminal, exits, uses ``exec``/``eval``, and the like.
        timeout: seconds one call may run before it is stopped (a result of
            ``"Function execution timed out ..."``).

    Input columns:
        - answers (`str`): the calls, a JSON list of ``{"name": ..., "arguments": {...}}``
            as `APIGenGenerator` writes it (a list of dicts is accepted too).

    Output columns:
        - keep_row_after_execution_check (`bool`): whether every call ran without error.
        - execution_result (`List[str]`): per call, ``str()`` of what it returned, or why it failed.

    Examples:
        ```python
        from distilabel.steps.tasks import APIGenExecutionChecker

        checker = APIGenExecutionChecker(libpath="tools.py")  # defines final_velocity(...)
        checker.load()
        rows = next(checker.process([{
            "answers": '[{"name": "final_velocity", "arguments": {"initial_velocity": 0.2, "acceleration": 0.1, "time": 0.5}}]'
        }]))
        # rows[0]["keep_row_after_execution_check"] is True; rows[0]["execution_result"] == ["0.25"]
        checker.unload()
        ```
    """

    libpath: str = Field(
        default=...,
        description="A .py file with the functions, or a folder of <function_name>.py files.",
    )
    check_is_dangerous: bool = Field(
        default=True,
        description="Refuse functions whose source looks dangerous (subprocesses, OS calls, exit, exec...).",
    )
    timeout: PositiveFloat = Field(default=5.0, description="Seconds one function call may take.")

    _runner: Optional[FunctionRunner] = PrivateAttr(default=None)

    inputs = column_property(["answers"])
    outputs = column_property(["keep_row_after_execution_check", "execution_result"])

    def load(self) -> None:
        super().load()
        path = Path(self.libpath)
        if not (path.is_dir() or (path.is_file() and path.suffix == ".py")):
            raise DistilabelUserError(
                f"APIGenExecutionChecker: libpath {self.libpath!r} must be a .py file or a folder of .py files,"
                " and it is neither."
            )
        runner = FunctionRunner(str(path.resolve()), self.check_is_dangerous, self.timeout)
        try:
            runner.start()
        except RuntimeError as error:
            raise DistilabelUserError(f"APIGenExecutionChecker: {error}") from error
        self._runner = runner

    def unload(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None
        super().unload()

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        if self._runner is None:
            raise DistilabelUserError("APIGenExecutionChecker: call load() before process().")
        rows = []
        for row in inputs:
            calls, problem = _parse_calls(row.get("answers"))
            if problem is not None:
                results = [problem]
                keep = False
            else:
                outcomes = [self._run(call) for call in calls]
                keep = all(ok for ok, _ in outcomes)
                results = [text for _, text in outcomes]
            rows.append(
                {**row, "keep_row_after_execution_check": keep, "execution_result": results}
            )
        yield rows

    def _run(self, call: Any) -> Tuple[bool, str]:
        if call is None:
            return False, "Nothing was generated for this answer."
        if not isinstance(call, dict):
            return False, f"A call must be an object with 'name' and 'arguments', got {call!r}."
        name = call.get("name")
        self._logger.debug("Executing %r with arguments %r", name, call.get("arguments"))
        result = self._runner.run(name, call.get("arguments"))  # type: ignore[union-attr]
        return result["keep"], result["execution_result"]


def _parse_calls(answers: Any) -> Tuple[List[Any], Optional[str]]:
    """The list of calls in an ``answers`` value, or why there is none."""
    if answers is None or answers == "" or answers == []:
        return [], "No answers were provided."
    if isinstance(answers, str):
        try:
            answers = json.loads(answers)
        except ValueError as error:
            return [], f"The answers are not valid JSON: {error}"
    if isinstance(answers, dict):
        answers = [answers]
    if not isinstance(answers, list) or not answers:
        return [], "No answers were provided."
    return answers, None


__all__ = ["APIGenExecutionChecker"]
