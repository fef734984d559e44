"""Embedding-data tasks from "Improving Text Embeddings with Large Language Models"."""

import json
from typing import Any, Dict, List, Optional, Type

import pytest
from pydantic import PrivateAttr

from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.pipeline import Pipeline
from distilabel.steps.tasks import (
    BitextRetrievalGenerator,
    EmbeddingTaskGenerator,
    GenerateLongTextMatchingData,
    GenerateShortTextMatchingData,
    GenerateTextClassificationData,
    GenerateTextRetrievalData,
    MonolingualTripletGenerator,
)
from distilabel.steps.tasks.improving_text_embeddings import (
    CLARITIES,
    DIFFICULTIES,
    NUM_WORDS,
    QUERY_LENGTHS,
    QUERY_TYPES,
)


class ScriptedLLM(LLM):
    """Answers each prompt with the next of ``answers`` (cycling); ``None`` answers fail."""

    answers: List[Optional[str]] = ["{}"]
    _inputs: List[Any] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "scripted"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for formatted in inputs:
            self._inputs.append(formatted)
            answers = [
                self.answers[(len(self._inputs) - 1 + i) % len(self.answers)]
                for i in range(num_generations)
            ]
            outputs.append(prepare_output(answers, [10], [5]))
        return outputs

    def prompt(self, index: int = 0) -> str:
        formatted = self._inputs[index]
        chat = formatted[0] if isinstance(formatted, tuple) else formatted
        return chat[-1]["content"]


def process_rows(task: Any, rows: List[dict]) -> List[dict]:
    task.load()
    try:
        return next(task.process(rows))
    finally:
        task.unload()


def generate_rows(task: Any) -> List[dict]:
    task.load()
    try:
        batches = list(task.process())
    finally:
        task.unload()
    assert [last for _, last in batches] == [True]
    return batches[0][0]


# --- EmbeddingTaskGenerator ---------------------------------------------------------------------------

TASKS = [
    "Given a recipe, find recipes with the same main ingredient.",
    "Given a bug report, retrieve the fixing commit.",
]


@pytest.mark.parametrize(
    "category, phrase",
    [
        ("text-retrieval", "text retrieval tasks"),
        ("text-matching-short", "very short"),
        ("text-matching-long", "long documents"),
        ("text-classification", "text classification tasks"),
    ],
)
def test_task_generator_lists_tasks(category: str, phrase: str) -> None:
    llm = ScriptedLLM(answers=["```json\n" + json.dumps(TASKS) + "\n```"])
    task = EmbeddingTaskGenerator(llm=llm, category=category)
    rows = generate_rows(task)
    assert task.get_outputs() == {"tasks": True, "model_name": True}
    assert [r["tasks"] for r in rows] == [TASKS]
    assert rows[0]["model_name"] == "scripted"
    assert phrase in llm.prompt() and "JSON list" in llm.prompt()


def test_task_generator_flattens_and_accepts_python_lists() -> None:
    python_list = "['Match a word with its definition.', 'Match a city with its country.']"
    llm = ScriptedLLM(answers=[python_list, "no list at all"])
    task = EmbeddingTaskGenerator(
        llm=llm, category="text-matching-short", flatten_tasks=True, num_generations=2
    )
    rows = generate_rows(task)
    assert task.get_outputs() == {"task": True, "model_name": True}
    # Two generations: the first gives two rows, the malformed one a single row with task None.
    assert [r["task"] for r in rows] == [
        "Match a word with its definition.",
        "Match a city with its country.",
        None,
    ]
    assert all("tasks" not in r for r in rows)
    assert rows[2]["distilabel_metadata"][f"raw_output_{task.name}"] == "no list at all"


def test_task_generator_malformed_answer_gives_none() -> None:
    task = EmbeddingTaskGenerator(
        llm=ScriptedLLM(answers=["Here are ideas: search, match."]), category="text-retrieval"
    )
    [row] = generate_rows(task)
    assert row["tasks"] is None
    assert row["distilabel_metadata"][f"raw_output_{task.name}"] == "Here are ideas: search, match."


def test_task_generator_feeds_an_example_writer_in_a_pipeline(tmp_path: Any) -> None:
    example = {
        "user_query": "pasta",
        "positive_document": "Carbonara uses pasta.",
        "hard_negative_document": "Rice.",
    }
    with Pipeline(name="embedding-data", cache_dir=tmp_path) as pipeline:
        tasks = EmbeddingTaskGenerator(
            llm=ScriptedLLM(answers=[json.dumps(TASKS)]),
            category="text-retrieval",
            flatten_tasks=True,
        )
        writer = GenerateTextRetrievalData(llm=ScriptedLLM(answers=[json.dumps(example)]))
        tasks >> writer
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["task"] == TASKS
    assert train["user_query"] == ["pasta", "pasta"]
    assert train["hard_negative_document"] == ["Rice.", "Rice."]


# --- example writers that read a task -----------------------------------------------------------------------

WRITERS: Dict[Type[Any], Dict[str, str]] = {
    GenerateTextRetrievalData: {
        "user_query": "q",
        "positive_document": "p",
        "hard_negative_document": "n",
    },
    GenerateShortTextMatchingData: {"input": "i", "positive_document": "p"},
    GenerateLongTextMatchingData: {"input": "i", "positive_document": "p"},
    GenerateTextClassificationData: {"input_text": "t", "label": "l", "misleading_label": "m"},
}


@pytest.mark.parametrize("cls", list(WRITERS))
def test_writer_parses_its_json_keys(cls: Type[Any]) -> None:
    keys = WRITERS[cls]
    # A fence, a sentence around it and a raw newline inside a string: all tolerated.
    answer = (
        "Here you go:\n```json\n"
        + json.dumps(keys).replace('"p"', '"line one\nline two"')
        + "\n```\nEnjoy!"
    )
    llm = ScriptedLLM(answers=[answer])
    task = cls(llm=llm, language="German")
    [row] = process_rows(task, [{"task": TASKS[0]}])
    assert list(task.get_outputs()) == [*keys, "model_name"]
    expected = {k: ("line one\nline two" if v == "p" else v) for k, v in keys.items()}
    assert {k: row[k] for k in keys} == expected
    assert row["model_name"] == "scripted"
    prompt = llm.prompt()
    assert TASKS[0] in prompt and "German" in prompt
    assert all(f'"{k}"' in prompt for k in keys)


@pytest.mark.parametrize("cls", list(WRITERS))
def test_writer_malformed_and_partial_answers(cls: Type[Any]) -> None:
    keys = list(WRITERS[cls])
    llm = ScriptedLLM(answers=["I'd rather not.", json.dumps({keys[0]: "only this"}), None])
    task = cls(llm=llm)
    rows = process_rows(task, [{"task": TASKS[0]}] * 3)
    assert [rows[0][k] for k in keys] == [None] * len(keys)
    assert rows[0]["distilabel_metadata"][f"raw_output_{task.name}"] == "I'd rather not."
    assert [rows[1][k] for k in keys] == ["only this"] + [None] * (len(keys) - 1)
    assert [rows[2][k] for k in keys] == [None] * len(keys)


def test_writer_without_a_task_fails_only_that_row() -> None:
    task = GenerateShortTextMatchingData(
        llm=ScriptedLLM(answers=['{"input": "a", "positive_document": "b"}'])
    )
    rows = process_rows(task, [{"task": ""}, {"task": TASKS[1]}])
    assert rows[0]["input"] is None and "task" in str(
        rows[0]["distilabel_metadata"][f"error_{task.name}"]
    )
    assert rows[1]["input"] == "a"


def test_retrieval_traits_are_seeded_per_task() -> None:
    def prompts(seed: int) -> List[str]:
        llm = ScriptedLLM()
        process_rows(
            GenerateTextRetrievalData(llm=llm, seed=seed),
            [{"task": f"task number {i}"} for i in range(12)],
        )
        return [llm.prompt(i) for i in range(12)]

    first, again, other = prompts(1), prompts(1), prompts(2)
    assert first == again
    assert first != other
    drawn = "\n".join(first)
    # Every trait comes from the paper's options, and the draws vary across rows.
    for options in (QUERY_TYPES, QUERY_LENGTHS, CLARITIES, DIFFICULTIES):
        assert sum(option in drawn for option in options) >= 2
    assert any(f"at least {n} words" in drawn for n in NUM_WORDS)


def test_fixed_traits_are_used() -> None:
    llm = ScriptedLLM()
    task = GenerateTextRetrievalData(
        llm=llm,
        query_type="common",
        query_length="5 to 15 words",
        difficulty="PhD",
        clarity="ambiguous",
        num_words=300,
    )
    process_rows(task, [{"task": TASKS[0]}])
    prompt = llm.prompt()
    assert "is common, 5 to 15 words, ambiguous" in prompt
    assert "at least 300 words" in prompt and "PhD level" in prompt
    llm = ScriptedLLM()
    process_rows(
        GenerateTextClassificationData(llm=llm, difficulty="college", clarity="clear"),
        [{"task": TASKS[0]}],
    )
    assert "is clear, and understanding it takes college level" in llm.prompt()
    with pytest.raises(ValueError):
        GenerateTextRetrievalData(llm=ScriptedLLM(), num_words=123)


def test_structured_output_asks_for_the_keys() -> None:
    llm = ScriptedLLM(answers=['{"input_text": "t", "label": "l", "misleading_label": "m"}'])
    task = GenerateTextClassificationData(llm=llm, use_default_structured_output=True)
    [row] = process_rows(task, [{"task": TASKS[0]}])
    _, schema = llm._inputs[0]
    assert schema["required"] == ["input_text", "label", "misleading_label"]
    assert row["label"] == "l"


# --- generators: triplets and bitext -------------------------------------------------------------------------------


def test_monolingual_triplets() -> None:
    llm = ScriptedLLM(answers=['{"S1": "a", "S2": "b", "S3": "c"}', "oops"])
    task = MonolingualTripletGenerator(
        llm=llm, language="French", unit="sentence", num_generations=2
    )
    rows = generate_rows(task)
    assert task.get_outputs() == {"S1": True, "S2": True, "S3": True, "model_name": True}
    assert [(r["S1"], r["S2"], r["S3"]) for r in rows] == [("a", "b", "c"), (None, None, None)]
    assert rows[1]["distilabel_metadata"][f"raw_output_{task.name}"] == "oops"
    prompt = llm.prompt()
    assert "three sentences" in prompt and "in French" in prompt
    assert len(llm._inputs) == 1  # one prompt for all generations


def test_bitext_retrieval_needs_a_target_language_and_uses_both() -> None:
    with pytest.raises(ValueError, match="target_language"):
        BitextRetrievalGenerator(llm=ScriptedLLM())
    llm = ScriptedLLM(
        answers=['{"S1": "Good morning", "S2": "Buenos días", "S3": "Buenas noches"}']
    )
    task = BitextRetrievalGenerator(
        llm=llm, target_language="Spanish", high_score="5", low_score="2.5"
    )
    [row] = generate_rows(task)
    assert (row["S1"], row["S2"], row["S3"]) == ("Good morning", "Buenos días", "Buenas noches")
    prompt = llm.prompt()
    assert "one in English and two translations of it into Spanish" in prompt
    assert '"S2" scores 5' in prompt and '"S3" scores 2.5' in prompt


def test_generator_draws_are_seeded() -> None:
    def prompts(seed: int) -> List[str]:
        found = []
        for _ in range(2):  # a second load starts the draws over
            llm = ScriptedLLM()
            task = MonolingualTripletGenerator(llm=llm, seed=seed)
            task.load()
            found.extend(task.prompt[0]["content"] for _ in range(6))
        return found

    first, other = prompts(3), prompts(4)
    assert first[:6] == first[6:]
    assert first != other


# --- round trips ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task",
    [
        EmbeddingTaskGenerator(
            llm=ScriptedLLM(), category="text-classification", flatten_tasks=True
        ),
        GenerateTextRetrievalData(
            llm=ScriptedLLM(), language="Italian", query_type="long-tail", num_words=50, seed=7
        ),
        GenerateShortTextMatchingData(llm=ScriptedLLM(), language="Dutch"),
        GenerateLongTextMatchingData(llm=ScriptedLLM()),
        GenerateTextClassificationData(llm=ScriptedLLM(), clarity="clear"),
        MonolingualTripletGenerator(llm=ScriptedLLM(), high_score="4.5", low_score="3"),
        BitextRetrievalGenerator(
            llm=ScriptedLLM(), source_language="Hindi", target_language="Urdu", unit="phrase"
        ),
    ],
)
def test_dump_and_load_round_trip(task: Any) -> None:
    data = task.dump()
    again = type(task).from_dict(data, allowed_modules=[__name__])
    assert again.dump() == data
    assert again.model_dump() == task.model_dump()
