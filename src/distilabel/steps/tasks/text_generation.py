"""Text generation tasks: a prompt (from a Jinja2 template over columns) or a conversation in, text out."""

import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from jinja2.environment import Template
from pydantic import Field, PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task, normalize_columns
from distilabel.utils.template import compile_template, template_variables

if TYPE_CHECKING:
    from distilabel.typing import ChatType
    from distilabel.typing.steps import StepColumns


class TextGeneration(Task):
    """Generate text for an instruction, or for a Jinja2 template over several columns.

    Attributes:
        system_prompt: a system message sent before each prompt (a ``system_prompt``
            column, when present, wins).
        use_system_prompt: deprecated; kept for compatibility.
        template: a Jinja2 template rendering the prompt from ``columns``.
        columns: the columns the template uses.

    Input columns:
        - the ``columns`` (``instruction`` by default).

    Output columns:
        - generation (str): the generated text.
        - model_name (str): the model that generated it.

    Examples:
        ```python
        task = TextGeneration(llm=llm, template="Translate to French: {{ text }}", columns="text")
        ```
    """

    system_prompt: Optional[str] = None
    use_system_prompt: bool = Field(default=True, exclude=True)
    template: str = Field(default="{{ instruction }}", description="Jinja2 template for the prompt.")
    columns: Union[str, List[str]] = Field(default="instruction", description="The columns the template uses.")

    _template: Optional[Template] = PrivateAttr(default=None)
    # The column a template like "{{ instruction }}" just prints: rendered without Jinja.
    _only_column: Optional[str] = PrivateAttr(default=None)

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        used = template_variables(self.template)
        missing = [c for c in normalize_columns(self.columns) if c not in used]
        if missing:
            raise DistilabelUserError(
                f"TextGeneration {self.name!r}: the template does not use the columns {missing}; every"
                f" column must appear in it as {{{{ column }}}}. Template: {self.template!r}."
            )
        self._template = compile_template(self.template)
        match = re.fullmatch(r"\{\{\s*(\w+)\s*\}\}", self.template)
        self._only_column = match.group(1) if match else None

    @property
    def inputs(self) -> "StepColumns":
        return {**dict.fromkeys(normalize_columns(self.columns), True), "system_prompt": False}

    outputs = column_property(["generation", "model_name"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        """The prompt for one row.

        A bad value fails its row here, before a request is paid for: a missing value
        (``None``), a prompt column that is not text (an int, a dict: it would be sent
        as ``"None"``, ``"{...}"``), or a prompt with nothing in it.
        """
        values = {}
        for column in normalize_columns(self.columns):
            if column not in input:
                raise DistilabelUserError(f"Row has no column {column!r} (it has {sorted(input)}).")
            values[column] = _checked_value(column, input[column], text_only=column == self._only_column)
        only = self._only_column
        prompt = values[only] if only is not None else self._template.render(**values)  # type: ignore[union-attr]
        if not prompt.strip():
            raise DistilabelUserError(
                f"The prompt of this row is empty (the template {self.template!r} rendered {prompt!r}):"
                " nothing to send."
            )
        messages: List[Dict[str, Any]] = []
        system = input.get("system_prompt") or self.system_prompt
        if system is not None and not isinstance(system, str):
            raise DistilabelUserError(
                f"Column 'system_prompt' must hold text (str), got {_describe(system)}."
            )
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": prompt})
        return messages  # type: ignore[return-value]

    def format_output(self, output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        return {"generation": output}


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:100] + '...' if len(text) > 100 else text}"


def _checked_value(column: str, value: Any, text_only: bool) -> Any:
    """``value`` if it can go into a prompt, else the reason it cannot (raised)."""
    if value is None:
        raise DistilabelUserError(f"Column {column!r} is None (a missing value): there is no prompt to send.")
    if text_only:
        if isinstance(value, list) and value and all(isinstance(m, dict) and "role" in m for m in value):
            raise DistilabelUserError(
                f"Column {column!r} holds a conversation, not text: use `ChatGeneration` with a"
                " `messages` column for conversations."
            )
        if not isinstance(value, str):
            raise DistilabelUserError(
                f"Column {column!r} must hold text (str), got {_describe(value)}: it would be sent as"
                f" {str(value)[:60]!r}. Convert the column to text first if that is what you mean."
            )
    return value


class ChatGeneration(Task):
    """Generate the next assistant message of a conversation in the OpenAI chat format.

    Input columns:
        - messages (List[Dict[str, str]]): the conversation, ending with a user message.

    Output columns:
        - generation (str): the generated message.
        - model_name (str): the model that generated it.
    """

    inputs = column_property(["messages"])
    outputs = column_property(["generation", "model_name"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        messages = input.get("messages")
        if not isinstance(messages, list) or not messages or not all(
            isinstance(m, dict) and "role" in m and "content" in m for m in messages
        ):
            raise DistilabelUserError(
                "The 'messages' column must be a non-empty list of {'role': ..., 'content': ...} dicts,"
                f" got {str(messages)[:200]!r}."
            )
        for index, message in enumerate(messages):
            # Text, or a list of content parts (images); None would be sent as an empty turn.
            if not isinstance(message["content"], (str, list)):
                raise DistilabelUserError(
                    f"Message {index} of the 'messages' column has content {_describe(message['content'])}:"
                    " it must be text (or a list of content parts)."
                )
        if messages[-1]["role"] != "user":
            raise DistilabelUserError(f"The last message must be from the user, got {messages[-1]['role']!r}.")
        return messages  # type: ignore[return-value]

    def format_output(self, output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        return {"generation": output}
