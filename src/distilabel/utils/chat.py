"""Chat helpers (distilabel 1.5's ``distilabel.utils.chat``)."""

from typing import Any


def is_openai_format(input: Any) -> bool:
    """Whether ``input`` is a conversation in OpenAI's format: a list of dicts with ``role`` and ``content``.

    Examples:
        >>> is_openai_format([{"role": "user", "content": "Hi"}])
        True
        >>> is_openai_format("Hi")
        False
    """
    return isinstance(input, list) and all(isinstance(m, dict) and "role" in m and "content" in m for m in input)


__all__ = ["is_openai_format"]
