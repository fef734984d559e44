"""``@task``: make a ``Task`` class out of a function that parses the LLM's output.

The function's docstring holds the prompt, as YAML between two ``---`` lines::

    @task(inputs=["text"], outputs=["summary"])
    def Summarize(output: Union[str, None], input: Union[Dict[str, Any], None] = None) -> Dict[str, Any]:
        '''Summarize a text in one sentence.

        ---
        system_prompt: You write one-sentence summaries.
        user_message_template: Summarize this text: {text}
        ---
        '''
        return {"summary": output}

``system_prompt`` and ``user_message_template`` are ``str.format`` templates whose
``{placeholders}`` must be input columns; the function is the task's
``format_output(output, input)``.
"""

import inspect
import string
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set, Tuple, Type, Union

import yaml

from distilabel.errors import DistilabelUserError
from distilabel.steps.tasks.base import Task

if TYPE_CHECKING:
    from distilabel.typing import ChatType
    from distilabel.typing.steps import StepColumns

TaskFormattingOutputFunc = Callable[..., Dict[str, Any]]

_SYSTEM_PROMPT_KEY = "system_prompt"
_USER_MESSAGE_TEMPLATE_KEY = "user_message_template"
_FORMAT_HELP = (
    "The docstring of a function decorated with `@task` must hold, between two lines of"
    " `---`, YAML with the keys `system_prompt` and `user_message_template`, e.g.\n"
    "    ---\n"
    "    system_prompt: You are a helpful assistant.\n"
    "    user_message_template: Answer this question: {question}\n"
    "    ---"
)


def task(
    inputs: Union["StepColumns", None] = None,
    outputs: Union["StepColumns", None] = None,
) -> Callable[[TaskFormattingOutputFunc], Type[Task]]:
    """Make a ``Task`` from a function that formats the LLM's output.

    Args:
        inputs: the input columns: a list, or a dict of column -> whether it is required.
            The templates' placeholders must be among them.
        outputs: the output columns: a list, or a dict of column -> whether it is always written.

    Returns:
        A decorator turning ``func(output, input) -> dict`` into a ``Task`` class named
        like the function.

    Raises:
        DistilabelUserError: the function has no docstring, the docstring does not hold
            the two templates, or a template uses a placeholder that is not an input.
    """
    declared_inputs = inputs or []
    declared_outputs = outputs or []

    def decorator(func: TaskFormattingOutputFunc) -> Type[Task]:
        doc = inspect.getdoc(func)
        if not doc:
            raise DistilabelUserError(
                f"`@task` needs a docstring on {func.__name__!r} holding the prompt templates. {_FORMAT_HELP}"
            )
        system_prompt, user_template = _parse_docstring(doc, func.__name__)
        columns = list(declared_inputs)
        for label, template in (("system_prompt", system_prompt), ("user_message_template", user_template)):
            unknown = _placeholders(template, label, func.__name__) - set(columns)
            if unknown:
                raise DistilabelUserError(
                    f"`@task` {func.__name__!r}: the {label} uses the placeholders {sorted(unknown)}, which are"
                    f" not input columns; the inputs are {columns}. Add them to `inputs` or remove them."
                )

        def inputs_property(self: Task) -> "StepColumns":
            return declared_inputs

        def outputs_property(self: Task) -> "StepColumns":
            return declared_outputs

        def format_input(self: Task, input: Dict[str, Any]) -> "ChatType":
            return [
                {"role": "system", "content": system_prompt.format_map(_Row(input))},
                {"role": "user", "content": user_template.format_map(_Row(input))},
            ]

        def format_output(self: Task, output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
            return func(output, input)

        namespace = {
            "__module__": func.__module__,
            "__qualname__": func.__name__,
            "__doc__": func.__doc__,
            "inputs": property(inputs_property),
            "outputs": property(outputs_property),
            "format_input": format_input,
            "format_output": format_output,
        }
        return type(func.__name__, (Task,), namespace)

    return decorator


class _Row(dict):
    """A row for ``str.format_map`` whose missing columns fail with a readable message."""

    def __missing__(self, key: str) -> Any:
        raise DistilabelUserError(f"The row has no column {key!r} for the prompt template (it has {sorted(self)}).")


def _parse_docstring(doc: str, name: str) -> Tuple[str, str]:
    """The system prompt and user message template in ``doc``'s ``---`` block."""
    parts = doc.split("---")
    if len(parts) != 3:
        raise DistilabelUserError(f"`@task` {name!r}: the docstring has no single `---` block. {_FORMAT_HELP}")
    try:
        data = yaml.safe_load(parts[1])
    except yaml.YAMLError as error:
        raise DistilabelUserError(f"`@task` {name!r}: the `---` block is not valid YAML ({error}). {_FORMAT_HELP}") from None
    if not isinstance(data, dict):
        raise DistilabelUserError(f"`@task` {name!r}: the `---` block must be YAML key/values. {_FORMAT_HELP}")
    missing = [key for key in (_SYSTEM_PROMPT_KEY, _USER_MESSAGE_TEMPLATE_KEY) if not isinstance(data.get(key), str)]
    if missing:
        raise DistilabelUserError(f"`@task` {name!r}: the `---` block has no text for {missing}. {_FORMAT_HELP}")
    return data[_SYSTEM_PROMPT_KEY].strip(), data[_USER_MESSAGE_TEMPLATE_KEY].strip()


def _placeholders(template: str, label: str, name: str) -> Set[str]:
    """The column names ``template`` formats; only plain ``{column}`` fields are allowed."""
    found: List[str] = []
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as error:
        raise DistilabelUserError(
            f"`@task` {name!r}: the {label} is not a valid format string ({error}); write a literal brace as `{{{{` or `}}}}`."
        ) from None
    for _, field, _, _ in fields:
        if field is None:
            continue
        if not field.isidentifier():
            raise DistilabelUserError(
                f"`@task` {name!r}: the {label} has the placeholder {{{field}}}; placeholders must be plain column"
                " names such as {question}."
            )
        found.append(field)
    return set(found)


__all__ = ["TaskFormattingOutputFunc", "task"]
