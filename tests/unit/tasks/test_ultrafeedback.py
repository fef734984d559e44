"""UltraFeedback: prompts per aspect, rating/rationale (and type) parsing, JSON answers, failures, dumps."""

import json
from typing import Any, List, Optional

import pytest
from pydantic import Field, PrivateAttr

from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.steps.tasks import UltraFeedback

ROW = {"instruction": "What is 2 + 2?", "generations": ["4", "It is 5.", "Four, i.e. 4."]}


class ScriptedLLM(LLM):
    """Answers the n-th input with ``answers[n % len(answers)]``; keeps what it was sent."""

    answers: List[Optional[str]] = Field(default_factory=lambda: ["Rating: 3\nRationale: ok"])
    _sent: List[Any] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "scripted-judge"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for input in inputs:
            answer = self.answers[len(self._sent) % len(self.answers)]
            self._sent.append(input)
            outputs.append(prepare_output([answer] * num_generations, [40], [20]))
        return outputs


def run(task: UltraFeedback, rows: List[dict]) -> List[dict]:
    task.load()
    return next(task.process([dict(r) for r in rows]))


RATED = (
    "#### Output for Text 1\nRating: 5\nRationale: Correct and direct.\n\n"
    "#### Output for Text 2\nRating: 1\nRationale: Wrong, and stated with confidence.\n\n"
    "#### Output for Text 3\nRating: 4\nRationale: Correct but wordy."
)
TYPED = (
    "#### Output for Text 1\nType: 1, 3\nRationale: Clear and short.\nRating: 3\nRationale: Correct, no detail.\n\n"
    "#### Output for Text 2\nType: None\nRationale: Not relevant.\nRating: 1\nRationale: Wrong result.\n\n"
    "#### Output for Text 3\nType: 2\nRationale: Explains the sum.\nRating: 4\nRationale: Correct with reasoning."
)


@pytest.mark.parametrize("aspect", ["honesty", "instruction-following", "overall-rating"])
def test_rating_aspects_prompt_and_parse(aspect: str) -> None:
    llm = ScriptedLLM(answers=[RATED])
    task = UltraFeedback(llm=llm, aspect=aspect)
    [row] = run(task, [ROW])
    assert task.outputs == ["ratings", "rationales", "model_name"]
    assert row["ratings"] == [5, 1, 4]
    assert row["rationales"] == ["Correct and direct.", "Wrong, and stated with confidence.", "Correct but wordy."]
    assert row["model_name"] == "scripted-judge"
    assert row["distilabel_metadata"][f"raw_output_{task.name}"] == RATED
    system, user = llm._sent[0]
    assert system["role"] == "system" and "3 texts" in system["content"]
    assert user["role"] == "user"
    prompt = user["content"]
    assert "What is 2 + 2?" in prompt
    assert "<text 1> 4\n<text 2> It is 5.\n<text 3> Four, i.e. 4." in prompt
    for index in (1, 2, 3):
        assert f"#### Output for Text {index}\nRating: <a number from 1 to 5 for text {index}>" in prompt
    assert "Type:" not in prompt


@pytest.mark.parametrize("aspect", ["helpfulness", "truthfulness"])
def test_typed_aspects_prompt_and_parse(aspect: str) -> None:
    llm = ScriptedLLM(answers=[TYPED])
    task = UltraFeedback(llm=llm, aspect=aspect)
    [row] = run(task, [ROW])
    assert task.outputs == ["types", "rationales", "ratings", "rationales-for-ratings", "model_name"]
    assert row["types"] == [1, None, 2]
    assert row["rationales"] == ["Clear and short.", "Not relevant.", "Explains the sum."]
    assert row["ratings"] == [3, 1, 4]
    assert row["rationales-for-ratings"] == ["Correct, no detail.", "Wrong result.", "Correct with reasoning."]
    prompt = llm._sent[0][1]["content"]
    assert "#### Output for Text 3\nType: <numbers" in prompt
    assert ("informativeness" if aspect == "helpfulness" else "hallucination") in prompt


def test_aspect_defaults_to_overall_rating_and_each_aspect_has_its_own_prompt() -> None:
    assert UltraFeedback(llm=ScriptedLLM()).aspect == "overall-rating"
    prompts = set()
    for aspect in ["helpfulness", "honesty", "instruction-following", "truthfulness", "overall-rating"]:
        prompts.add(UltraFeedback(llm=ScriptedLLM(), aspect=aspect).format_input(ROW)[1]["content"].split("\n")[0])
    assert len(prompts) == 5


def test_inputs_are_instruction_and_generations() -> None:
    task = UltraFeedback(llm=ScriptedLLM())
    assert task.inputs == ["instruction", "generations"]
    # A system_prompt column from an upstream step is not the judge's: its own system message stays.
    system = task.format_input({**ROW, "system_prompt": "You are a pirate."})[0]
    assert system["role"] == "system" and "3 texts" in system["content"]


def test_blocks_without_headers_are_read_in_order_and_markdown_is_tolerated() -> None:
    answer = "Here are my ratings.\n\n**Rating:** 4\n**Rationale:** Fine.\nRating: 2/5\nRationale: Off.\n\nRating: 5\nRationale: Best."
    [row] = run(UltraFeedback(llm=ScriptedLLM(answers=[answer])), [ROW])
    assert row["ratings"] == [4, 2, 5]
    assert row["rationales"] == ["Fine.", "Off.", "Best."]


def test_headers_place_each_block_even_out_of_order() -> None:
    answer = "#### Output for Text 3\nRating: 2\nRationale: c\n\n#### Output for Text 1\nRating: 5\nRationale: a"
    [row] = run(UltraFeedback(llm=ScriptedLLM(answers=[answer])), [ROW])
    assert row["ratings"] == [5, None, 2]
    assert row["rationales"] == ["a", None, "c"]


def test_malformed_blocks_give_none_for_their_text_only() -> None:
    answer = (
        "#### Output for Text 1\nRating: 4\nRationale: good\n\n"
        "#### Output for Text 2\nI cannot rate this one.\n\n"
        "#### Output for Text 3\nRating: 9\nRationale: out of range"
    )
    task = UltraFeedback(llm=ScriptedLLM(answers=[answer]))
    [row] = run(task, [ROW])
    assert row["ratings"] == [4, None, None]
    assert row["rationales"] == ["good", None, "out of range"]
    assert row["distilabel_metadata"][f"raw_output_{task.name}"] == answer


def test_an_unreadable_answer_gives_lists_of_none_and_keeps_the_raw_output() -> None:
    task = UltraFeedback(llm=ScriptedLLM(answers=["Text 1 is the best, text 2 is bad."]), aspect="truthfulness")
    [row] = run(task, [ROW])
    for column in ("types", "rationales", "ratings", "rationales-for-ratings"):
        assert row[column] == [None, None, None]
    assert row["distilabel_metadata"][f"raw_output_{task.name}"] == "Text 1 is the best, text 2 is bad."
    assert f"error_{task.name}" not in row["distilabel_metadata"]


def test_a_failed_generation_gives_lists_of_none_and_the_error() -> None:
    task = UltraFeedback(llm=ScriptedLLM(answers=[None]))
    [row] = run(task, [ROW])
    assert row["ratings"] == [None, None, None] and row["rationales"] == [None, None, None]
    assert row["distilabel_metadata"][f"raw_output_{task.name}"] is None


def test_bad_generations_column_fails_only_that_row_with_a_clear_error() -> None:
    task = UltraFeedback(llm=ScriptedLLM(answers=[RATED]))
    bad, good = run(task, [{"instruction": "x", "generations": "not a list"}, ROW])
    assert bad["ratings"] is None and bad["rationales"] is None
    assert "non-empty list" in bad["distilabel_metadata"][f"error_{task.name}"]
    assert good["ratings"] == [5, 1, 4]


def test_default_structured_output_sends_the_schema_and_parses_json() -> None:
    answer = json.dumps({"ratings": [5, 2, 4], "rationales": ["a", "b", "c"]})
    llm = ScriptedLLM(answers=[answer])
    task = UltraFeedback(llm=llm, aspect="honesty", use_default_structured_output=True)
    [row] = run(task, [ROW])
    chat, schema = llm._sent[0]
    assert chat[1]["role"] == "user"
    assert schema["required"] == ["ratings", "rationales"] and schema["title"] == "SchemaUltraFeedback"
    # The 1.5 schema, held to the row: three texts, ratings 1 to 5.
    assert task.get_structured_output()["properties"]["ratings"] == {"items": {"type": "integer"}, "title": "Ratings", "type": "array"}
    ratings, rationales = schema["properties"]["ratings"], schema["properties"]["rationales"]
    assert (ratings["minItems"], ratings["maxItems"], rationales["minItems"], rationales["maxItems"]) == (3, 3, 3, 3)
    assert ratings["items"] == {"type": "integer", "enum": [1, 2, 3, 4, 5]}
    assert rationales["items"] == {"type": "string"}
    assert row["ratings"] == [5, 2, 4] and row["rationales"] == ["a", "b", "c"]


def test_typed_structured_output_maps_rationales_for_rating() -> None:
    answer = json.dumps(
        {"types": [1, None, 3], "ratings": [3, 1, 5], "rationales": ["x", "y", "z"], "rationales_for_rating": ["p", "q", "r"]}
    )
    task = UltraFeedback(llm=ScriptedLLM(answers=[answer]), aspect="helpfulness", use_default_structured_output=True)
    assert task.get_structured_output()["required"] == ["types", "ratings", "rationales", "rationales_for_rating"]
    [row] = run(task, [ROW])
    assert row["types"] == [1, None, 3]
    assert row["ratings"] == [3, 1, 5]
    assert row["rationales-for-ratings"] == ["p", "q", "r"]
    assert "rationales_for_rating" not in row


def test_structured_output_that_is_not_json_gives_lists_of_none() -> None:
    task = UltraFeedback(llm=ScriptedLLM(answers=["{ratings: oops"]), use_default_structured_output=True)
    [row] = run(task, [ROW])
    assert row["ratings"] == [None, None, None] and row["rationales"] == [None, None, None]


def test_short_json_lists_are_padded_and_bad_ratings_dropped() -> None:
    answer = json.dumps({"ratings": [5, "high"], "rationales": ["a"]})
    task = UltraFeedback(llm=ScriptedLLM(answers=[answer]), use_default_structured_output=True)
    [row] = run(task, [ROW])
    assert row["ratings"] == [5, None, None] and row["rationales"] == ["a", None, None]


def test_num_generations_with_group_generations() -> None:
    task = UltraFeedback(llm=ScriptedLLM(answers=[RATED]), num_generations=2, group_generations=True)
    [row] = run(task, [ROW])
    assert row["ratings"] == [[5, 1, 4], [5, 1, 4]]


def test_dump_and_from_dict_round_trip() -> None:
    task = UltraFeedback(llm=ScriptedLLM(answers=[RATED]), aspect="truthfulness", use_default_structured_output=True)
    dumped = task.dump()
    assert dumped["aspect"] == "truthfulness" and dumped["use_default_structured_output"] is True
    assert dumped["type_info"] == {"module": "distilabel.steps.tasks.ultrafeedback", "name": "UltraFeedback"}
    again = UltraFeedback.from_dict(dumped, allowed_modules=[ScriptedLLM.__module__])
    assert again.aspect == "truthfulness" and again.llm.answers == [RATED]
    assert again.outputs == task.outputs
