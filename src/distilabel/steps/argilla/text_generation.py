"""``TextGenerationToArgilla``: instructions and their generations, for people to rate in Argilla."""

import hashlib
from typing import Any, Dict, List

from distilabel.steps.argilla.base import ArgillaBase, text_value
from distilabel.steps.column_property import column_property


class TextGenerationToArgilla(ArgillaBase):
    """Send instructions and their generations to an Argilla dataset, one record per generation.

    The dataset has three text fields, ``id`` (the SHA-256 of the instruction, so the
    records of one instruction can be found together), ``instruction`` and ``generation``,
    and one label question, ``quality``: ``bad`` (👎) or ``good`` (👍). With
    ``input_mappings`` the fields take the mapped column names. A row whose ``generation``
    is a list (``num_generations`` > 1, or grouped) gives one record per distinct
    generation; a generation that is ``None`` (a failed row) gives no record.

    Attributes:
        dataset_name, dataset_workspace, api_url, api_key: where the records go, see
            `ArgillaBase` (``ARGILLA_API_URL`` and ``ARGILLA_API_KEY`` are the fallbacks).

    Runtime parameters:
        - `dataset_name`, `dataset_workspace`, `api_url`, `api_key`.

    Input columns:
        - instruction (`str`): the instruction the generation answers.
        - generation (`str` or `List[str]`): the generation(s) for the instruction.

    Output columns:
        - none: the rows pass through unchanged.

    Categories:
        - save

    Examples:
        Send generations to Argilla for review:

        ```python
        from distilabel.steps import TextGenerationToArgilla

        to_argilla = TextGenerationToArgilla(
            api_url="https://my-argilla.hf.space/",
            api_key="argilla.apikey",
            dataset_name="generations",
        )
        to_argilla.load()

        rows = next(to_argilla.process([{"instruction": "Name a colour.", "generation": "Teal."}]))
        # rows == [{"instruction": "Name a colour.", "generation": "Teal."}]
        ```
    """

    inputs = column_property(["instruction", "generation"])

    @property
    def _instruction(self) -> str:
        return self.input_mappings.get("instruction", "instruction")

    @property
    def _generation(self) -> str:
        return self.input_mappings.get("generation", "generation")

    def _fields(self, rg: Any) -> List[Any]:
        return [rg.TextField(name=name, title=name) for name in ("id", self._instruction, self._generation)]

    def _questions(self, rg: Any) -> List[Any]:
        return [
            rg.LabelQuestion(
                name="quality",
                title=f"What's the quality of the {self._generation} for the given {self._instruction}?",
                labels={"bad": "👎", "good": "👍"},
            )
        ]

    def _records(self, rg: Any, rows: List[Dict[str, Any]]) -> List[Any]:
        records = []
        for row in rows:
            instruction = text_value(row.get("instruction"))
            if instruction is None:
                continue
            generations = row.get("generation")
            seen = set()
            for generation in generations if isinstance(generations, list) else [generations]:
                text = text_value(generation)
                if text is None or text in seen:
                    continue
                seen.add(text)
                fields = {"id": instruction_id(instruction), self._instruction: instruction, self._generation: text}
                records.append(rg.Record(fields=fields))
        return records


def instruction_id(instruction: str) -> str:
    """The ``id`` field of the records of an instruction: the SHA-256 of its text, in hex."""
    return hashlib.sha256(instruction.encode("utf-8")).hexdigest()


__all__ = ["TextGenerationToArgilla"]
