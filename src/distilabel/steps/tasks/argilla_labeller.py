"""ArgillaLabeller: answer an Argilla question about a record with an LLM, as a suggestion."""

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Tuple, Type, Union

from pydantic import BaseModel, Field, ValidationError, create_model

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.utils.llm_json import json_object
from distilabel.utils.template import compile_template, package_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType, FormattedInput

# The question types an LLM can answer, and the key of the answer's JSON object for each.
_ANSWER_KEYS = {"label_selection": "label", "multi_label_selection": "labels", "rating": "rating", "text": "text"}


class ArgillaLabeller(Task):
    """Answer a question of an Argilla dataset about a record, with an LLM, as a suggestion.

    The LLM sees the record's fields, the question (its title, description, what kind of
    answer it takes and the allowed labels or ratings) and, optionally, records already
    answered as examples and the dataset's guidelines; it answers with a JSON object
    (``{"label": ...}``, ``{"labels": [...]}``, ``{"rating": ...}`` or ``{"text": ...}``),
    which is requested as structured output. The answer is checked against the question
    (a label must be one of its labels, a rating one of its values) and becomes an
    Argilla suggestion. An answer that is not valid gives ``suggestion = None``, with
    the reason and the raw answer in ``distilabel_metadata``.

    Records, fields and questions may be Argilla SDK objects (``rg.Record``,
    ``rg.TextField``, ``rg.LabelQuestion``, ...) or their ``to_dict()`` / ``serialize()``
    dicts; the SDK itself (extra ``argilla``) is only needed to make those objects.
    Supported questions: label, multi-label, rating and text questions.

    Attributes:
        system_prompt: the system message for the LLM.
        question_to_label_instruction: per question type (``label_selection``,
            ``multi_label_selection``, ``text``, ``rating``), the instruction saying what
            kind of answer to give.
        example_records: answered records shown as examples (a runtime parameter; a row's
            ``example_records`` column wins).
        fields: the fields of the record to show (a runtime parameter; a row's ``fields`` column wins).
        question: the question to answer (a runtime parameter; a row's ``question`` column wins).
        guidelines: the dataset's annotation guidelines (a runtime parameter; a row's
            ``guidelines`` column wins).

    Input columns:
        - record (`argilla.Record` or `Dict[str, Any]`): the record to annotate.
        - fields (`List[Dict[str, Any]]`, optional): the fields to show.
        - question (`Dict[str, Any]`, optional): the question to answer.
        - example_records (`List[Dict[str, Any]]`, optional): answered records to show as examples.
        - guidelines (`str`, optional): the annotation guidelines.

    Output columns:
        - suggestion (`Dict[str, Any]`): the suggestion: ``value``, ``question_name``, ``type``
          (``"model"``) and ``agent`` (the model name); ``rg.Suggestion(**suggestion)`` makes
          the SDK object.

    Examples:
        ```python
        import argilla as rg
        from distilabel.steps.tasks import ArgillaLabeller

        dataset = client.datasets("my_dataset")
        labeller = ArgillaLabeller(
            llm=llm,
            fields=[dataset.settings.fields["text"]],
            question=dataset.settings.questions["label"],
            guidelines=dataset.guidelines,
        )
        labeller.load()
        pending = list(dataset.records(query=rg.Query(filter=rg.Filter(("status", "==", "pending")))))
        rows = next(labeller.process([{"record": record} for record in pending]))
        for record, row in zip(pending, rows):
            if row["suggestion"] is not None:
                record.suggestions.add(rg.Suggestion(**row["suggestion"]))
        dataset.records.log(pending)
        ```
    """

    system_prompt: str = Field(
        default=(
            "You are an expert annotator who understands specialised domains and natural language well."
            " You receive the fields of a record and a question about it, and you answer the question"
            " with a valid JSON object. Read the fields and any guidelines, work out what kind of answer"
            " the question takes and which values it allows, think the answer through, and reply with"
            " the JSON object only."
        ),
        description="The system message for the LLM.",
    )
    question_to_label_instruction: Dict[str, str] = Field(
        default_factory=lambda: {
            "label_selection": "Choose the single label that fits best, from the labels listed.",
            "multi_label_selection": "Choose every label that applies (none, one or several), from the labels listed.",
            "text": "Write a text answer to the question.",
            "rating": "Choose one rating from the values listed.",
        },
        description="Per question type, the instruction saying what kind of answer to give.",
    )
    example_records: Optional[RuntimeParameter[List[Union[Dict[str, Any], Any]]]] = Field(
        default=None, description="Answered records shown to the LLM as examples."
    )
    fields: Optional[RuntimeParameter[List[Union[Dict[str, Any], Any]]]] = Field(
        default=None, description="The fields of the record to show to the LLM."
    )
    question: Optional[RuntimeParameter[Union[Dict[str, Any], Any]]] = Field(
        default=None, description="The question to answer."
    )
    guidelines: Optional[RuntimeParameter[str]] = Field(default=None, description="The annotation guidelines.")

    inputs = column_property({"record": True, "fields": False, "question": False, "example_records": False, "guidelines": False})
    outputs = column_property(["suggestion"])

    # --- what the LLM sees ---------------------------------------------------------------------

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        record = _as_dict(input["record"], "to_dict", "record")
        fields = input.get("fields") or self.fields
        if not fields:
            raise DistilabelUserError(
                "ArgillaLabeller needs the fields to show: set `fields` on the task or give a `fields` column."
            )
        fields = [_as_dict(f, "serialize", "field") for f in fields]
        question = self._question_of(input)
        examples = input.get("example_records") or self.example_records or []
        examples = [_as_dict(e, "to_dict", "example record") for e in examples]
        template = compile_template(package_template("argilla_labeller/labeller.jinja2"))
        prompt = template.render(
            fields=_format_record(record, fields),
            question=self._format_question(question),
            examples=self._format_examples(examples, fields, question),
            guidelines=input.get("guidelines") or self.guidelines,
        )
        messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        return [*messages, {"role": "user", "content": prompt}]  # type: ignore[return-value]

    def _format(self, row: Dict[str, Any]) -> "FormattedInput":
        chat = self.format_input(row)
        if getattr(self.llm, "structured_output", None) is not None:
            return chat
        # The answer's shape depends on each row's question, so its schema goes with each input.
        schema = _answer_model(*_answer_key(self._question_of(row))).model_json_schema()
        return (chat, {"format": "json", "schema": schema})  # type: ignore[return-value]

    def _question_of(self, row: Dict[str, Any]) -> Dict[str, Any]:
        question = row.get("question") or self.question
        if question is None:
            raise DistilabelUserError(
                "ArgillaLabeller needs the question to answer: set `question` on the task or give a `question` column."
            )
        question = _as_dict(question, "serialize", "question")
        kind = (question.get("settings") or {}).get("type")
        if kind not in _ANSWER_KEYS:
            raise DistilabelUserError(
                f"ArgillaLabeller cannot answer the question {question.get('name')!r} of type {kind!r}:"
                f" the supported types are {', '.join(_ANSWER_KEYS)}."
            )
        return question

    def _format_question(self, question: Dict[str, Any]) -> str:
        settings = question["settings"]
        lines = [
            f"title: {question.get('title') or question.get('name', '')}",
            f"description: {question.get('description') or ''}",
            f"label_instruction: {self.question_to_label_instruction.get(settings['type'], '')}",
        ]
        if "options" in settings:
            lines.append(f"labels: {_option_values(question)}")
        lines.append(f"answer format: {_answer_example(question)}")
        return "\n".join(lines)

    def _format_examples(self, examples: List[Dict[str, Any]], fields: List[Dict[str, Any]], question: Dict[str, Any]) -> str:
        key = _answer_key(question)[0]
        blocks = []
        for example in examples:
            responses = (example.get("responses") or {}).get(question["name"]) or []
            if not responses:
                self._logger.warning(
                    "Example record %s has no response to the question %r: it is not shown.",
                    example.get("id"),
                    question["name"],
                )
                continue
            answer = json.dumps({key: responses[0]["value"]}, ensure_ascii=False)
            blocks.append(f"{_format_record(example, fields)}\nResponse: {answer}")
        return "\n\n".join(blocks)

    # --- what comes back ----------------------------------------------------------------------------

    def format_output(self, output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        if output is None:
            return {"suggestion": None}
        question = self._question_of(input or {})
        answer = json_object(output)
        if answer is None:
            raise ValueError("the answer is not a JSON object")
        key, options = _answer_key(question)
        try:
            value = getattr(_answer_model(key, options).model_validate(answer), key)
        except ValidationError as error:
            problem = error.errors()[0]
            raise ValueError(
                f"the answer does not fit the question {question['name']!r}: {problem['msg']} at"
                f" {'.'.join(str(p) for p in problem['loc']) or key}"
            ) from None
        return {"suggestion": _suggestion(value, question["name"], self.llm.model_name)}


def _as_dict(value: Any, method: str, what: str) -> Dict[str, Any]:
    """An Argilla SDK object as its dict (``to_dict()`` / ``serialize()``); dicts as they are."""
    if isinstance(value, dict):
        return value
    if callable(getattr(value, method, None)):
        return getattr(value, method)()
    raise DistilabelUserError(
        f"ArgillaLabeller: the {what} must be a dict or an Argilla SDK object with {method}(), got {type(value).__name__}."
    )


def _format_record(record: Dict[str, Any], fields: List[Dict[str, Any]]) -> str:
    values = record.get("fields") or {}
    lines = []
    for field in fields:
        if field.get("title"):
            lines.append(f"title: {field['title']}")
        if field.get("description"):
            lines.append(f"description: {field['description']}")
        lines.append(str(values.get(field.get("name", ""), "")))
    return "\n".join(lines)


def _option_values(question: Dict[str, Any]) -> List[Any]:
    return [option["value"] for option in (question.get("settings") or {}).get("options") or []]


def _answer_key(question: Dict[str, Any]) -> Tuple[str, Tuple[Any, ...]]:
    """The answer's JSON key and the values it may take (empty: any text)."""
    return _ANSWER_KEYS[question["settings"]["type"]], tuple(_option_values(question))


def _answer_example(question: Dict[str, Any]) -> str:
    key = _answer_key(question)[0]
    shown = {
        "label": "<one of the labels>",
        "labels": ["<a label>", "..."],
        "rating": "<one of the labels, as a number>",
        "text": "<your answer>",
    }[key]
    return json.dumps({key: shown})


@lru_cache(maxsize=256)
def _answer_model(key: str, options: Tuple[Any, ...]) -> Type[BaseModel]:
    """The pydantic model of a valid answer: the allowed values become an enum in its JSON schema."""
    allowed: Any = Literal[options] if options else (int if key == "rating" else str)  # type: ignore[valid-type]
    if key == "labels":
        return create_model("QuestionValueModel", labels=(List[allowed], Field(default_factory=list)))
    return create_model("QuestionValueModel", **{key: (allowed, ...)})


def _suggestion(value: Any, question_name: str, agent: str) -> Dict[str, Any]:
    """An Argilla suggestion made by a model: the keys ``argilla.Suggestion`` is built from."""
    return {"value": value, "question_name": question_name, "type": "model", "agent": agent}


__all__ = ["ArgillaLabeller"]
