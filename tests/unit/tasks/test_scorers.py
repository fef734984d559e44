"""QualityScorer and ComplexityScorer: prompts, `[i] Score: N` parsing, JSON answers, failures, dumps."""

import json
from typing import Any, List, Optional

import pytest
from pydantic import Field, PrivateAttr

from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.steps.tasks import ComplexityScorer, QualityScorer


class ScriptedLLM(LLM):
    """Answers the n-th input with ``answers[n % len(answers)]``; keeps what it was sent."""

    answers: List[Optional[str]] = Field(default_factory=lambda: ["[1] Score: 1"])
    _sent: List[Any] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "scorer-fake"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for input in inputs:
            answer = self.answers[len(self._sent) % len(self.answers)]
            self._sent.append(input)
            outputs.append(prepare_output([answer] * num_generations, [25], [9]))
        return outputs


def run(task: Any, rows: List[dict]) -> List[dict]:
    task.load()
    return next(task.process([dict(r) for r in rows]))


INSTRUCTIONS = {"instructions": ["Say hi.", "Summarise a novel.", "Prove the four colour theorem."]}
RESPONSES = {"instruction": "Name a prime number.", "responses": ["7", "Nine", "Two, the only even prime."]}


def test_complexity_scorer_prompt_and_scores() -> None:
    llm = ScriptedLLM(answers=["[1] Score: 1\n[2] Score: 2\n[3] Score: 4"])
    task = ComplexityScorer(llm=llm)
    [row] = run(task, [INSTRUCTIONS])
    assert task.inputs == ["instructions"] and task.outputs == ["scores", "model_name"]
    assert row["scores"] == [1.0, 2.0, 4.0] and row["model_name"] == "scorer-fake"
    [message] = llm._sent[0]
    assert message["role"] == "user"
    prompt = message["content"]
    assert "[1] Say hi.\n[2] Summarise a novel.\n[3] Prove the four colour theorem." in prompt
    assert "[1] Score: <score>" in prompt and "1 (simplest) to 3" in prompt and "may get 4" in prompt


def test_quality_scorer_prompt_and_scores() -> None:
    llm = ScriptedLLM(answers=["[1] Score: 3\n[2] Score: 1\n[3] Score: 4"])
    task = QualityScorer(llm=llm)
    [row] = run(task, [RESPONSES])
    assert task.inputs == ["instruction", "responses"] and task.outputs == ["scores", "model_name"]
    assert row["scores"] == [3.0, 1.0, 4.0]
    prompt = llm._sent[0][0]["content"]
    assert "#Question#: Name a prime number." in prompt
    assert "[1] 7\n[2] Nine\n[3] Two, the only even prime." in prompt


@pytest.mark.parametrize(
    ("answer", "scores"),
    [
        ("Here are the scores:\n[1] Score: 2\n[2] Score: 3\n[3] Score: 1", [2.0, 3.0, 1.0]),
        ("[3] score: 5\n[1] SCORE: 1", [1.0, None, 5.0]),
        ("**[1] Score:** 2\n[2] Score: 2\n[2] Score: 4", [2.0, 2.0, None]),
        ("[1] Score: high\n[2] Score: 3\n[9] Score: 1", [None, 3.0, None]),
        ("I think the second is hardest.", [None, None, None]),
    ],
)
def test_indexed_score_parsing(answer: str, scores: List[Optional[float]]) -> None:
    task = ComplexityScorer(llm=ScriptedLLM(answers=[answer]))
    [row] = run(task, [INSTRUCTIONS])
    assert row["scores"] == scores
    assert row["distilabel_metadata"][f"raw_output_{task.name}"] == answer


@pytest.mark.parametrize("cls", [ComplexityScorer, QualityScorer])
def test_default_structured_output_sends_the_schema_and_reads_json(cls: Any) -> None:
    llm = ScriptedLLM(answers=[json.dumps({"scores": [3, 1]})])
    task = cls(llm=llm, use_default_structured_output=True)
    row = INSTRUCTIONS if cls is ComplexityScorer else RESPONSES
    [out] = run(task, [row])
    chat, schema = llm._sent[0]
    assert chat[0]["role"] == "user"
    assert schema == task.get_structured_output()
    assert schema["properties"]["scores"]["items"] == {"type": "integer"} and schema["required"] == ["scores"]
    assert out["scores"] == [3.0, 1.0, None]


@pytest.mark.parametrize("answer", ["not json", json.dumps({"scores": "3, 1"}), json.dumps([3, 1, 2])])
def test_structured_answer_that_does_not_fit_gives_none(answer: str) -> None:
    task = QualityScorer(llm=ScriptedLLM(answers=[answer]), use_default_structured_output=True)
    [row] = run(task, [RESPONSES])
    assert row["scores"] == [None, None, None]


def test_failed_generation_and_bad_input() -> None:
    task = QualityScorer(llm=ScriptedLLM(answers=[None]))
    [row] = run(task, [RESPONSES])
    assert row["scores"] == [None, None, None]
    scorer = ComplexityScorer(llm=ScriptedLLM())
    [bad] = run(scorer, [{"instructions": "one string, not a list"}])
    assert bad["scores"] is None
    assert "non-empty list" in bad["distilabel_metadata"][f"error_{scorer.name}"]


@pytest.mark.parametrize("cls", [ComplexityScorer, QualityScorer])
def test_dump_and_from_dict_round_trip(cls: Any) -> None:
    task = cls(llm=ScriptedLLM(answers=["[1] Score: 2"]), use_default_structured_output=True, name="scorer")
    dumped = task.dump()
    assert dumped["type_info"]["name"] == cls.__name__ and dumped["use_default_structured_output"] is True
    again = cls.from_dict(dumped, allowed_modules=[ScriptedLLM.__module__])
    assert type(again) is cls and again.name == "scorer" and again.llm.answers == ["[1] Score: 2"]
