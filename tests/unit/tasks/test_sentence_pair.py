"""GenerateSentencePair: prompts for every action, section and JSON parsing, failures, dumps."""

from typing import List, Optional, Tuple

import pytest
from pydantic import ValidationError

from distilabel.steps.tasks import GenerateSentencePair
from distilabel.steps.tasks.sentence_transformers import ACTION_SENTENCES
from tests.unit.tasks import fakes

ANCHOR = "How does 3D printing work?"


class ScriptedLLM(fakes.ScriptedLLM):
    answers: List[Optional[str]] = ["## Positive\nok"]
    usage: Tuple[int, int] = (11, 5)


def run(task: GenerateSentencePair, rows: List[dict]) -> List[dict]:
    task.load()
    return next(task.process(rows))


@pytest.mark.parametrize("action", ["paraphrase", "semantically-similar", "query", "answer"])
def test_each_action_prompts_and_parses_a_positive(action: str) -> None:
    llm = ScriptedLLM(answers=["## Positive\nThe printer builds objects layer by layer.\n"])
    task = GenerateSentencePair(llm=llm, action=action)
    [row] = run(task, [{"anchor": ANCHOR}])
    assert task.outputs == ["positive", "model_name"]
    assert row["positive"] == "The printer builds objects layer by layer."
    assert "negative" not in row
    assert row["model_name"] == "scripted"
    system, user = llm._sent[0]
    assert system["role"] == "system" and ACTION_SENTENCES[action] in system["content"]
    assert "`## Positive`" in system["content"] and "## Negative" not in system["content"]
    assert user == {"role": "user", "content": f"## Anchor\n\n{ANCHOR}"}


def test_triplet_parses_positive_and_negative() -> None:
    llm = ScriptedLLM(
        answers=[
            "## Positive\nHow do 3D printers make things?\n\n## Negative\nHow does 3D cinema work?"
        ]
    )
    task = GenerateSentencePair(llm=llm, action="paraphrase", triplet=True)
    [row] = run(task, [{"anchor": ANCHOR}])
    assert task.outputs == ["positive", "negative", "model_name"]
    assert row["positive"] == "How do 3D printers make things?"
    assert row["negative"] == "How does 3D cinema work?"
    system = llm._sent[0][0]["content"]
    assert "`## Positive` and then `## Negative`" in system
    assert "hard negative" not in system


def test_hard_negative_and_context_reach_the_prompt() -> None:
    llm = ScriptedLLM(answers=["## Positive\np\n## Negative\nn"])
    task = GenerateSentencePair(
        llm=llm,
        action="query",
        triplet=True,
        hard_negative=True,
        context="Argilla is a data curation platform.",
    )
    [row] = run(task, [{"anchor": "Argilla lets teams label data."}])
    system, user = llm._sent[0]
    assert "hard negative" in system["content"] and "context" in system["content"]
    assert (
        user["content"]
        == "## Context\n\nArgilla is a data curation platform.\n\n## Anchor\n\nArgilla lets teams label data."
    )
    assert (row["positive"], row["negative"]) == ("p", "n")


def test_hard_negative_is_ignored_without_triplet() -> None:
    llm = ScriptedLLM()
    run(GenerateSentencePair(llm=llm, action="answer", hard_negative=True), [{"anchor": ANCHOR}])
    assert "hard negative" not in llm._sent[0][0]["content"]


def test_text_before_the_first_section_is_tolerated() -> None:
    llm = ScriptedLLM(
        answers=["Sure! Here it is.\n\n## Positive\nA restatement.\n\n## Negative\nSomething else."]
    )
    [row] = run(
        GenerateSentencePair(llm=llm, action="paraphrase", triplet=True), [{"anchor": ANCHOR}]
    )
    assert (row["positive"], row["negative"]) == ("A restatement.", "Something else.")


def test_pair_task_keeps_only_the_positive_when_a_negative_comes_too() -> None:
    llm = ScriptedLLM(answers=["## Positive\nkept\n\n## Negative\ndropped"])
    [row] = run(GenerateSentencePair(llm=llm, action="paraphrase"), [{"anchor": ANCHOR}])
    assert row["positive"] == "kept" and "negative" not in row


def test_malformed_answers_give_none_and_keep_the_raw_output() -> None:
    answers = ["I would rather not.", "## Positive\nonly a positive", None]
    llm = ScriptedLLM(answers=answers)
    task = GenerateSentencePair(llm=llm, action="paraphrase", triplet=True)
    rows = run(task, [{"anchor": "a"}, {"anchor": "b"}, {"anchor": "c"}])
    assert [(r["positive"], r["negative"]) for r in rows] == [
        (None, None),
        ("only a positive", None),
        (None, None),
    ]
    metadata = rows[0]["distilabel_metadata"]
    assert metadata["raw_output_generate_sentence_pair_0"] == "I would rather not."
    assert metadata["raw_input_generate_sentence_pair_0"][1]["content"] == "## Anchor\n\na"
    assert metadata["statistics_generate_sentence_pair_0"] == {
        "input_tokens": 11,
        "output_tokens": 5,
    }


def test_bad_anchor_fails_only_its_row() -> None:
    rows = run(
        GenerateSentencePair(llm=ScriptedLLM(), action="paraphrase"),
        [{"anchor": 3}, {"anchor": "x"}],
    )
    assert rows[0]["positive"] is None
    assert (
        "'anchor' column must be a string"
        in rows[0]["distilabel_metadata"]["error_generate_sentence_pair_0"]
    )
    assert rows[1]["positive"] == "ok"


@pytest.mark.parametrize("triplet", [False, True])
def test_default_structured_output_sends_a_schema_and_parses_json(triplet: bool) -> None:
    llm = ScriptedLLM(answers=['{"positive": " similar ", "negative": "different"}', "not json"])
    task = GenerateSentencePair(
        llm=llm, action="semantically-similar", triplet=triplet, use_default_structured_output=True
    )
    rows = run(task, [{"anchor": "a"}, {"anchor": "b"}])
    chat, spec = llm._sent[0]
    keys = ["positive", "negative"] if triplet else ["positive"]
    assert spec["format"] == "json"
    assert spec["schema"]["required"] == keys
    assert list(spec["schema"]["properties"]) == keys
    assert "JSON object" in chat[0]["content"]
    expected = (
        {"positive": "similar", "negative": "different"} if triplet else {"positive": "similar"}
    )
    assert {k: rows[0][k] for k in keys} == expected
    assert all(rows[1][k] is None for k in keys)
    assert "negative" in rows[0] if triplet else "negative" not in rows[0]


def test_action_is_required_and_checked() -> None:
    with pytest.raises(ValidationError, match="action"):
        GenerateSentencePair(llm=ScriptedLLM())
    with pytest.raises(ValidationError, match="paraphrase"):
        GenerateSentencePair(llm=ScriptedLLM(), action="summarize")


def test_dump_and_load_round_trip() -> None:
    task = GenerateSentencePair(
        name="pairs",
        llm=ScriptedLLM(answers=["## Positive\nx"]),
        action="query",
        triplet=True,
        hard_negative=True,
        context="c",
    )
    dump = task.dump()
    assert {k: dump[k] for k in ("action", "triplet", "hard_negative", "context")} == {
        "action": "query",
        "triplet": True,
        "hard_negative": True,
        "context": "c",
    }
    assert dump["type_info"] == {
        "module": "distilabel.steps.tasks.sentence_transformers",
        "name": "GenerateSentencePair",
    }
    loaded = GenerateSentencePair.from_dict(dump, allowed_modules=[ScriptedLLM.__module__])
    assert loaded.dump() == dump
    assert loaded.format_input({"anchor": "z"}) == task.format_input({"anchor": "z"})
    assert loaded.llm.answers == ["## Positive\nx"]
