"""ArgillaLabeller: prompts and answer schemas for label, multi-label, rating and text questions,
answer validation, failures and dumps, with a fake LLM (no Argilla server)."""

import json
from typing import Any, Dict, List, Optional

import pytest
from pydantic import Field, PrivateAttr

from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.steps.tasks import ArgillaLabeller


def label_question(name: str = "sentiment", kind: str = "label_selection", labels: Any = ("positive", "negative")) -> Dict[str, Any]:
    """A question as ``argilla``'s ``Question.serialize()`` gives it."""
    settings: Dict[str, Any] = {"type": kind}
    if kind == "rating":
        settings["options"] = [{"value": v} for v in labels]
    elif kind != "text":
        settings["options"] = [{"value": v, "text": v.title(), "description": None} for v in labels]
        settings["visible_options"] = None
    else:
        settings["use_markdown"] = False
    return {"id": None, "name": name, "title": f"{name.title()}?", "description": f"About {name}.", "required": True, "settings": settings}


FIELDS = [{"name": "text", "title": "Review", "description": "What the customer wrote.", "required": True, "settings": {"type": "text"}}]
RECORD = {"id": "r1", "fields": {"text": "The battery lasts for days."}, "responses": {}, "suggestions": {}}


class ScriptedLLM(LLM):
    """Answers the n-th input with ``answers[n % len(answers)]``; keeps what it was sent."""

    answers: List[Optional[str]] = Field(default_factory=lambda: ['{"label": "positive"}'])
    _sent: List[Any] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "labeller-fake"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for input in inputs:
            answer = self.answers[len(self._sent) % len(self.answers)]
            self._sent.append(input)
            outputs.append(prepare_output([answer] * num_generations, [50], [6]))
        return outputs


def run(task: ArgillaLabeller, rows: List[dict]) -> List[dict]:
    task.load()
    return next(task.process([dict(r) for r in rows]))


def test_inputs_outputs_and_defaults() -> None:
    task = ArgillaLabeller(llm=ScriptedLLM())
    assert task.inputs == {"record": True, "fields": False, "question": False, "example_records": False, "guidelines": False}
    assert task.outputs == ["suggestion"]
    assert sorted(task.question_to_label_instruction) == ["label_selection", "multi_label_selection", "rating", "text"]
    assert (task.fields, task.question, task.example_records, task.guidelines) == (None, None, None, None)
    assert {"fields", "question", "example_records", "guidelines"} <= set(task.runtime_parameters_names)


def test_label_question_prompt_schema_and_suggestion() -> None:
    llm = ScriptedLLM(answers=['{"label": "positive"}'])
    task = ArgillaLabeller(llm=llm, fields=FIELDS, question=label_question(), guidelines="Judge the product, not the delivery.")
    [row] = run(task, [{"record": RECORD}])
    assert row["suggestion"] == {"value": "positive", "question_name": "sentiment", "type": "model", "agent": "labeller-fake"}
    chat, structured = llm._sent[0]
    assert chat[0] == {"role": "system", "content": task.system_prompt}
    prompt = chat[1]["content"]
    assert "title: Review\ndescription: What the customer wrote.\nThe battery lasts for days." in prompt
    assert "title: Sentiment?\ndescription: About sentiment." in prompt
    assert f"label_instruction: {task.question_to_label_instruction['label_selection']}" in prompt
    assert "labels: ['positive', 'negative']" in prompt
    assert "Judge the product, not the delivery." in prompt
    assert "# Answered examples" not in prompt
    assert structured["format"] == "json"
    assert structured["schema"]["properties"]["label"]["enum"] == ["positive", "negative"]
    assert structured["schema"]["required"] == ["label"]


@pytest.mark.parametrize(
    ("question", "answer", "value", "key"),
    [
        (label_question("topics", "multi_label_selection", ("price", "battery", "screen")), '{"labels": ["battery", "price"]}', ["battery", "price"], "labels"),
        (label_question("stars", "rating", (1, 2, 3, 4, 5)), '{"rating": 4}', 4, "rating"),
        (label_question("summary", "text"), '{"text": "Long battery life."}', "Long battery life.", "text"),
    ],
)
def test_other_question_types(question: Dict[str, Any], answer: str, value: Any, key: str) -> None:
    llm = ScriptedLLM(answers=[answer])
    task = ArgillaLabeller(llm=llm, fields=FIELDS, question=question)
    [row] = run(task, [{"record": RECORD}])
    assert row["suggestion"]["value"] == value and row["suggestion"]["question_name"] == question["name"]
    chat, structured = llm._sent[0]
    assert list(structured["schema"]["properties"]) == [key]
    assert task.question_to_label_instruction[question["settings"]["type"]] in chat[1]["content"]
    if key == "text":
        assert "labels:" not in chat[1]["content"]


def test_question_and_fields_may_come_from_each_row() -> None:
    llm = ScriptedLLM(answers=['{"label": "positive"}', '{"rating": 2}'])
    task = ArgillaLabeller(llm=llm)
    rows = [
        {"record": RECORD, "fields": FIELDS, "question": label_question()},
        {"record": RECORD, "fields": FIELDS, "question": label_question("stars", "rating", (1, 2, 3))},
    ]
    first, second = run(task, rows)
    assert (first["suggestion"]["value"], second["suggestion"]["value"]) == ("positive", 2)
    assert llm._sent[0][1]["schema"]["properties"] != llm._sent[1][1]["schema"]["properties"]


def test_example_records_are_shown_with_their_answers() -> None:
    examples = [
        {"fields": {"text": "Broke after a week."}, "responses": {"sentiment": [{"value": "negative", "user_id": "u1"}]}},
        {"fields": {"text": "No answer here."}, "responses": {}},
    ]
    llm = ScriptedLLM()
    task = ArgillaLabeller(llm=llm, fields=FIELDS, question=label_question(), example_records=examples)
    run(task, [{"record": RECORD}])
    prompt = llm._sent[0][0][1]["content"]
    assert "# Answered examples\ntitle: Review\ndescription: What the customer wrote.\nBroke after a week.\nResponse: {\"label\": \"negative\"}" in prompt
    assert "No answer here." not in prompt


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ('{"label": "neutral"}', "does not fit the question 'sentiment'"),
        ("positive", "not a JSON object"),
        ('{"rating": 3}', "does not fit the question 'sentiment'"),
    ],
)
def test_an_invalid_answer_gives_none_with_the_reason(answer: str, reason: str) -> None:
    task = ArgillaLabeller(llm=ScriptedLLM(answers=[answer]), fields=FIELDS, question=label_question())
    [row] = run(task, [{"record": RECORD}])
    assert row["suggestion"] is None
    metadata = row["distilabel_metadata"]
    assert metadata[f"raw_output_{task.name}"] == answer
    assert reason in metadata[f"error_{task.name}"]


def test_answers_wrapped_in_prose_or_fences_are_read() -> None:
    task = ArgillaLabeller(llm=ScriptedLLM(answers=['Sure!\n```json\n{"label": "negative"}\n```']), fields=FIELDS, question=label_question())
    [row] = run(task, [{"record": RECORD}])
    assert row["suggestion"]["value"] == "negative"


def test_failed_generation_gives_none() -> None:
    task = ArgillaLabeller(llm=ScriptedLLM(answers=[None]), fields=FIELDS, question=label_question())
    [row] = run(task, [{"record": RECORD}])
    assert row["suggestion"] is None


def test_missing_settings_and_unsupported_questions_fail_their_row_clearly() -> None:
    task = ArgillaLabeller(llm=ScriptedLLM())
    no_question, no_fields, ranking = run(
        task,
        [
            {"record": RECORD, "fields": FIELDS},
            {"record": RECORD, "question": label_question()},
            {"record": RECORD, "fields": FIELDS, "question": label_question("order", "ranking")},
        ],
    )
    errors = [row["distilabel_metadata"][f"error_{task.name}"] for row in (no_question, no_fields, ranking)]
    assert "needs the question to answer" in errors[0]
    assert "needs the fields to show" in errors[1]
    assert "of type 'ranking'" in errors[2] and "label_selection" in errors[2]
    assert all(row["suggestion"] is None for row in (no_question, no_fields, ranking))


def test_sdk_objects_are_accepted() -> None:
    rg = pytest.importorskip("argilla", reason="the argilla SDK is not installed (pip install 'distilabel[argilla]')")
    record = rg.Record(
        fields={"text": "Screen is too dim."},
        responses=[rg.Response(question_name="sentiment", value="negative", user_id="00000000-0000-0000-0000-000000000001")],
    )
    llm = ScriptedLLM(answers=['{"label": "negative"}'])
    task = ArgillaLabeller(llm=llm, fields=FIELDS, question=label_question(), example_records=[record])
    [row] = run(task, [{"record": rg.Record(fields={"text": "Great screen."})}])
    prompt = llm._sent[0][0][1]["content"]
    assert "Great screen." in prompt and 'Screen is too dim.\nResponse: {"label": "negative"}' in prompt
    # The suggestion builds the SDK's object as it is.
    made = rg.Suggestion(**row["suggestion"]).serialize()
    assert {k: made[k] for k in row["suggestion"]} == {"value": "negative", "question_name": "sentiment", "type": "model", "agent": "labeller-fake"}


def test_dump_and_from_dict_round_trip() -> None:
    task = ArgillaLabeller(llm=ScriptedLLM(), fields=FIELDS, question=label_question(), guidelines="Be careful.")
    dumped = task.dump()
    assert dumped["question"]["name"] == "sentiment" and dumped["fields"] == FIELDS and dumped["guidelines"] == "Be careful."
    again = ArgillaLabeller.from_dict(json.loads(json.dumps(dumped)), allowed_modules=[ScriptedLLM.__module__])
    assert again.question == label_question() and again.fields == FIELDS and again.system_prompt == task.system_prompt
    [row] = run(again, [{"record": RECORD}])
    assert row["suggestion"]["value"] == "positive"
