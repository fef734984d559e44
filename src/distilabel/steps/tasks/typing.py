"""Kept for imports written against ``distilabel.steps.tasks.typing``."""

from distilabel.typing.models import (
    ChatItem,
    ChatType,
    FormattedInput,
    InstructorStructuredOutputType,
    OutlinesStructuredOutputType,
    StandardInput,
    StructuredInput,
    StructuredOutputType,
)

__all__ = [
    "ChatItem",
    "ChatType",
    "FormattedInput",
    "InstructorStructuredOutputType",
    "OutlinesStructuredOutputType",
    "StandardInput",
    "StructuredInput",
    "StructuredOutputType",
]
