"""The @task decorator, and Task behaviour the instruction tasks rely on:
group_generations' metadata (one entry per generation) and GeneratorTask prompts."""

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import pytest
from pydantic import PrivateAttr

from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import GeneratorTask, Task, TextGeneration, task


class NumberedLLM(LLM):
    """Answers generation i of a prompt P with ``P #i``; FAIL in P fails generation 1."""

    _sent: List[Any] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "numbered"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for chat in inputs:
            self._sent.append(chat)
            prompt = chat[-1]["content"]
            texts: List[Optional[str]] = [f"{prompt} #{i}" for i in range(num_generations)]
            errors: List[Optional[str]] = [None] * num_generations
            if "FAIL" in prompt and num_generations > 1:
                texts[1], errors[1] = None, "refused"
            outputs.append(prepare_output(texts, [4] * num_generations, [2] * num_generations, errors=errors))
        return outputs


@task(inputs=["question", "language"], outputs=["answer"])
def AnswerIn(output: Union[str, None], input: Union[Dict[str, Any], None] = None) -> Dict[str, Any]:
    """Answer a question in a given language.

    ---
    system_prompt: >
      You answer in {language}. Reply in JSON like {{"answer": "..."}}.
    user_message_template: |
      Question: {question}
    ---
    """
    if output is None:
        return {"answer": None}
    return {"answer": output.upper()}


def test_the_docstring_becomes_the_prompt_and_the_function_the_parser() -> None:
    llm = NumberedLLM()
    answer = AnswerIn(llm=llm)
    assert isinstance(answer, Task)
    assert type(answer).__name__ == "AnswerIn"
    assert answer.inputs == ["question", "language"] and answer.outputs == ["answer"]
    answer.load()
    [row] = next(answer.process([{"question": "Why is the sky blue?", "language": "Spanish"}]))
    assert llm._sent[0] == [
        {"role": "system", "content": 'You answer in Spanish. Reply in JSON like {"answer": "..."}.'},
        {"role": "user", "content": "Question: Why is the sky blue?"},
    ]
    assert row["answer"] == "QUESTION: WHY IS THE SKY BLUE? #0"
    assert row["model_name"] == "numbered"
    assert row["distilabel_metadata"]["raw_output_answer_in_0"] == "Question: Why is the sky blue? #0"


def test_a_row_missing_a_placeholder_column_fails_alone() -> None:
    answer = AnswerIn(llm=NumberedLLM())
    answer.load()
    bad, good = next(answer.process([{"question": "q"}, {"question": "q", "language": "French"}]))
    assert bad["answer"] is None
    assert "no column 'language'" in bad["distilabel_metadata"]["error_answer_in_0"]
    assert good["answer"] == "QUESTION: Q #0"


def test_dump_and_load_find_the_decorated_class() -> None:
    answer = AnswerIn(llm=NumberedLLM(), num_generations=2)
    data = answer.dump()
    assert data["type_info"] == {"module": AnswerIn.__module__, "name": "AnswerIn"}
    again = Task.from_dict(json.loads(json.dumps(data)), allowed_modules=[AnswerIn.__module__])
    assert type(again) is AnswerIn and again.num_generations == 2


def test_in_a_pipeline(tmp_path: Path) -> None:
    with Pipeline(name="decorated", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"question": "a", "language": "Basque"}])
        load >> AnswerIn(llm=NumberedLLM())
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["answer"] == ["QUESTION: A #0"]


@pytest.mark.parametrize(
    "doc, match",
    [
        (None, "needs a docstring"),
        ("No block here.", "no single `---` block"),
        ("x\n---\n: : :\n---\n", "not valid YAML"),
        ("x\n---\n- a list\n---\n", "must be YAML key/values"),
        ("x\n---\nsystem_prompt: hi\n---\n", r"no text for \['user_message_template'\]"),
        ("x\n---\nsystem_prompt: hi {city}\nuser_message_template: '{question}'\n---\n", r"placeholders \['city'\]"),
        ("x\n---\nsystem_prompt: hi\nuser_message_template: '{question.__class__}'\n---\n", "plain column names"),
        ("x\n---\nsystem_prompt: 'a { b'\nuser_message_template: '{question}'\n---\n", "not a valid format string"),
    ],
)
def test_bad_docstrings_are_refused(doc: Optional[str], match: str) -> None:
    def parse(output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        return {"answer": output}

    parse.__doc__ = doc
    with pytest.raises(ValueError, match=match):
        task(inputs=["question"], outputs=["answer"])(parse)


def test_inputs_as_a_dict() -> None:
    @task(inputs={"question": True, "hint": False}, outputs={"answer": True})
    def WithHint(output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """---
        system_prompt: Hint {hint}
        user_message_template: "{question}"
        ---"""
        return {"answer": output}

    step = WithHint(llm=NumberedLLM())
    assert step.get_inputs() == {"question": True, "hint": False}


# --- Task behaviour the instruction tasks build on ---------------------------------------------------


def test_group_generations_gives_one_metadata_entry_per_generation() -> None:
    text = TextGeneration(llm=NumberedLLM(), num_generations=3, group_generations=True)
    text.load()
    [row] = next(text.process([{"instruction": "hi", "distilabel_metadata": {"upstream": 1}}]))
    assert row["generation"] == ["hi #0", "hi #1", "hi #2"]
    metadata = row["distilabel_metadata"]
    assert isinstance(metadata, list) and len(metadata) == 3
    for i, entry in enumerate(metadata):
        assert entry["raw_output_text_generation_0"] == f"hi #{i}"
        assert entry["raw_input_text_generation_0"] == [{"role": "user", "content": "hi"}]
        assert entry["statistics_text_generation_0"] == {"input_tokens": 4, "output_tokens": 2}
        assert entry["upstream"] == 1
    failed = next(text.process([{"instruction": "FAIL"}]))[0]
    assert failed["generation"] == ["FAIL #0", None, "FAIL #2"]
    assert [("error_text_generation_0" in m) for m in failed["distilabel_metadata"]] == [False, True, False]
    assert failed["distilabel_metadata"][1]["error_text_generation_0"] == "refused"


def test_split_generations_keep_one_metadata_dict_per_row() -> None:
    text = TextGeneration(llm=NumberedLLM(), num_generations=2)
    text.load()
    rows = next(text.process([{"instruction": "hi"}]))
    assert [r["distilabel_metadata"]["raw_output_text_generation_0"] for r in rows] == ["hi #0", "hi #1"]


def test_a_generator_task_needs_no_format_input() -> None:
    class Count(GeneratorTask):
        @property
        def outputs(self) -> List[str]:
            return ["text", "model_name"]

        def format_output(self, output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
            return {"text": output}

        def process(self, offset: int = 0) -> Any:
            outputs = self._generate_and_account([[{"role": "user", "content": "count"}]] * 2)
            yield [self.format_output(o["generations"][0]) for o in outputs], True

    count = Count(llm=NumberedLLM())
    count.load()
    assert next(count.process()) == ([{"text": "count #0"}, {"text": "count #0"}], True)
    with pytest.raises(NotImplementedError, match="builds its prompts"):
        count.format_input({})
