"""UltraFeedback: rate several texts written for one instruction, on one aspect, in a single call."""

import re
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional

from pydantic import PrivateAttr

from distilabel.steps.column_property import column_property
from distilabel.steps.tasks._judging import first_integer, fit, require_texts, text_count
from distilabel.steps.tasks.base import Task
from distilabel.utils.llm_json import json_object
from distilabel.utils.template import compile_template, package_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType, FormattedInput
    from distilabel.typing.steps import StepColumns

UltraFeedbackAspect = Literal["helpfulness", "honesty", "instruction-following", "truthfulness", "overall-rating"]

# Aspects answered with a rating and a rationale per text; the others also name "types".
_RATING_ASPECTS = ("honesty", "instruction-following", "overall-rating")

_LABEL = r"[*_]*{}[*_]*\s*:[*_]*[ \t]*"
# A field's value runs to the end of its line; a rationale runs on until a blank line, a
# heading, the next field that opens a block, or the end of the text.
_END_OF_BLOCK = r"(?=\n[ \t]*\n|\n[ \t]*#|\n[ \t]*[*_]*(?:Rating|Type)[*_]*\s*:|\Z)"
_RATING_BLOCK = re.compile(
    _LABEL.format("Rating") + r"(?P<rating>[^\n]*)\n\s*" + _LABEL.format("Rationale") + r"(?P<rationale>.+?)" + _END_OF_BLOCK,
    re.IGNORECASE | re.DOTALL,
)
_TYPED_BLOCK = re.compile(
    _LABEL.format("Types?") + r"(?P<type>[^\n]*)\n\s*"
    + _LABEL.format("Rationale") + r"(?P<type_rationale>[^\n]*(?:\n(?![ \t]*[*_]*Rating)[^\n]+)*)\n\s*"
    + _LABEL.format("Rating") + r"(?P<rating>[^\n]*)\n\s*"
    + _LABEL.format("Rationale") + r"(?P<rationale>.+?)" + _END_OF_BLOCK,
    re.IGNORECASE | re.DOTALL,
)
_TEXT_HEADER = re.compile(r"^[ \t]*#*[ \t]*[*_]*Output for Text[ \t]+(\d+)[^\n]*$", re.IGNORECASE | re.MULTILINE)


class UltraFeedback(Task):
    """Rate several texts written for one instruction on one aspect, with a reason for each rating.

    The judge sees the instruction and every text in one prompt and answers, per text,
    ``Rating: N`` and ``Rationale: ...`` (``helpfulness`` and ``truthfulness`` also
    ``Type: ...`` with its own rationale first), as in the UltraFeedback paper. Ratings
    go from 1 to 5; a text whose block is missing or unreadable gets ``None`` in every
    column while the other texts keep theirs, and the judge's whole answer stays in
    ``distilabel_metadata``.

    Attributes:
        aspect: what to rate: ``"helpfulness"``, ``"honesty"``, ``"instruction-following"``,
            ``"truthfulness"``, or ``"overall-rating"`` (all of them in one rating).
        use_default_structured_output: ask for a JSON answer (``{"ratings": [...],
            "rationales": [...]}``, plus ``types`` and ``rationales_for_rating`` for the
            typed aspects) instead of the text format.

    Input columns:
        - instruction (`str`): the instruction the texts answer.
        - generations (`List[str]`): the texts to rate.

    Output columns:
        - ratings (`List[int]`): one rating per text, 1 to 5.
        - rationales (`List[str]`): why each text got its rating (for ``helpfulness`` and
          ``truthfulness``: why it got its types).
        - types (`List[int]`): ``helpfulness`` / ``truthfulness`` only: the first type number
          named for each text (``None`` when the judge said none).
        - rationales-for-ratings (`List[str]`): ``helpfulness`` / ``truthfulness`` only: why
          each text got its rating.
        - model_name (`str`): the judge model.

    References:
        - [UltraFeedback: Boosting Language Models with Scaled AI Feedback](https://arxiv.org/abs/2310.01377)

    Examples:
        ```python
        from distilabel.steps.tasks import UltraFeedback

        judge = UltraFeedback(llm=llm, aspect="honesty")
        judge.load()
        rows = next(judge.process([{"instruction": "What is 2+2?", "generations": ["4", "5, surely"]}]))
        # rows[0]["ratings"] -> [5, 1]
        ```
    """

    aspect: UltraFeedbackAspect = "overall-rating"

    _system_prompt: str = PrivateAttr(
        default=(
            "You are a careful, impartial judge of text quality. You will get an instruction and"
            " {no_texts} texts written for it. Rate each text on its own against the criteria you are"
            " given, and give a short reason for every rating."
        )
    )

    @property
    def _typed(self) -> bool:
        return self.aspect not in _RATING_ASPECTS

    inputs = column_property(["instruction", "generations"])

    @property
    def outputs(self) -> "StepColumns":
        columns = ["types", "rationales", "ratings", "rationales-for-ratings"] if self._typed else ["ratings", "rationales"]
        return [*columns, "model_name"]

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        generations = require_texts(input, "generations", type(self).__name__)
        texts = ["" if text is None else str(text) for text in generations]
        system = self._system_prompt.format(no_texts=len(texts))
        template = compile_template(package_template(f"ultrafeedback/{self.aspect}.jinja2"))
        prompt = template.render(instruction=input["instruction"], generations=texts)
        return [{"role": "system", "content": system}, {"role": "user", "content": prompt}]  # type: ignore[return-value]

    def format_output(self, output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        count = text_count(input, "generations")
        if count is None:
            return dict.fromkeys(self._unrated(0))
        if output is None:
            return self._unrated(count)
        if self.use_default_structured_output:
            return self._from_json(output, count)
        pattern = _TYPED_BLOCK if self._typed else _RATING_BLOCK
        blocks = _blocks_per_text(output, count, pattern)
        if self._typed:
            return {
                "types": [first_integer(b["type"]) if b else None for b in blocks],
                "rationales": [b["type_rationale"].strip() if b else None for b in blocks],
                "ratings": [first_integer(b["rating"], 1, 5) if b else None for b in blocks],
                "rationales-for-ratings": [b["rationale"].strip() if b else None for b in blocks],
            }
        return {
            "ratings": [first_integer(b["rating"], 1, 5) if b else None for b in blocks],
            "rationales": [b["rationale"].strip() if b else None for b in blocks],
        }

    def _unrated(self, count: int) -> Dict[str, List[None]]:
        return {column: [None] * count for column in self.get_outputs() if column != "model_name"}

    def _from_json(self, output: str, count: int) -> Dict[str, Any]:
        answer = json_object(output)
        if answer is None:
            return self._unrated(count)
        ratings = [r if isinstance(r, int) and 1 <= r <= 5 else None for r in fit(answer.get("ratings"), count)]
        result: Dict[str, Any] = {"ratings": ratings, "rationales": _strings(answer.get("rationales"), count)}
        if self._typed:
            result["types"] = [t if isinstance(t, int) else None for t in fit(answer.get("types"), count)]
            result["rationales-for-ratings"] = _strings(answer.get("rationales_for_rating"), count)
        return result

    def _format(self, row: Dict[str, Any]) -> "FormattedInput":
        formatted = super()._format(row)
        if not isinstance(formatted, tuple):
            return formatted
        # The default schema, held to this row: one item per text and ratings from 1 to 5,
        # which a grammar-constrained model cannot get wrong.
        return (formatted[0], _sized(self.get_structured_output(), len(row["generations"])))  # type: ignore[return-value]

    def get_structured_output(self) -> Dict[str, Any]:
        """The JSON schema of the answer, used with ``use_default_structured_output=True``."""
        ratings = {"items": {"type": "integer"}, "title": "Ratings", "type": "array"}
        rationales = {"items": {"type": "string"}, "title": "Rationales", "type": "array"}
        if not self._typed:
            return {
                "properties": {"ratings": ratings, "rationales": rationales},
                "required": ["ratings", "rationales"],
                "title": "SchemaUltraFeedback",
                "type": "object",
            }
        return {
            "properties": {
                "types": {"items": {"anyOf": [{"type": "integer"}, {"type": "null"}]}, "title": "Types", "type": "array"},
                "ratings": ratings,
                "rationales": rationales,
                "rationales_for_rating": {"items": {"type": "string"}, "title": "Rationales For Rating", "type": "array"},
            },
            "required": ["types", "ratings", "rationales", "rationales_for_rating"],
            "title": "SchemaUltraFeedbackWithType",
            "type": "object",
        }


def _blocks_per_text(output: str, count: int, pattern: "re.Pattern[str]") -> List[Optional[Dict[str, str]]]:
    """The judgement block of each text: by its ``Output for Text N`` heading, else in order."""
    headers = list(_TEXT_HEADER.finditer(output))
    blocks: List[Optional[Dict[str, str]]] = [None] * count
    if headers:
        for position, header in enumerate(headers):
            index = int(header.group(1)) - 1
            end = headers[position + 1].start() if position + 1 < len(headers) else len(output)
            if 0 <= index < count and blocks[index] is None:
                match = pattern.search(output, header.end(), end)
                blocks[index] = match.groupdict() if match else None
        return blocks
    return fit([match.groupdict() for match in pattern.finditer(output)], count)


def _sized(schema: Dict[str, Any], count: int) -> Dict[str, Any]:
    """``schema`` with each list holding exactly ``count`` items, and ratings limited to 1-5."""
    properties = {}
    for name, prop in schema["properties"].items():
        prop = {**prop, "minItems": count, "maxItems": count}
        if name == "ratings":
            prop["items"] = {"type": "integer", "enum": [1, 2, 3, 4, 5]}
        properties[name] = prop
    return {**schema, "properties": properties}


def _strings(values: Any, count: int) -> List[Optional[str]]:
    return [v if isinstance(v, str) else None for v in fit(values, count)]


__all__ = ["UltraFeedback", "UltraFeedbackAspect"]
