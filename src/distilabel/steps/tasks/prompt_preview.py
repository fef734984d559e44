"""``Task.print()``: show the prompt a task sends, one panel per message, with ``rich``."""

from typing import Any, Callable, Iterable, List, Optional

from distilabel.errors import DistilabelUserError
from distilabel.typing import ChatType


def placeholder_row(columns: List[str], as_lists: Iterable[str] = ()) -> dict:
    """A row whose every input column holds ``<PLACEHOLDER_<COLUMN>>``, to show where each value goes.

    A column in ``as_lists`` (e.g. ``generations``) holds two placeholders instead.
    """
    lists = set(as_lists)
    return {
        column: [f"<PLACEHOLDER_{column.upper()}_{i}>" for i in range(2)]
        if column in lists
        else f"<PLACEHOLDER_{column.upper()}>"
        for column in columns
    }


def sample_formatted_input(format_input: Callable[[dict], Any], columns: List[str]) -> Any:
    """``format_input`` of a placeholder row: text placeholders, else lists of them where a column
    needs a list (``UltraFeedback``'s ``generations``), found by trying."""
    attempts = [(), *((column,) for column in columns), tuple(columns)]
    error: Optional[Exception] = None
    for as_lists in attempts:
        try:
            return format_input(placeholder_row(columns, as_lists))
        except Exception as exc:  # the next shape of row may suit it
            error = exc
    raise DistilabelUserError(
        f"Cannot show a sample prompt: format_input refused every placeholder row ({error}); pass sample_input=[...]."
    )


def as_messages(formatted: Any) -> ChatType:
    """The messages of what ``format_input`` returned: a conversation, a (conversation, structured output) pair, or a prompt string."""
    if isinstance(formatted, tuple) and formatted:
        formatted = formatted[0]
    if isinstance(formatted, str):
        return [{"role": "user", "content": formatted}]
    return list(formatted)


def print_prompt(task_name: str, messages: ChatType, console: Optional[Any] = None) -> None:
    """Print ``messages`` in a panel titled ``Prompt: <task_name>``, one inner panel per message."""
    from rich.console import Console, Group
    from rich.panel import Panel
    from rich.text import Text

    panels = []
    for message in messages:
        content = message.get("content", "")
        if not isinstance(content, str):  # text and image parts
            content = "\n".join(
                part.get("text", "") if part.get("type") == "text" else f"<image: {part.get('image_url', {}).get('url', '')[:60]}>"
                for part in content
            )
        panels.append(
            Panel(
                Text(content),
                title=f"[bold magenta]{str(message.get('role', '')).capitalize()} Message[/bold magenta]",
                border_style="light_cyan3",
            )
        )
    (console or Console()).print(
        Panel(Group(*panels), title=f"[bold magenta]Prompt: {task_name}[/bold magenta]", border_style="light_cyan3", expand=False)
    )
