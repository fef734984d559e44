"""Structured output for llama.cpp: a GBNF grammar that llama.cpp enforces while sampling."""

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Optional

from distilabel.errors import DistilabelUserError
from distilabel.models.structured.budget import (
    TIGHT_INTEGER_DIGITS,
    cap_json_schema,
    integers_all_tight,
)
from distilabel.models.structured.gbnf import regex_to_gbnf
from distilabel.models.structured.spec import JsonSchemaOutput, RegexOutput, StructuredOutput

if TYPE_CHECKING:
    from llama_cpp import LlamaGrammar


def structured_output_gbnf(structured: StructuredOutput, max_new_tokens: Optional[int] = None) -> str:
    """The GBNF grammar for a structured output, sized to fit ``max_new_tokens``.

    Raises:
        DistilabelUserError: the regex or JSON schema cannot be expressed as a grammar.
    """
    if isinstance(structured, RegexOutput):
        return regex_to_gbnf(structured.pattern, max_new_tokens)
    if isinstance(structured, JsonSchemaOutput):
        # Not schema_json: its keys are sorted, and the grammar follows property order.
        return _json_gbnf(json.dumps(structured.schema), max_new_tokens)
    raise DistilabelUserError(f"Unsupported structured output {structured!r}.")


@lru_cache(maxsize=128)
def _json_gbnf(schema_json: str, max_new_tokens: Optional[int]) -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    schema = cap_json_schema(json.loads(schema_json), max_new_tokens)
    try:
        gbnf = json_schema_to_gbnf(json.dumps(schema))
    except Exception as error:  # the converter raises bare Exceptions and AssertionErrors
        raise DistilabelUserError(f"The JSON schema cannot be turned into a llama.cpp grammar: {error}") from error
    if integers_all_tight(schema):
        # llama.cpp's converter ignores minimum/maximum; bound the digits in the grammar itself.
        gbnf = _INTEGRAL_PART.sub(_bounded_integral_part(TIGHT_INTEGER_DIGITS), gbnf)
    return gbnf


_INTEGRAL_PART = re.compile(r"^integral-part ::= .*$", re.MULTILINE)


def _bounded_integral_part(digits: int) -> str:
    """An ``integral-part`` rule with at most ``digits`` digits and no leading zero."""
    tail = "[0-9]"
    for _ in range(digits - 2):
        tail = f"[0-9] ({tail})?"
    return f"integral-part ::= [0-9] | [1-9] ({tail})?"


def llamacpp_grammar(structured: Optional[StructuredOutput], max_new_tokens: Optional[int] = None) -> Any:
    """A ``llama_cpp.LlamaGrammar`` for ``structured``, or ``None`` without structured output."""
    if structured is None:
        return None
    return _grammar(structured_output_gbnf(structured, max_new_tokens))


@lru_cache(maxsize=128)
def _grammar(gbnf: str) -> "LlamaGrammar":
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(gbnf, verbose=False)
