"""Structure, classification, sentence-pair and instruction-data tasks end to end on the embedded SmolLM2.

Each task runs once in a Pipeline on two rows (TextClustering: two clusters). The
135M model often misses free-text formats, so those columns may be None; the
tests check that the run finishes with the task's columns, and print how many
answers parsed. Grammar-constrained answers (StructuredGeneration,
TextClassification, TextClustering) must parse.
"""

import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts, TextClustering
from distilabel.steps.tasks import (
    CLAIR,
    URIAL,
    GenerateSentencePair,
    Genstruct,
    InstructionBacktranslation,
    StructuredGeneration,
    TextClassification,
)
from tests.local.conftest import LLAMA_CPP_MISSING

pytest.importorskip("llama_cpp", reason=LLAMA_CPP_MISSING)

from distilabel.models.llms import LlamaCppLLM

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def run_task(
    tmp_path: Path,
    make_task: Callable[..., Any],
    data: List[Dict[str, Any]],
    sent: Optional[int] = None,
) -> Dict[str, list]:
    """Run ``make_task(llm=...)`` on ``data`` in a pipeline; the task's dataset, as columns.

    ``sent``: how many rows carry an LLM answer in their metadata (all by default).
    """
    with Pipeline(name="tasks-structure", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        load = LoadDataFromDicts(data=data)
        task = make_task(llm=LlamaCppLLM(n_ctx=1024, seed=7))
        load >> task
    generation_kwargs = {"max_new_tokens": 48, "temperature": 0.2}
    distiset = pipeline.run(
        use_cache=False, parameters={task.name: {"llm": {"generation_kwargs": generation_kwargs}}}
    )
    train = distiset["default"]["train"]
    assert len(train) == len(data)
    assert train["model_name"] == [task.llm.model_name] * len(data)
    for column in task.get_outputs():
        assert column in train.column_names
    answered = [m for m in train["distilabel_metadata"] if m and f"raw_output_{task.name}" in m]
    assert len(answered) == (len(data) if sent is None else sent)
    return train.to_dict()


def report(name: str, values: List[Any]) -> int:
    parsed = sum(v is not None for v in values)
    print(f"PARSED {name}: {parsed}/{len(values)}")
    return parsed


def test_generate_sentence_pair(tmp_path: Path) -> None:
    columns = run_task(
        tmp_path,
        lambda llm: GenerateSentencePair(llm=llm, action="paraphrase", triplet=True),
        [
            {"anchor": "The cat sat on the warm windowsill."},
            {"anchor": "How do vaccines train the immune system?"},
        ],
    )
    report("GenerateSentencePair", columns["positive"])
    assert all(
        v is None or (isinstance(v, str) and v) for v in columns["positive"] + columns["negative"]
    )


def test_instruction_backtranslation(tmp_path: Path) -> None:
    columns = run_task(
        tmp_path,
        InstructionBacktranslation,
        [
            {
                "instruction": "What is the capital of France?",
                "generation": "The capital of France is Paris.",
            },
            {"instruction": "Name a primary colour.", "generation": "Blue is a primary colour."},
        ],
    )
    report("InstructionBacktranslation", columns["score"])
    assert all(s is None or 0 <= s <= 9 for s in columns["score"])


def test_genstruct(tmp_path: Path) -> None:
    columns = run_task(
        tmp_path,
        Genstruct,
        [
            {
                "title": "Photosynthesis",
                "content": "Plants use sunlight, water and carbon dioxide to make sugar and oxygen.",
            },
            {"title": "The Moon", "content": "The Moon orbits the Earth about once every 27 days."},
        ],
    )
    report("Genstruct", columns["user"])
    assert all(
        (u is None) == (a is None)
        for u, a in zip(columns["user"], columns["assistant"], strict=True)
    )


def test_urial(tmp_path: Path) -> None:
    columns = run_task(
        tmp_path,
        URIAL,
        [
            {"instruction": "What colour is the sky on a clear day?"},
            {"conversation": [{"role": "user", "content": "Say hello in French."}]},
        ],
    )
    assert report("URIAL", columns["generation"]) >= 1
    assert all(g is None or "# User" not in g for g in columns["generation"])


def test_clair(tmp_path: Path) -> None:
    columns = run_task(
        tmp_path,
        CLAIR,
        [
            {"task": "What is 2 + 2?", "student_solution": "2 + 2 is 5."},
            {"task": "Name the largest planet.", "student_solution": "The largest planet is Mars."},
        ],
    )
    report("CLAIR", columns["revision"])


def test_structured_generation_follows_the_rows_schema(tmp_path: Path) -> None:
    spec = {"format": "json", "schema": PERSON}
    columns = run_task(
        tmp_path,
        StructuredGeneration,
        [
            {"instruction": "Invent a person with a name and an age.", "structured_output": spec},
            {"instruction": "Describe a pirate captain as JSON.", "structured_output": spec},
        ],
    )
    assert report("StructuredGeneration", columns["generation"]) == 2
    for generation in columns["generation"]:
        person = json.loads(generation)
        assert isinstance(person["name"], str) and isinstance(person["age"], int)


def test_text_classification_answers_with_an_available_label(tmp_path: Path) -> None:
    columns = run_task(
        tmp_path,
        lambda llm: TextClassification(
            llm=llm,
            available_labels=["positive", "negative"],
            context="Label the sentiment of the review.",
        ),
        [
            {"text": "I loved this film, it was wonderful."},
            {"text": "Terrible food and rude staff."},
        ],
    )
    assert report("TextClassification", columns["labels"]) == 2
    assert all(label in ("positive", "negative", "Unclassified") for label in columns["labels"])


def test_text_clustering_labels_each_cluster(tmp_path: Path) -> None:
    data = [
        {
            "text": "Tips for growing tomatoes in pots.",
            "projection": [0.1, 0.2],
            "cluster_label": 0,
        },
        {"text": "How to repot a cactus.", "projection": [0.2, 0.1], "cluster_label": 0},
        {"text": "Best exercises for strong legs.", "projection": [0.9, 0.8], "cluster_label": 1},
        {"text": "Random noise.", "projection": [0.5, 0.5], "cluster_label": -1},
    ]
    columns = run_task(
        tmp_path,
        lambda llm: TextClustering(llm=llm, savefig=False, samples_per_cluster=2),
        data,
        sent=3,
    )
    labels = columns["summary_label"]
    assert labels[3] == json.dumps("Unclassified")
    assert labels[0] == labels[1]
    assert report("TextClustering (clusters)", [labels[0], labels[2]]) == 2
    assert all(isinstance(json.loads(label), str) for label in labels)
