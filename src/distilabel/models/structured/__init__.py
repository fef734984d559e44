"""Structured output: one normalised form of the user's ``structured_output`` spec.

Every backend turns a :class:`JsonSchemaOutput` or :class:`RegexOutput` into its
native mechanism (a response format, a grammar, a logits processor), and every
generation is checked against it here, in one place.
"""

from distilabel.models.structured.spec import (
    JsonSchemaOutput,
    RegexOutput,
    StructuredOutput,
    as_conversation,
    normalize_structured_output,
    split_formatted_input,
)

__all__ = [
    "JsonSchemaOutput",
    "RegexOutput",
    "StructuredOutput",
    "as_conversation",
    "normalize_structured_output",
    "split_formatted_input",
]
