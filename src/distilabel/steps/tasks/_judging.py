"""Reading judgements out of free text: the pieces the judge and scorer tasks share."""

import re
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Sequence

from distilabel.errors import DistilabelUserError
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.utils.llm_json import json_object
from distilabel.utils.template import compile_template, package_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType

_INTEGER = re.compile(r"\b\d+\b")
# "[2] Score: 4", "[2]  score:4", "**[2] Score:** 4"; the index says which item the score is for.
_INDEXED_SCORE = re.compile(r"\[(\d+)\][*_\s]*score[*_\s]*:[*_\s]*(\d+)", re.IGNORECASE)


def first_integer(text: Optional[str], low: Optional[int] = None, high: Optional[int] = None) -> Optional[int]:
    """The first whole number in ``text`` ("4", "4/5", "Rating: 4 (good)"), or ``None``.

    ``None`` too when the number falls outside ``[low, high]``, or ``text`` says
    ``None`` / ``N/A`` (the judge's way of leaving an item unrated).
    """
    if text is None:
        return None
    match = _INTEGER.search(text)
    if match is None:
        return None
    value = int(match.group(0))
    if (low is not None and value < low) or (high is not None and value > high):
        return None
    return value


def indexed_scores(output: Optional[str], count: int) -> List[Optional[float]]:
    """The ``[i] Score: N`` lines of ``output`` as ``count`` scores, ``None`` where one is missing.

    Each score goes to the item its ``[i]`` names, so a preamble line or a skipped
    item does not shift the others; the first score given for an item wins.
    """
    scores: List[Optional[float]] = [None] * count
    for match in _INDEXED_SCORE.finditer(output or ""):
        index = int(match.group(1)) - 1
        if 0 <= index < count and scores[index] is None:
            scores[index] = float(match.group(2))
    return scores


def fit(values: Any, count: int) -> List[Any]:
    """``values`` as a list of exactly ``count`` items: cut, or padded with ``None``."""
    items = list(values) if isinstance(values, (list, tuple)) else []
    return (items + [None] * count)[:count]


def text_count(row: Optional[Dict[str, Any]], column: str) -> Optional[int]:
    """How many texts ``row[column]`` holds; ``None`` when it is not a list (the row's input was bad)."""
    value = (row or {}).get(column)
    return len(value) if isinstance(value, (list, tuple)) else None


def require_texts(row: dict, column: str, task: str, exactly: Optional[int] = None) -> Sequence[Any]:
    """``row[column]`` checked to be a non-empty list (of ``exactly`` items when given)."""
    value = row.get(column)
    if not isinstance(value, (list, tuple)) or not value:
        raise DistilabelUserError(
            f"{task} needs the column {column!r} to be a non-empty list of texts, got {type(value).__name__}:"
            f" {str(value)[:200]!r}."
        )
    if exactly is not None and len(value) != exactly:
        raise DistilabelUserError(f"{task} needs exactly {exactly} texts in {column!r}, got {len(value)}.")
    return value


class ListScorer(Task):
    """A task that scores a list of texts of a row in one call, answered as ``[i] Score: N`` lines.

    Subclasses name the column holding the texts, their template and the columns they read.
    """

    _texts_column: ClassVar[str] = ""
    _template_name: ClassVar[str] = ""

    outputs = column_property(["scores", "model_name"])

    def _prompt(self, **values: Any) -> "ChatType":
        template = compile_template(package_template(self._template_name))
        return [{"role": "user", "content": template.render(**values)}]  # type: ignore[return-value]

    def format_output(self, output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        count = text_count(input, self._texts_column)
        if count is None:
            return {"scores": None}
        if output is None:
            return {"scores": [None] * count}
        if self.use_default_structured_output:
            answer = json_object(output) or {}
            scores = fit(answer.get("scores"), count)
            return {"scores": [float(s) if isinstance(s, (int, float)) and not isinstance(s, bool) else None for s in scores]}
        return {"scores": indexed_scores(output, count)}

    def get_structured_output(self) -> Dict[str, Any]:
        """The JSON schema of the answer, used with ``use_default_structured_output=True``."""
        return {
            "properties": {"scores": {"items": {"type": "integer"}, "title": "Scores", "type": "array"}},
            "required": ["scores"],
            "title": f"Schema{type(self).__name__}",
            "type": "object",
        }


__all__ = ["ListScorer", "first_integer", "fit", "indexed_scores", "require_texts", "text_count"]
