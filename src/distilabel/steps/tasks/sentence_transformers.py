"""``GenerateSentencePair``: positive (and negative) sentences for an anchor, to train embedding models."""

import re
from typing import TYPE_CHECKING, Any, Dict, Final, Literal, Optional

from distilabel.errors import DistilabelUserError
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.utils.llm_json import json_object
from distilabel.utils.template import package_template, render_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType
    from distilabel.typing.steps import StepColumns

GenerationAction = Literal["paraphrase", "semantically-similar", "query", "answer"]
"""How the positive sentence relates to the anchor."""

# What the positive sentence does, completing "write a positive sentence that ...".
ACTION_SENTENCES: Final[Dict[str, str]] = {
    "paraphrase": "says the same as the anchor in other words",
    "semantically-similar": "is close in meaning to the anchor",
    "query": "is a search query that the anchor would answer",
    "answer": "answers the anchor",
}

# The answer format: a `## Positive` section, then optionally a `## Negative` one.
POSITIVE_NEGATIVE_PAIR_REGEX = re.compile(
    r"## Positive\s+(.*?)(?:\s+## Negative\s+(.*?))?\s*$", re.DOTALL
)


class GenerateSentencePair(Task):
    """Generate a positive sentence, and optionally a negative one, for an anchor sentence.

    The pairs (anchor, positive) or triplets (anchor, positive, negative) are training
    data for sentence embedding models. ``action`` says how the positive relates to the
    anchor; with ``triplet=True`` a negative sentence is written too, unrelated to the
    anchor, or with ``hard_negative=True`` deliberately close to it on the surface.

    Attributes:
        triplet: also write a negative sentence. Defaults to ``False``.
        action: how the positive relates to the anchor: ``"paraphrase"`` (same meaning,
            other words), ``"semantically-similar"`` (close in meaning), ``"query"`` (a
            search query the anchor answers) or ``"answer"`` (an answer to the anchor).
        hard_negative: make the negative a hard negative, sharing words and structure
            with the anchor. Only used with ``triplet=True``. Defaults to ``False``.
        context: text shown with every anchor to keep the sentences on its subject.
            Not used by default.
        use_default_structured_output: ask for a JSON object with ``positive`` (and
            ``negative``) instead of Markdown sections.

    Input columns:
        - anchor (`str`): the sentence to write the positive and negative for.

    Output columns:
        - positive (`str`): the positive sentence.
        - negative (`str`): the negative sentence (only with ``triplet=True``).
        - model_name (`str`): the model that wrote them.

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import GenerateSentencePair

        task = GenerateSentencePair(llm=OpenAILLM(model="gpt-4o-mini"), action="query", triplet=True)
        task.load()
        rows = next(task.process([{"anchor": "Argilla is a data curation platform for LLMs."}]))
        # rows[0]["positive"], rows[0]["negative"]
        ```
    """

    triplet: bool = False
    action: GenerationAction
    hard_negative: bool = False
    context: str = ""

    inputs = column_property(["anchor"])

    @property
    def outputs(self) -> "StepColumns":
        return (
            ["positive", "negative", "model_name"] if self.triplet else ["positive", "model_name"]
        )

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        anchor = input.get("anchor")
        if not isinstance(anchor, str):
            raise DistilabelUserError(
                f"The 'anchor' column must be a string, got {type(anchor).__name__}."
            )
        system = render_template(
            package_template("sentence_pair/system.jinja2"),
            triplet=self.triplet,
            hard_negative=self.hard_negative,
            action_sentence=ACTION_SENTENCES[self.action],
            has_context=bool(self.context),
            json_answer=self.use_default_structured_output,
        )
        user = render_template(
            package_template("sentence_pair/user.jinja2"), anchor=anchor, context=self.context
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]  # type: ignore[return-value]

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Read ``## Positive`` / ``## Negative`` sections (or the JSON object with structured output).

        A missing section, or an answer that does not follow the format, gives ``None``.
        """
        empty: Dict[str, Any] = (
            {"positive": None, "negative": None} if self.triplet else {"positive": None}
        )
        if output is None:
            return empty
        if self.use_default_structured_output:
            parsed = json_object(output)
            if parsed is None:
                return empty
            return {key: _text_or_none(parsed.get(key)) for key in empty}
        match = POSITIVE_NEGATIVE_PAIR_REGEX.search(output)
        if match is None:
            return empty
        positive, negative = match.groups()
        if not self.triplet:
            return {"positive": _text_or_none(positive)}
        return {"positive": _text_or_none(positive), "negative": _text_or_none(negative)}

    def get_structured_output(self) -> Dict[str, Any]:
        """A JSON schema with the ``positive`` (and ``negative``) strings."""
        keys = ["positive", "negative"] if self.triplet else ["positive"]
        schema = {
            "properties": {key: {"title": key.capitalize(), "type": "string"} for key in keys},
            "required": keys,
            "title": "Schema",
            "type": "object",
        }
        return {"format": "json", "schema": schema}


def _text_or_none(value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return None
    return value.strip() or None


__all__ = ["GenerateSentencePair", "GenerationAction"]
