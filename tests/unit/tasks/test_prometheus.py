"""PrometheusEval: both modes with and without reference, every rubric, `[RESULT]` parsing, failures, dumps."""

from typing import Any, List, Optional

import pytest
from pydantic import Field, PrivateAttr, ValidationError

from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.steps.tasks import PrometheusEval

RUBRIC_NAMES = ["helpfulness", "harmlessness", "honesty", "factual-validity", "reasoning"]
CUSTOM_RUBRIC = (
    "[Is the answer written in plain English?]\n"
    "Score 1: Jargon throughout.\n"
    "Score 2: Mostly jargon.\n"
    "Score 3: Some jargon.\n"
    "Score 4: Little jargon.\n"
    "Score 5: Plain English throughout."
)


class ScriptedLLM(LLM):
    """Answers the n-th input with ``answers[n % len(answers)]``; keeps what it was sent."""

    answers: List[Optional[str]] = Field(default_factory=lambda: ["Feedback: fine [RESULT] 3"])
    _sent: List[Any] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "prometheus-fake"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for input in inputs:
            answer = self.answers[len(self._sent) % len(self.answers)]
            self._sent.append(input)
            outputs.append(prepare_output([answer] * num_generations, [30], [12]))
        return outputs


def run(task: PrometheusEval, rows: List[dict]) -> List[dict]:
    task.load()
    return next(task.process([dict(r) for r in rows]))


@pytest.mark.parametrize("reference", [False, True])
def test_absolute_mode_scores_one_generation(reference: bool) -> None:
    llm = ScriptedLLM(answers=["Feedback: Correct and complete. [RESULT] 5"])
    task = PrometheusEval(llm=llm, mode="absolute", rubric="factual-validity", reference=reference)
    row = {"instruction": "What is 2 + 2?", "generation": "4", "reference": "2 + 2 = 4"}
    [out] = run(task, [row])
    assert task.inputs == (["instruction", "generation", "reference"] if reference else ["instruction", "generation"])
    assert task.outputs == ["feedback", "result", "model_name"]
    assert (out["feedback"], out["result"], out["model_name"]) == ("Correct and complete.", 5, "prometheus-fake")
    system, user = llm._sent[0]
    assert system["role"] == "system" and "rubric" in system["content"]
    prompt = user["content"]
    assert "What is 2 + 2?" in prompt and "###Response to evaluate:\n4" in prompt
    assert task.rubrics["factual-validity"] in prompt
    assert "[RESULT] (an integer from 1 to 5)" in prompt
    assert ("2 + 2 = 4" in prompt) is reference


@pytest.mark.parametrize("reference", [False, True])
def test_relative_mode_picks_a_or_b(reference: bool) -> None:
    llm = ScriptedLLM(answers=["Feedback: Response B explains its answer. [RESULT] B"])
    task = PrometheusEval(llm=llm, mode="relative", rubric="reasoning", reference=reference)
    row = {"instruction": "Why is the sky blue?", "generations": ["Because.", "Rayleigh scattering."], "reference": "Scattering."}
    [out] = run(task, [row])
    assert task.inputs == (["instruction", "generations", "reference"] if reference else ["instruction", "generations"])
    assert (out["feedback"], out["result"]) == ("Response B explains its answer.", "B")
    prompt = llm._sent[0][1]["content"]
    assert "###Response A:\nBecause." in prompt and "###Response B:\nRayleigh scattering." in prompt
    assert "[RESULT] (A or B)" in prompt
    assert ("###Reference Answer:\nScattering." in prompt) is reference


@pytest.mark.parametrize("rubric", RUBRIC_NAMES)
def test_every_default_rubric_reaches_the_prompt(rubric: str) -> None:
    llm = ScriptedLLM()
    task = PrometheusEval(llm=llm, mode="absolute", rubric=rubric)
    assert sorted(task.rubrics) == sorted(RUBRIC_NAMES)
    run(task, [{"instruction": "i", "generation": "g"}])
    text = task.rubrics[rubric]
    assert text.startswith("[") and text.count("\nScore ") == 5
    assert text in llm._sent[0][1]["content"]


def test_custom_rubrics() -> None:
    llm = ScriptedLLM(answers=["Feedback: Clear. [RESULT] 4"])
    task = PrometheusEval(llm=llm, mode="absolute", rubric="plain", rubrics={"plain": CUSTOM_RUBRIC})
    [out] = run(task, [{"instruction": "Explain DNS.", "generation": "It maps names to addresses."}])
    assert out["result"] == 4
    assert CUSTOM_RUBRIC in llm._sent[0][1]["content"]


def test_rubric_must_exist_and_rubrics_must_follow_the_format() -> None:
    with pytest.raises(ValidationError, match="not among the available rubrics: helpfulness"):
        PrometheusEval(llm=ScriptedLLM(), mode="absolute", rubric="creativity")
    with pytest.raises(ValidationError, match="do not follow the rubric format"):
        PrometheusEval(llm=ScriptedLLM(), mode="absolute", rubric="bad", rubrics={"bad": "Score 1: only one line"})
    with pytest.raises(ValidationError, match="non-empty dict"):
        PrometheusEval(llm=ScriptedLLM(), mode="absolute", rubric="x", rubrics={})


@pytest.mark.parametrize(
    ("answer", "feedback", "result"),
    [
        ("Feedback: Good. [RESULT] 4", "Good.", 4),
        ("Good enough. [RESULT] (2)", "Good enough.", 2),
        ("Feedback: ok\n[RESULT] 1.", "ok", 1),
        ("Feedback: off the scale [RESULT] 6", None, None),
        ("Feedback: no number [RESULT] great", None, None),
        ("Feedback: no marker, score 5", None, None),
        ("Feedback: two [RESULT] 3 [RESULT] 4", None, None),
        ("Feedback: trailing [RESULT] 4 because it is good", None, None),
    ],
)
def test_absolute_result_parsing(answer: str, feedback: Optional[str], result: Any) -> None:
    task = PrometheusEval(llm=ScriptedLLM(answers=[answer]), mode="absolute", rubric="honesty")
    [out] = run(task, [{"instruction": "i", "generation": "g"}])
    assert (out["feedback"], out["result"]) == (feedback, result)
    assert out["distilabel_metadata"][f"raw_output_{task.name}"] == answer


@pytest.mark.parametrize(
    ("answer", "result"),
    [("Feedback: x [RESULT] A", "A"), ("Feedback: x [RESULT] (B)", "B"), ("Feedback: x [RESULT] Response A", "A"),
     ("Feedback: x [RESULT] C", None), ("Feedback: x [RESULT] 5", None), ("Feedback: x [RESULT] A and B", None)],
)
def test_relative_result_parsing(answer: str, result: Optional[str]) -> None:
    task = PrometheusEval(llm=ScriptedLLM(answers=[answer]), mode="relative", rubric="helpfulness")
    [out] = run(task, [{"instruction": "i", "generations": ["a", "b"]}])
    assert out["result"] == result
    assert out["feedback"] == ("x" if result else None)


def test_failed_generation_gives_none() -> None:
    task = PrometheusEval(llm=ScriptedLLM(answers=[None]), mode="absolute", rubric="honesty")
    [out] = run(task, [{"instruction": "i", "generation": "g"}])
    assert (out["feedback"], out["result"]) == (None, None)


def test_bad_inputs_fail_their_row_with_a_clear_error() -> None:
    task = PrometheusEval(llm=ScriptedLLM(answers=["Feedback: y [RESULT] A"]), mode="relative", rubric="honesty")
    three, good = run(task, [{"instruction": "i", "generations": ["a", "b", "c"]}, {"instruction": "i", "generations": ["a", "b"]}])
    assert three["result"] is None and "exactly 2 texts" in three["distilabel_metadata"][f"error_{task.name}"]
    assert good["result"] == "A"
    absolute = PrometheusEval(llm=ScriptedLLM(), mode="absolute", rubric="honesty")
    [out] = run(absolute, [{"instruction": "i", "generation": ["not", "a string"]}])
    assert out["result"] is None and "needs `generation` to be a string" in out["distilabel_metadata"][f"error_{absolute.name}"]


def test_dump_and_from_dict_round_trip() -> None:
    task = PrometheusEval(llm=ScriptedLLM(), mode="relative", rubric="plain", rubrics={"plain": CUSTOM_RUBRIC}, reference=True)
    dumped = task.dump()
    assert (dumped["mode"], dumped["rubric"], dumped["reference"]) == ("relative", "plain", True)
    assert dumped["rubrics"] == {"plain": CUSTOM_RUBRIC}
    again = PrometheusEval.from_dict(dumped, allowed_modules=[ScriptedLLM.__module__])
    assert (again.mode, again.rubric, again.reference, again.rubrics) == ("relative", "plain", True, {"plain": CUSTOM_RUBRIC})
    assert again.inputs == ["instruction", "generations", "reference"]
