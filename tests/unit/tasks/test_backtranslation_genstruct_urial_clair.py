"""InstructionBacktranslation, Genstruct, URIAL and CLAIR: prompts, parsing, failures, dumps."""

from typing import List, Optional, Tuple

import pytest

from distilabel.steps.tasks import CLAIR, URIAL, Genstruct, InstructionBacktranslation
from distilabel.steps.tasks.base import Task
from tests.unit.tasks import fakes


class ScriptedLLM(fakes.ScriptedLLM):
    answers: List[Optional[str]] = ["ok"]
    usage: Tuple[int, int] = (9, 4)


def run(task: Task, rows: List[dict]) -> List[dict]:
    task.load()
    return next(task.process(rows))


# --- InstructionBacktranslation ------------------------------------------------------------------


def test_backtranslation_prompt_and_score_parsing() -> None:
    llm = ScriptedLLM(answers=["The answer is correct and direct, but terse.\nScore: 4"])
    task = InstructionBacktranslation(llm=llm)
    [row] = run(task, [{"instruction": "Name a prime number.", "generation": "7"}])
    assert task.outputs == ["score", "reason", "model_name"]
    assert (row["score"], row["reason"]) == (4, "The answer is correct and direct, but terse.")
    assert row["model_name"] == "scripted"
    [message] = llm._sent[0]
    assert message["role"] == "user"
    assert "## Instruction\nName a prime number." in message["content"]
    assert "## Answer\n7" in message["content"]
    assert '"Score: <rating>"' in message["content"]


def test_backtranslation_reads_the_first_score() -> None:
    llm = ScriptedLLM(answers=["Reasoning: helpful.\nScore: 5\n\nScore: 2"])
    [row] = run(InstructionBacktranslation(llm=llm), [{"instruction": "q", "generation": "a"}])
    assert (row["score"], row["reason"]) == (5, "Reasoning: helpful.")


@pytest.mark.parametrize(
    "answer", ["It is a fine answer, I would give it five.", "Score: high", None]
)
def test_backtranslation_without_a_score_gives_none(answer: Optional[str]) -> None:
    [row] = run(
        InstructionBacktranslation(llm=ScriptedLLM(answers=[answer])),
        [{"instruction": "q", "generation": "a"}],
    )
    assert (row["score"], row["reason"]) == (None, None)
    assert row["distilabel_metadata"]["raw_output_instruction_backtranslation_0"] == answer


# --- Genstruct ----------------------------------------------------------------------------------


def test_genstruct_prompt_and_user_assistant_parsing() -> None:
    llm = ScriptedLLM(
        answers=["Why do leaves look green?\n[[[Assistant]]] Chlorophyll reflects green light.\n"]
    )
    task = Genstruct(llm=llm)
    [row] = run(
        task, [{"title": "  Photosynthesis ", "content": "Plants turn light into sugar.\n"}]
    )
    assert task.outputs == ["user", "assistant", "model_name"]
    assert (row["user"], row["assistant"]) == (
        "Why do leaves look green?",
        "Chlorophyll reflects green light.",
    )
    prompt = llm._sent[0][0]["content"]
    assert prompt.startswith(
        "[[[Title]]] Photosynthesis\n[[[Content]]] Plants turn light into sugar.\n\n"
    )
    assert prompt.endswith("\n\n[[[User]]] ")


@pytest.mark.parametrize(
    "answer",
    ["Just a question with no answer?", "[[[Assistant]]] an answer with no question", None],
)
def test_genstruct_without_both_turns_gives_none(answer: Optional[str]) -> None:
    [row] = run(Genstruct(llm=ScriptedLLM(answers=[answer])), [{"title": "t", "content": "c"}])
    assert (row["user"], row["assistant"]) == (None, None)
    assert row["distilabel_metadata"]["raw_output_genstruct_0"] == answer


# --- URIAL --------------------------------------------------------------------------------------


def test_urial_instruction_prompt_and_cut_at_the_next_user_turn() -> None:
    llm = ScriptedLLM(answers=["\n\nParis is the capital of France.\n\n# User:\n\nAnd of Spain?"])
    task = URIAL(llm=llm)
    [row] = run(task, [{"instruction": "What is the capital of France?"}])
    assert task.get_inputs() == {"instruction": False, "conversation": False}
    assert row["generation"] == "Paris is the capital of France."
    [message] = llm._sent[0]
    assert message["role"] == "user"
    assert message["content"].startswith("# Instruction\n")
    assert message["content"].endswith("# User:\n\nWhat is the capital of France?\n\n# Assistant:")


def test_urial_conversation_prompt() -> None:
    llm = ScriptedLLM(answers=["It is 6."])
    conversation = [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4."},
        {"role": "user", "content": "And 3+3?"},
    ]
    [row] = run(URIAL(llm=llm), [{"conversation": conversation}])
    assert row["generation"] == "It is 6."
    prompt = llm._sent[0][0]["content"]
    assert prompt.endswith(
        "# User:\n\nWhat is 2+2?\n\n# Assistant:\n\n4.\n\n# User:\n\nAnd 3+3?\n\n# Assistant:"
    )


def test_urial_bad_rows_fail_alone_with_a_reason() -> None:
    rows = run(
        URIAL(llm=ScriptedLLM(answers=["fine"])),
        [
            {
                "conversation": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "hello"},
                ]
            },
            {"conversation": None},
            {"instruction": "hi"},
        ],
    )
    errors = [r["distilabel_metadata"].get("error_u_r_i_a_l_0") for r in rows]  # URIAL's default name, as distilabel 1.5 makes it
    assert "last message must be from the user" in errors[0]
    assert "needs an 'instruction' or a 'conversation'" in errors[1]
    assert [r["generation"] for r in rows] == [None, None, "fine"]


def test_urial_failed_generation_gives_none() -> None:
    [row] = run(URIAL(llm=ScriptedLLM(answers=[None])), [{"instruction": "hi"}])
    assert row["generation"] is None


# --- CLAIR --------------------------------------------------------------------------------------

CLAIR_ROW = {"task": "How far is the Moon?", "student_solution": "About 38,000 km."}


def test_clair_prompt_and_identifier_parsing() -> None:
    answer = (
        "{teacher_reasoning}: The distance is off by a factor of ten.\n\n"
        "{corrected_student_solution}: About 384,400 km."
    )
    llm = ScriptedLLM(answers=[answer])
    task = CLAIR(llm=llm)
    [row] = run(task, [CLAIR_ROW])
    assert task.outputs == ["revision", "rational", "model_name"]
    assert row["revision"] == "About 384,400 km."
    assert row["rational"] == "The distance is off by a factor of ten."
    system, user = llm._sent[0]
    assert system == {"role": "system", "content": task.system_prompt}
    assert "{corrected_student_solution}" in task.system_prompt
    assert user["content"].startswith(
        "{task}: How far is the Moon?\n\n{student_solution}: About 38,000 km.\n\n"
    )
    assert "{teacher_reasoning}" in user["content"]


@pytest.mark.parametrize(
    "answer, expected",
    [
        (
            "**Teacher Reasoning:** Too small.\n\n**Corrected Student Solution:** About 384,400 km.",
            ("About 384,400 km.", "Too small."),
        ),
        (
            "Too small.\n{corrected_student_solution}\nAbout 384,400 km.",
            ("About 384,400 km.", "Too small."),
        ),
        (
            "{teacher_reasoning} Make it wrong.\n{worsened_student_solution}: About 3 km.",
            ("About 3 km.", "Make it wrong."),
        ),
    ],
)
def test_clair_other_markers(answer: str, expected: tuple) -> None:
    [row] = run(CLAIR(llm=ScriptedLLM(answers=[answer])), [CLAIR_ROW])
    assert (row["revision"], row["rational"]) == expected


@pytest.mark.parametrize(
    "answer", ["The student is right.", "{corrected_student_solution}:   ", None]
)
def test_clair_without_a_revision_gives_none(answer: Optional[str]) -> None:
    task = CLAIR(llm=ScriptedLLM(answers=[answer]))
    [row] = run(task, [CLAIR_ROW])
    assert (row["revision"], row["rational"]) == (None, None)
    assert row["distilabel_metadata"][f"raw_output_{task.name}"] == answer


def test_clair_custom_system_prompt() -> None:
    llm = ScriptedLLM()
    run(CLAIR(llm=llm, system_prompt="Be a strict teacher."), [CLAIR_ROW])
    assert llm._sent[0][0] == {"role": "system", "content": "Be a strict teacher."}


# --- dumps ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task_class, row",
    [
        (InstructionBacktranslation, {"instruction": "q", "generation": "a"}),
        (Genstruct, {"title": "t", "content": "c"}),
        (URIAL, {"instruction": "q"}),
        (CLAIR, CLAIR_ROW),
    ],
)
def test_dump_and_load_round_trip(task_class: type, row: dict) -> None:
    task = task_class(name="t", llm=ScriptedLLM(answers=["x"]), add_raw_input=False)
    dump = task.dump()
    assert dump["type_info"]["name"] == task_class.__name__
    loaded = task_class.from_dict(dump, allowed_modules=[ScriptedLLM.__module__])
    assert type(loaded) is task_class
    assert loaded.dump() == dump
    assert loaded.add_raw_input is False
    assert loaded.format_input(row) == task.format_input(row)
