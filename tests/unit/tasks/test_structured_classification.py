"""StructuredGeneration and TextClassification: prompts, structured output, JSON parsing, failures, dumps."""

import json
from pathlib import Path
from typing import Any, List, Optional, Tuple

import pytest
from pydantic import Field

from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import StructuredGeneration, TextClassification
from distilabel.steps.tasks.base import Task
from tests.unit.tasks import fakes

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


class ScriptedLLM(fakes.ScriptedLLM):
    answers: List[Optional[str]] = ['{"labels": "x"}']
    usage: Tuple[int, int] = (9, 4)


class ScriptedAsyncLLM(AsyncLLM):
    """An async LLM answering by the last user message: ``answers[message]``."""

    answers: dict = Field(default_factory=dict)

    @property
    def model_name(self) -> str:
        return "scripted-async"

    async def agenerate(self, input: Any, num_generations: int = 1) -> Any:
        chat = input[0] if isinstance(input, tuple) else input
        return prepare_output([self.answers[chat[-1]["content"]]] * num_generations, [3], [2])


def run(task: Task, rows: List[dict]) -> List[dict]:
    task.load()
    return next(task.process(rows))


# --- StructuredGeneration -------------------------------------------------------------------------


def test_structured_generation_sends_each_rows_spec_and_keeps_the_raw_answer() -> None:
    llm = ScriptedLLM(answers=['{"name": "Ada", "age": 36}', "21°C"])
    task = StructuredGeneration(llm=llm)
    rows = run(
        task,
        [
            {
                "instruction": "Invent a person.",
                "structured_output": {"format": "json", "schema": PERSON},
            },
            {
                "instruction": "Weather in Seattle?",
                "structured_output": {"format": "regex", "schema": r"\d{1,2}°C"},
            },
        ],
    )
    assert task.inputs == ["instruction", "structured_output"]
    assert [r["generation"] for r in rows] == ['{"name": "Ada", "age": 36}', "21°C"]
    assert llm._sent[0] == (
        [{"role": "user", "content": "Invent a person."}],
        {"format": "json", "schema": PERSON},
    )
    assert llm._sent[1][1] == {"format": "regex", "schema": r"\d{1,2}°C"}
    assert rows[0]["model_name"] == "scripted"


def test_structured_generation_accepts_the_tgi_form_and_none() -> None:
    llm = ScriptedLLM(answers=["x"])
    run(
        StructuredGeneration(llm=llm),
        [
            {"instruction": "a", "structured_output": {"type": "json", "value": PERSON}},
            {"instruction": "b", "structured_output": None},
            {"instruction": "c", "structured_output": PERSON},
        ],
    )
    assert llm._sent[0][1] == {"format": "json", "schema": PERSON}
    assert llm._sent[1] == ([{"role": "user", "content": "b"}], None)
    # A bare JSON schema (whose "type" is "object") is not mistaken for the TGI form.
    assert llm._sent[2][1] == PERSON


def test_structured_generation_system_prompt() -> None:
    llm = ScriptedLLM(answers=["x"])
    task = StructuredGeneration(llm=llm, use_system_prompt=True)
    assert task.inputs == ["system_prompt", "instruction", "structured_output"]
    run(task, [{"system_prompt": "Be terse.", "instruction": "a", "structured_output": None}])
    assert llm._sent[0][0] == [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "a"},
    ]
    with pytest.warns(UserWarning, match="no `system_prompt`"):
        task.format_input({"instruction": "a", "structured_output": None})


def test_structured_generation_bad_rows_fail_alone_with_a_reason() -> None:
    task = StructuredGeneration(llm=ScriptedLLM(answers=["ok"]))
    rows = run(
        task,
        [
            {"instruction": "a", "structured_output": {"format": "regex", "schema": "("}},
            {"instruction": "b", "structured_output": {"format": "yaml", "schema": "x"}},
            {"instruction": ["not", "text"], "structured_output": None},
            {"instruction": "d", "structured_output": {"format": "json", "schema": PERSON}},
        ],
    )
    errors = [r["distilabel_metadata"].get(f"error_{task.name}") for r in rows]
    assert "does not compile" in errors[0]
    assert "Valid formats: json, regex" in errors[1]
    assert "'instruction' column must be a string" in errors[2]
    assert errors[3] is None
    assert [r["generation"] for r in rows] == [None, None, None, "ok"]


def test_structured_generation_in_a_pipeline_checks_answers_against_the_rows_schema(
    tmp_path: Path,
) -> None:
    llm = ScriptedAsyncLLM(answers={"good": '{"name": "Ada", "age": 36}', "bad": '{"name": "Bob"}'})
    spec = {"format": "json", "schema": PERSON}
    with Pipeline(name="structured", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        load = LoadDataFromDicts(
            data=[
                {"instruction": "good", "structured_output": spec},
                {"instruction": "bad", "structured_output": spec},
            ]
        )
        task = StructuredGeneration(llm=llm)
        load >> task
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["generation"] == ['{"name": "Ada", "age": 36}', None]
    assert (
        "missing required property 'age'" in train["distilabel_metadata"][1][f"error_{task.name}"]
    )
    assert train["model_name"] == ["scripted-async"] * 2


# --- TextClassification --------------------------------------------------------------------------


def test_classification_prompt_with_described_labels_and_examples() -> None:
    llm = ScriptedLLM(answers=['{"labels": "inquiry"}'])
    task = TextClassification(
        llm=llm,
        context="Determine the intent of the text.",
        available_labels={"complaint": "Unhappy with something", "inquiry": "Asks for information"},
        examples=["Where is my order?", "This is broken."],
        query_title="Customer Query",
        default_label="Other",
    )
    [row] = run(task, [{"text": "Can you tell me about returns?"}])
    assert row["labels"] == "inquiry"
    system, user = llm._sent[0][0]
    assert system == {"role": "system", "content": task.system_prompt}
    content = user["content"]
    assert "Classify the customer query below" in content
    assert 'answer "Other".' in content
    assert "Give the one label that describes the text best." in content
    assert "Determine the intent of the text." in content
    assert (
        'available_labels = [\n    "complaint",  # Unhappy with something\n    "inquiry",  # Asks for information\n]'
        in content
    )
    assert "## Examples\nExamples of this task:\n- Where is my order?\n- This is broken." in content
    assert "## Customer Query\n```\nCan you tell me about returns?\n```" in content
    assert content.endswith('```\n{\n    "labels": "label"\n}\n```')


def test_classification_prompt_with_a_label_list_and_free_labels() -> None:
    listed = TextClassification(
        llm=ScriptedLLM(), available_labels=["positive", "negative"], context=None
    )
    content = listed.format_input({"text": "t"})[1]["content"]
    assert 'available_labels = [\n    "positive",\n    "negative",\n]' in content
    assert "going by what each one means" not in content
    free = TextClassification(llm=ScriptedLLM(), n=3, examples=None, system_prompt=None)
    messages = free.format_input({"text": "t"})
    assert [m["role"] for m in messages] == ["user"]
    content = messages[0]["content"]
    assert "available_labels" not in content and "## Examples" not in content
    assert "Give a list of 3 labels that describe the text best." in content
    assert free.context in content
    assert '"labels": ["label_0", "label_1", "label_2"]' in content


def test_classification_asks_for_its_schema_by_default() -> None:
    llm = ScriptedLLM(answers=['{"labels": "positive"}'])
    run(TextClassification(llm=llm, available_labels=["positive", "negative"]), [{"text": "t"}])
    _, spec = llm._sent[0]
    assert spec == {
        "format": "json",
        "schema": {
            "properties": {
                "labels": {
                    "title": "Labels",
                    "type": "string",
                    "enum": ["positive", "negative", "Unclassified"],
                }
            },
            "required": ["labels"],
            "title": "SingleLabelSchema",
            "type": "object",
        },
    }
    multi = TextClassification(
        llm=llm, n=2, default_label=["None", "None"]
    ).get_structured_output()["schema"]
    assert multi["properties"]["labels"] == {
        "items": {"type": "string"},
        "maxItems": 2,
        "title": "Labels",
        "type": "array",
    }
    assert multi["title"] == "MultiLabelSchema"


def test_classification_without_structured_output_sends_a_plain_chat() -> None:
    llm = ScriptedLLM(answers=['{"labels": "a"}'])
    [row] = run(TextClassification(llm=llm, use_default_structured_output=False), [{"text": "t"}])
    assert isinstance(llm._sent[0], list)
    assert row["labels"] == "a"


@pytest.mark.parametrize(
    "n, answer, expected",
    [
        (1, '{"labels": "positive"}', "positive"),
        (1, 'Sure:\n```json\n{"labels": "negative"}\n```', "negative"),
        (3, '{"labels": ["History", "Culture", "Migration"]}', ["History", "Culture", "Migration"]),
        (1, "positive", None),
        (1, '{"labels": ["positive"]}', None),
        (1, '{"label": "positive"}', None),
        (3, "History, Culture", [None, None, None]),
        (3, '{"labels": [1, 2, 3]}', [None, None, None]),
        (1, None, None),
        (3, None, None),
    ],
)
def test_classification_parsing(n: int, answer: Optional[str], expected: Any) -> None:
    task = TextClassification(llm=ScriptedLLM(answers=[answer]), n=n)
    [row] = run(task, [{"text": "t"}])
    assert row["labels"] == expected
    assert row["distilabel_metadata"][f"raw_output_{task.name}"] == answer


def test_classification_dump_and_load_round_trip() -> None:
    task = TextClassification(
        name="classify",
        llm=ScriptedLLM(answers=['{"labels": "x"}']),
        n=2,
        available_labels={"a": "first", "b": "second"},
        default_label=["a", "b"],
        examples=["e"],
        query_title="Review",
    )
    dump = task.dump()
    assert dump["available_labels"] == {"a": "first", "b": "second"}
    assert dump["use_default_structured_output"] is True
    loaded = TextClassification.from_dict(
        json.loads(json.dumps(dump)), allowed_modules=[ScriptedLLM.__module__]
    )
    assert loaded.dump() == dump
    assert loaded.format_input({"text": "t"}) == task.format_input({"text": "t"})
    assert loaded.get_structured_output() == task.get_structured_output()


def test_structured_generation_dump_and_load_round_trip() -> None:
    task = StructuredGeneration(name="sg", llm=ScriptedLLM(), use_system_prompt=True)
    loaded = StructuredGeneration.from_dict(task.dump(), allowed_modules=[ScriptedLLM.__module__])
    assert loaded.use_system_prompt is True
    assert loaded.dump() == task.dump()
