"""Reading JSON that a language model wrote.

Models asked for JSON often wrap it in a Markdown code fence, add a sentence before
or after it, put raw newlines inside strings, or answer with a Python literal
(single quotes, ``True``). ``loads_llm_json`` accepts those, and nothing that needs
evaluating code: the last resort is ``ast.literal_eval``, which only builds literals.
"""

import ast
import json
import re
import warnings
from typing import Any, Dict, Iterator, Optional

_FENCED = re.compile(r"```[ \t]*[\w+-]*[ \t]*\n(.*?)\n?[ \t]*```", re.DOTALL)


def strip_code_fences(text: str) -> str:
    """The content of the first Markdown code fence in ``text``, or ``text`` stripped when there is none."""
    match = _FENCED.search(text)
    return match.group(1).strip() if match else text.strip()


def json_object(output: Optional[str]) -> Optional[Dict[str, Any]]:
    """The JSON object in a model's answer, or ``None`` when there is none (or it is not an object)."""
    try:
        value = loads_llm_json(output)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def loads_llm_json(text: Optional[str]) -> Any:
    """Parse the JSON value in a model's answer.

    Tries, in order: the whole text; the content of a code fence; the outermost
    ``{...}`` or ``[...]`` span; each of those as a Python literal.

    Raises:
        ValueError: nothing in ``text`` parses.
    """
    if text is None:
        raise ValueError("there is no text to parse (the generation failed)")
    for candidate in _candidates(text):
        try:
            # strict=False accepts raw newlines and tabs inside strings.
            return json.loads(candidate, strict=False)
        except ValueError:
            pass
    for candidate in _candidates(text):
        try:
            with warnings.catch_warnings():
                # "invalid escape sequence" (LaTeX such as "\(") is not our user's code to warn about.
                warnings.simplefilter("ignore")
                return ast.literal_eval(candidate)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
    raise ValueError(f"no JSON value found in {text[:200]!r}")


def _candidates(text: str) -> Iterator[str]:
    seen = set()
    stripped = text.strip()
    fenced = strip_code_fences(text)
    for candidate in (
        stripped,
        fenced,
        _outer_span(fenced, "{", "}"),
        _outer_span(fenced, "[", "]"),
    ):
        if candidate and candidate not in seen:
            seen.add(candidate)
            yield candidate


def _outer_span(text: str, opening: str, closing: str) -> Optional[str]:
    start, end = text.find(opening), text.rfind(closing)
    return text[start : end + 1] if 0 <= start < end else None


__all__ = ["json_object", "loads_llm_json", "strip_code_fences"]
