"""Math-Shepherd: MathShepherdGenerator, MathShepherdCompleter, FormatPRM and the step helpers."""

import json
from typing import Any, Callable, List, Optional

import pytest
from pydantic import PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.steps.tasks import FormatPRM, MathShepherdCompleter, MathShepherdGenerator
from distilabel.steps.tasks.math_shepherd.generator import FEW_SHOTS_MATH, RULES_MATH
from distilabel.steps.tasks.math_shepherd.utils import (
    final_answer,
    parse_json_response,
    split_solution_steps,
)


class PromptLLM(LLM):
    """Answers with ``answer(prompt_text)``; records every input it was sent."""

    # Held in a list: a function stored as an attribute would be bound as a method.
    _answer: List[Callable[[str], Optional[str]]] = PrivateAttr(
        default_factory=lambda: [lambda text: None]
    )
    _inputs: List[Any] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "prompt-llm"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for formatted in inputs:
            self._inputs.append(formatted)
            chat = formatted[0] if isinstance(formatted, tuple) else formatted
            outputs.append(
                prepare_output([self._answer[0](chat[-1]["content"])] * num_generations, [7], [3])
            )
        return outputs


def llm_answering(answer: Callable[[str], Optional[str]]) -> PromptLLM:
    llm = PromptLLM()
    llm._answer = [answer]
    return llm


def run(task: Any, rows: List[dict]) -> List[dict]:
    task.load()
    try:
        return next(task.process(rows))
    finally:
        task.unload()


PROBLEM = "Tom has 3 bags with 4 apples each and eats 2 apples. How many apples are left?"
GOLDEN_TEXT = "Step 1: He has 3 * 4 = <<3*4=12>>12 apples.\nStep 2: 12 - 2 = <<12-2=10>>10 are left. The answer is: 10"


# --- helpers ------------------------------------------------------------------------------------------


def test_split_solution_steps() -> None:
    assert split_solution_steps("Intro.\n" + GOLDEN_TEXT + "\nThanks!") == [
        "Step 1: He has 3 * 4 = <<3*4=12>>12 apples.",
        "Step 2: 12 - 2 = <<12-2=10>>10 are left.",
        "The answer is: 10",
    ]
    assert split_solution_steps("no steps here") == []


@pytest.mark.parametrize(
    "solution, expected",
    [
        (["Step 1: x", "The answer is: 10"], "10"),
        (["Step 1: x", "The answer is: $1,250.00."], "1250"),
        ("Step 1: x\nThe answer is: \\boxed{42}", "42"),
        ("Step 1: x. The answer is: 0.5", "0.5"),
        ("Janet sells 9 eggs.\n#### 18", "18"),
        (["Step 1: no answer"], None),
        (None, None),
    ],
)
def test_final_answer(solution: Any, expected: Optional[str]) -> None:
    assert final_answer(solution) == expected


def test_parse_json_response_tolerates_latex_escapes() -> None:
    # "\\(" is not a JSON escape; the LaTeX is kept as written.
    assert parse_json_response('{"solutions": [{"solution": "Step 1: $\\(x\\)$"}]}') == {
        "solutions": [{"solution": "Step 1: $\\(x\\)$"}]
    }
    assert parse_json_response('```json\n{"a": "line\nbreak"}\n```') == {"a": "line\nbreak"}
    assert parse_json_response("nothing") is None


# --- MathShepherdGenerator -------------------------------------------------------------------------------


def test_generator_golden_solution() -> None:
    llm = llm_answering(lambda text: GOLDEN_TEXT)
    task = MathShepherdGenerator(llm=llm)
    [row] = run(task, [{"instruction": PROBLEM}])
    assert task.get_outputs() == {"golden_solution": True, "model_name": True}
    assert row["golden_solution"] == [
        "Step 1: He has 3 * 4 = <<3*4=12>>12 apples.",
        "Step 2: 12 - 2 = <<12-2=10>>10 are left.",
        "The answer is: 10",
    ]
    assert row["model_name"] == "prompt-llm"
    system, user = llm._inputs[0]
    assert "<<>> brackets" in system["content"] and "# Examples:" in system["content"]
    assert "{{" not in system["content"]
    assert user["content"].strip() == PROBLEM


def test_generator_m_solutions_and_prompt() -> None:
    answer = (
        "Step 1: 3 * 4 = 12\nThe answer is: 12\n---\nStep 1: 12 - 2 = 10\nThe answer is: 10\n---\n"
    )
    llm = llm_answering(lambda text: answer)
    task = MathShepherdGenerator(llm=llm, M=2, extra_rules=RULES_MATH, few_shots=FEW_SHOTS_MATH)
    [row] = run(task, [{"instruction": PROBLEM}])
    assert task.get_outputs() == {"solutions": True, "model_name": True}
    assert row["solutions"] == [
        ["Step 1: 3 * 4 = 12", "The answer is: 12"],
        ["Step 1: 12 - 2 = 10", "The answer is: 10"],
    ]
    system, user = llm._inputs[0]
    assert "LaTeX" in system["content"] and "\\boxed{84}" in system["content"]
    assert user["content"].startswith("Write 2 different solutions") and "`---`" in user["content"]


def test_generator_structured_output() -> None:
    answer = json.dumps(
        {
            "solutions": [
                {"solution": "Step 1: a\nThe answer is: 1"},
                {"solution": "Step 1: b\nThe answer is: 2"},
            ]
        }
    )
    llm = llm_answering(lambda text: answer)
    task = MathShepherdGenerator(
        llm=llm, M=2, use_default_structured_output=True, system_prompt=None
    )
    [row] = run(task, [{"instruction": PROBLEM}])
    chat, schema = llm._inputs[0]
    assert [m["role"] for m in chat] == ["user"]  # system_prompt=None: no system message
    assert schema["required"] == ["solutions"]
    assert row["solutions"] == [
        ["Step 1: a", "The answer is: 1"],
        ["Step 1: b", "The answer is: 2"],
    ]


def test_generator_malformed_answer_gives_none() -> None:
    llm = llm_answering(lambda text: "I cannot solve this.")
    for task in (MathShepherdGenerator(llm=llm), MathShepherdGenerator(llm=llm, M=3)):
        [row] = run(task, [{"instruction": PROBLEM}])
        column = "solutions" if task.M else "golden_solution"
        assert row[column] is None
        assert row["distilabel_metadata"][f"raw_output_{task.name}"] == "I cannot solve this."


# --- MathShepherdCompleter ----------------------------------------------------------------------------------

GOLDEN = [
    "Step 1: He has 3 * 4 = <<3*4=12>>12 apples.",
    "Step 2: 12 - 2 = <<12-2=10>>10.",
    "The answer is: 10",
]
RIGHT = [
    "Step 1: 3 * 4 = <<3*4=12>>12 apples.",
    "Step 2: He eats 2.",
    "Step 3: 12 - 2 = <<12-2=10>>10.",
    "The answer is: 10",
]
WRONG = ["Step 1: 3 + 4 = <<3+4=7>>7 apples.", "Step 2: 7 - 2 = <<7-2=5>>5.", "The answer is: 5"]


def continuation(text: str) -> Optional[str]:
    """Continuations that reach 10 only from RIGHT's prefixes; two per prompt (N=2)."""
    if "3 + 4" in text:
        return "Step 2: 7 - 2 = 5\nThe answer is: 5\n---\nStep 2: 7 * 2 = 14\nThe answer is: 14"
    if "He eats 2." in text:
        return (
            "Step 3: 12 - 2 = 10\nThe answer is: 10.0\n---\nStep 3: 12 + 2 = 14\nThe answer is: 14"
        )
    return "Step 2: 12 - 3 = 9\nThe answer is: 9\n---\nStep 2: 12 - 2 = 10\nThe answer is: $10$"


def test_completer_labels_steps_by_hard_estimation() -> None:
    llm = llm_answering(continuation)
    task = MathShepherdCompleter(llm=llm, N=2)
    [row] = run(
        task, [{"instruction": PROBLEM, "golden_solution": GOLDEN, "solutions": [RIGHT, WRONG]}]
    )
    assert task.get_outputs() == {"model_name": True}
    assert row["solutions"] == [
        [
            "Step 1: 3 * 4 = <<3*4=12>>12 apples. +",
            "Step 2: He eats 2. +",
            "Step 3: 12 - 2 = <<12-2=10>>10. The answer is: 10 +",
        ],
        ["Step 1: 3 + 4 = <<3+4=7>>7 apples. -", "Step 2: 7 - 2 = <<7-2=5>>5. The answer is: 5 -"],
    ]
    # One prompt per step but the last: RIGHT has 3 steps (2 prompts), WRONG 2 (1 prompt).
    assert len(llm._inputs) == 3
    prompt = llm._inputs[1][-1]["content"]
    assert PROBLEM in prompt and "Step 1: 3 * 4" in prompt and "Step 2: He eats 2." in prompt
    assert "2 different ways" in prompt
    meta = row["distilabel_metadata"]
    assert len(meta[f"raw_input_{task.name}"]) == 3 and len(meta[f"raw_output_{task.name}"]) == 3
    assert meta[f"statistics_{task.name}"] == {
        "input_tokens": [7, 7, 7],
        "output_tokens": [3, 3, 3],
    }
    assert row["model_name"] == "prompt-llm"


def test_completer_failed_generations_leave_steps_untagged() -> None:
    llm = llm_answering(lambda text: None)
    task = MathShepherdCompleter(llm=llm, tags=["good", "bad"])
    [row] = run(task, [{"instruction": PROBLEM, "golden_solution": GOLDEN, "solutions": [RIGHT]}])
    # The continuations failed, so steps 1-2 have no label; the last is judged by its own answer.
    assert row["solutions"] == [
        [RIGHT[0], RIGHT[1], "Step 3: 12 - 2 = <<12-2=10>>10. The answer is: 10 good"]
    ]


def test_completer_golden_without_answer_and_missing_solutions() -> None:
    llm = llm_answering(continuation)
    task = MathShepherdCompleter(llm=llm, N=2)
    rows = run(
        task,
        [
            {
                "instruction": PROBLEM,
                "golden_solution": ["Step 1: no answer"],
                "solutions": [WRONG],
            },
            {
                "instruction": PROBLEM,
                "golden_solution": "He has 10 left.\n#### 10",
                "solutions": None,
            },
        ],
    )
    assert rows[0]["solutions"] == [WRONG]
    assert "no final answer" in rows[0]["distilabel_metadata"][f"error_{task.name}"][0]
    assert rows[1]["solutions"] is None
    assert llm._inputs == []
    with pytest.raises(DistilabelUserError, match="list of solutions"):
        run(task, [{"instruction": PROBLEM, "golden_solution": GOLDEN, "solutions": "Step 1: x"}])


def test_completer_structured_output() -> None:
    answer = json.dumps({"solutions": [{"solution": "Step 2: 12 - 2 = 10\nThe answer is: 10"}]})
    llm = llm_answering(lambda text: answer)
    task = MathShepherdCompleter(llm=llm, use_default_structured_output=True)
    [row] = run(task, [{"instruction": PROBLEM, "golden_solution": GOLDEN, "solutions": [WRONG]}])
    chat, schema = llm._inputs[0]
    assert schema["properties"]["solutions"]["type"] == "array"
    assert "JSON" in chat[0]["content"]
    assert row["solutions"] == [
        ["Step 1: 3 + 4 = <<3+4=7>>7 apples. +", "Step 2: 7 - 2 = <<7-2=5>>5. The answer is: 5 -"]
    ]


# --- FormatPRM --------------------------------------------------------------------------------------------

LABELLED = ["Step 1: 3 * 4 = 12. +", "Step 2: 12 - 2 = 10. The answer is: 10 -"]


def test_format_prm_math_shepherd() -> None:
    step = FormatPRM()
    assert step.get_outputs() == {"input": True, "label": True}
    [row] = run(step, [{"instruction": "Q?", "solutions": LABELLED}])
    assert row["input"] == "Q? Step 1: 3 * 4 = 12. ки\nStep 2: 12 - 2 = 10. The answer is: 10 ки"
    assert row["label"] == "Q? Step 1: 3 * 4 = 12. +\nStep 2: 12 - 2 = 10. The answer is: 10 -"


def test_format_prm_trl() -> None:
    step = FormatPRM(format="trl", step_token="<step>")
    assert step.get_outputs() == {"prompt": True, "completions": True, "labels": True}
    rows = run(
        step,
        [
            {"instruction": "Q?", "solutions": [*LABELLED, "Step 3: untagged"]},
            {"instruction": "Q?", "solutions": None},
        ],
    )
    assert rows[0]["prompt"] == "Q?"
    assert rows[0]["completions"] == [
        "Step 1: 3 * 4 = 12.",
        "Step 2: 12 - 2 = 10. The answer is: 10",
        "Step 3: untagged",
    ]
    assert rows[0]["labels"] == [True, False, False]
    assert (rows[1]["completions"], rows[1]["labels"]) == ([], [])


def test_format_prm_rejects_unexpanded_solutions_and_bad_tags() -> None:
    with pytest.raises(DistilabelUserError, match="ExpandColumns"):
        run(FormatPRM(), [{"instruction": "Q?", "solutions": [LABELLED]}])
    with pytest.raises(ValueError, match="two different"):
        FormatPRM(tags=["+"])


# --- round trips ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task",
    [
        MathShepherdGenerator(llm=PromptLLM(), M=4, extra_rules=RULES_MATH),
        MathShepherdCompleter(
            llm=PromptLLM(), N=3, tags=["good", "bad"], use_default_structured_output=True
        ),
        FormatPRM(format="trl", step_token="<s>"),
    ],
)
def test_dump_and_load_round_trip(task: Any) -> None:
    data = task.dump()
    again = type(task).from_dict(data, allowed_modules=[__name__])
    assert again.dump() == data
    assert again.model_dump() == task.model_dump()
