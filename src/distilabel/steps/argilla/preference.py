"""``PreferenceToArgilla``: an instruction and several generations, rated side by side in Argilla."""

from typing import Any, Dict, List, Optional

from pydantic import PositiveInt

from distilabel.steps.argilla.base import ArgillaBase, text_value
from distilabel.steps.argilla.text_generation import instruction_id
from distilabel.steps.column_property import column_property

_RATINGS = [1, 2, 3, 4, 5]


class PreferenceToArgilla(ArgillaBase):
    """Send each instruction with its generations to an Argilla dataset, to rate them 1 to 5.

    One record per row. The dataset has the text fields ``id`` (the SHA-256 of the
    instruction), ``instruction`` and ``generations-0`` ... ``generations-{N-1}`` for
    ``num_generations`` = N (only ``generations-0`` is required), and for each generation a
    rating question ``generations-{i}-rating`` (1 to 5) and a text question
    ``generations-{i}-rationale``. Ratings and rationales a step made (``UltraFeedback``'s
    ``ratings`` and ``rationales``) become suggestions to those questions: a rating only
    when it is a whole number from 1 to 5, a rationale only when it is text. With
    ``input_mappings`` the fields take the mapped column names.

    Attributes:
        num_generations: how many generations each row has (the generation fields and
            question pairs the dataset gets).
        dataset_name, dataset_workspace, api_url, api_key: where the records go, see
            `ArgillaBase` (``ARGILLA_API_URL`` and ``ARGILLA_API_KEY`` are the fallbacks).

    Runtime parameters:
        - `dataset_name`, `dataset_workspace`, `api_url`, `api_key`.

    Input columns:
        - instruction (`str`): the instruction the generations answer.
        - generations (`List[str]`): the generations for the instruction.
        - ratings (`List[int]`, optional): a rating of each generation, sent as suggestions.
        - rationales (`List[str]`, optional): the reason for each rating, sent as suggestions.

    Output columns:
        - none: the rows pass through unchanged.

    Categories:
        - save
        - preference

    Examples:
        Send UltraFeedback's judgements to Argilla for review:

        ```python
        from distilabel.steps import PreferenceToArgilla

        to_argilla = PreferenceToArgilla(
            num_generations=2,
            api_url="https://my-argilla.hf.space/",
            api_key="argilla.apikey",
            dataset_name="preferences",
        )
        to_argilla.load()

        rows = next(
            to_argilla.process(
                [
                    {
                        "instruction": "Name a colour.",
                        "generations": ["Teal.", "Blue, or maybe green."],
                        "ratings": [5, 3],
                        "rationales": ["Short and right.", "Hesitant."],
                    }
                ]
            )
        )
        ```
    """

    num_generations: PositiveInt

    inputs = column_property({"instruction": True, "generations": True, "ratings": False, "rationales": False})

    @property
    def optional_inputs(self) -> List[str]:
        """The columns the step reads when they are there: ``ratings`` and ``rationales``."""
        return ["ratings", "rationales"]

    def _name(self, column: str) -> str:
        return self.input_mappings.get(column, column)

    def _generation_field(self, index: int) -> str:
        return f"{self._name('generations')}-{index}"

    def _fields(self, rg: Any) -> List[Any]:
        instruction = self._name("instruction")
        return [
            rg.TextField(name="id", title="id"),
            rg.TextField(name=instruction, title=instruction),
            *(
                rg.TextField(name=self._generation_field(i), title=self._generation_field(i), required=i == 0)
                for i in range(self.num_generations)
            ),
        ]

    def _questions(self, rg: Any) -> List[Any]:
        questions = []
        for i in range(self.num_generations):
            field = self._generation_field(i)
            ignore = None if i == 0 else f"Ignore this question if the corresponding `{field}` field is not available."
            questions += [
                rg.RatingQuestion(
                    name=f"{field}-rating",
                    title=f"Rate {field} given {self._name('instruction')}.",
                    description=ignore,
                    values=_RATINGS,
                    required=i == 0,
                ),
                rg.TextQuestion(
                    name=f"{field}-rationale",
                    title=f"Specify the rationale for {field}'s rating.",
                    description=ignore,
                    required=False,
                ),
            ]
        return questions

    def _records(self, rg: Any, rows: List[Dict[str, Any]]) -> List[Any]:
        records = []
        skipped = 0
        for row in rows:
            instruction = text_value(row.get("instruction"))
            generations = list(row.get("generations") or [])
            if len(generations) > self.num_generations:
                self._logger.warning(
                    "A row has %d generations and num_generations=%d: the first %d are sent.",
                    len(generations), self.num_generations, self.num_generations,
                )
            texts = [text_value(g) for g in generations[: self.num_generations]]
            if instruction is None or not texts or texts[0] is None:
                skipped += 1  # generations-0 is required: a failed row has nothing to rate
                continue
            fields = {"id": instruction_id(instruction), self._name("instruction"): instruction}
            fields.update({self._generation_field(i): text for i, text in enumerate(texts) if text is not None})
            records.append(rg.Record(fields=fields, suggestions=self._suggestions(rg, row, len(texts))))
        if skipped:
            self._logger.warning("%d rows without an instruction or a first generation were not sent.", skipped)
        return records

    def _suggestions(self, rg: Any, row: Dict[str, Any], count: int) -> List[Any]:
        suggestions = []
        for i, rating in enumerate((row.get("ratings") or [])[:count]):
            value = _rating(rating)
            if value is not None:
                suggestions.append(rg.Suggestion(value=value, question_name=f"{self._generation_field(i)}-rating"))
        for i, rationale in enumerate((row.get("rationales") or [])[:count]):
            if isinstance(rationale, str) and rationale:
                suggestions.append(rg.Suggestion(value=rationale, question_name=f"{self._generation_field(i)}-rationale"))
        return suggestions


def _rating(value: Any) -> Optional[int]:
    """A rating the 1-5 question takes: a whole number from 1 to 5 (``4`` or ``4.0``), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if float(value).is_integer() and int(value) in _RATINGS:
        return int(value)
    return None


__all__ = ["PreferenceToArgilla"]
