"""APIGen tasks: APIGenGenerator, APIGenSemanticChecker, APIGenExecutionChecker and their utils."""

import json
import textwrap
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import APIGenExecutionChecker, APIGenGenerator, APIGenSemanticChecker
from distilabel.steps.tasks.apigen.utils import (
    PrepareExamples,
    execute_from_response,
    load_module_from_path,
    remove_fences,
    remove_json_fences,
    run_function_with_timeout,
)
from tests.unit.tasks import fakes


class ScriptedLLM(fakes.ScriptedLLM):
    answers: List[Optional[str]] = ["ok"]
    usage: Tuple[int, int] = (10, 5)


def run(task: Any, rows: List[dict]) -> List[dict]:
    task.load()
    try:
        return next(task.process(rows))
    finally:
        task.unload()


GEN_ROW = {
    "examples": '## Query:\nAdd 2 and 3.\n## Answers:\n[{"name": "add", "arguments": {"a": 2, "b": 3}}]',
    "func_name": "final_velocity",
    "func_desc": "Final velocity from the initial velocity, the acceleration and the time.",
}
GOOD_PAIRS = [
    {
        "query": "A cart starts at 0.2 m/s and speeds up at 0.1 m/s^2 for 0.5 s. How fast is it going?",
        "answers": [
            {
                "name": "final_velocity",
                "arguments": {"initial_velocity": 0.2, "acceleration": 0.1, "time": 0.5},
            }
        ],
    },
    {"query": "Second pair", "answers": [{"name": "final_velocity", "arguments": {}}]},
]


# --- APIGenGenerator ---------------------------------------------------------------------------------


def test_generator_parses_the_first_pair_of_a_fenced_list() -> None:
    llm = ScriptedLLM(answers=["```json\n" + json.dumps(GOOD_PAIRS) + "\n```"])
    task = APIGenGenerator(llm=llm, number=2)
    [row] = run(task, [dict(GEN_ROW)])
    assert task.get_outputs() == {"query": True, "answers": True, "model_name": True}
    assert row["query"] == GOOD_PAIRS[0]["query"]
    assert json.loads(row["answers"]) == GOOD_PAIRS[0]["answers"]
    assert row["model_name"] == "scripted"
    assert row["func_name"] == "final_velocity"
    meta = row["distilabel_metadata"]
    assert meta[f"raw_output_{task.name}"].startswith("```json")
    system, user = meta[f"raw_input_{task.name}"]
    assert system["role"] == "system" and "function-calling" in system["content"]
    assert (
        "`final_velocity`" in user["content"]
        and "Write 2 new query and answer pairs" in user["content"]
    )
    assert "parallel calls" in user["content"]  # more than one pair invites parallel queries
    assert '"answers": [' in user["content"]  # the JSON format the parser reads


def test_generator_malformed_answer_keeps_raw_output_and_fills_failure_values() -> None:
    llm = ScriptedLLM(
        answers=["Sure! Here are some queries: none", '[{"query": "no answers key"}]', None]
    )
    task = APIGenGenerator(llm=llm, number=3)
    rows = run(task, [dict(GEN_ROW), dict(GEN_ROW), dict(GEN_ROW)])
    for row in rows:
        # distilabel 1.5's failure values: no query, a JSON list of nulls, one per pair asked for.
        assert row["query"] is None
        assert row["answers"] == "[null, null, null]"
    assert (
        rows[0]["distilabel_metadata"][f"raw_output_{task.name}"]
        == "Sure! Here are some queries: none"
    )
    assert rows[2]["distilabel_metadata"][f"raw_output_{task.name}"] is None


def test_generator_structured_output_sends_the_schema_and_reads_pairs() -> None:
    llm = ScriptedLLM(answers=[json.dumps({"pairs": GOOD_PAIRS})])
    task = APIGenGenerator(llm=llm, use_default_structured_output=True)
    [row] = run(task, [dict(GEN_ROW)])
    chat, schema = llm._sent[0]
    assert schema == task.get_structured_output()
    assert schema["required"] == ["pairs"]
    assert schema["$defs"]["QueryAnswer"]["properties"]["answers"]["type"] == "array"
    assert '"pairs"' in chat[1]["content"]
    assert row["query"] == GOOD_PAIRS[0]["query"]
    assert json.loads(row["answers"]) == GOOD_PAIRS[0]["answers"]


def test_generator_number_choices_are_reproducible_per_row() -> None:
    task = APIGenGenerator(llm=ScriptedLLM(), number=[1, 2, 3, 4, 5])
    rows = [{**GEN_ROW, "func_name": f"f{i}"} for i in range(30)]
    first = [task.number_for(r) for r in rows]
    again = [APIGenGenerator(llm=ScriptedLLM(), number=[1, 2, 3, 4, 5]).number_for(r) for r in rows]
    assert first == again
    assert set(first) <= {1, 2, 3, 4, 5} and len(set(first)) > 1
    weighted = APIGenGenerator(llm=ScriptedLLM(), number={1: 0.0, 4: 1.0})
    assert {weighted.number_for(r) for r in rows} == {4}
    for bad in (0, [], {2: 0.0}):
        with pytest.raises(ValueError, match="number"):
            APIGenGenerator(llm=ScriptedLLM(), number=bad)


def test_generator_adds_tools_only_when_asked() -> None:
    row = {**GEN_ROW, "tools": '[{"name": "final_velocity", "parameters": {"time": "float"}}]'}
    with_tools = APIGenGenerator(llm=ScriptedLLM()).format_input(row)[1]["content"]
    without = APIGenGenerator(llm=ScriptedLLM(), use_tools=False).format_input(row)[1]["content"]
    assert '"parameters": {"time": "float"}' in with_tools
    assert "parameters" not in without
    assert "parallel" not in without  # number=1: no parallel queries


def test_generator_missing_column_fails_only_the_row() -> None:
    task = APIGenGenerator(llm=ScriptedLLM(answers=[json.dumps(GOOD_PAIRS)]))
    rows = run(task, [{"examples": "x", "func_name": "f"}, dict(GEN_ROW)])
    assert rows[0]["query"] is None
    assert "func_desc" in str(rows[0]["distilabel_metadata"][f"error_{task.name}"])
    assert rows[1]["query"] == GOOD_PAIRS[0]["query"]


# --- APIGenSemanticChecker -------------------------------------------------------------------------------

CHECK_ROW = {
    "func_desc": "Information about a cat breed.",
    "query": "Tell me about Maine Coons.",
    "answers": '[{"name": "get_breed_information", "arguments": {"breed": "Maine Coon"}}]',
    "execution_result": ["The Maine Coon is a large breed."],
    "keep_row_after_execution_check": True,
}


def test_semantic_checker_reads_passes_and_thought() -> None:
    llm = ScriptedLLM(
        answers=[
            '```\n{"thought": "", "passes": "Yes"}\n```',
            '{"thought": "Wrong breed.", "passes": "no"}',
        ]
    )
    task = APIGenSemanticChecker(llm=llm)
    rows = run(task, [dict(CHECK_ROW), dict(CHECK_ROW)])
    assert task.get_outputs() == {"keep_row_after_semantic_check": True, "thought": True}
    assert (rows[0]["keep_row_after_semantic_check"], rows[0]["thought"]) == (True, "")
    assert (rows[1]["keep_row_after_semantic_check"], rows[1]["thought"]) == (False, "Wrong breed.")
    prompt = llm._sent[0][1]["content"]
    assert "Tell me about Maine Coons." in prompt and "get_breed_information" in prompt
    assert "The Maine Coon is a large breed." in prompt and '"passes": "yes" or "no"' in prompt


def test_semantic_checker_malformed_answer_gives_none() -> None:
    llm = ScriptedLLM(answers=["I think it passes.", '{"thought": "hmm"}', '{"passes": "maybe"}'])
    task = APIGenSemanticChecker(llm=llm)
    rows = run(task, [dict(CHECK_ROW)] * 3)
    for row in rows:
        assert row["keep_row_after_semantic_check"] is None and row["thought"] is None
    assert rows[0]["distilabel_metadata"][f"raw_output_{task.name}"] == "I think it passes."


def test_semantic_checker_structured_output() -> None:
    llm = ScriptedLLM(answers=['{"thought": "fine", "passes": "yes"}'])
    task = APIGenSemanticChecker(llm=llm, use_default_structured_output=True)
    [row] = run(task, [dict(CHECK_ROW)])
    chat, schema = llm._sent[0]
    assert schema["properties"]["passes"]["enum"] == ["yes", "no"]
    assert '"passes": "yes" or "no"' not in chat[1]["content"]
    assert row["keep_row_after_semantic_check"] is True


# --- APIGenExecutionChecker ---------------------------------------------------------------------------------

LIBRARY = textwrap.dedent(
    """
    import os
    import time
    from math import sqrt

    def final_velocity(initial_velocity: float, acceleration: float, time: float) -> float:
        return initial_velocity + acceleration * time

    def count_items(items: list) -> int:
        return len(items)

    def noisy() -> str:
        print("this must not reach the protocol")
        return "quiet"

    def sleepy() -> None:
        time.sleep(30)

    def crash() -> None:
        os._exit(3)

    def shell() -> None:
        os.system("echo hi")

    def _private() -> int:
        return 1
    """
)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "tools.py"
    path.write_text(LIBRARY)
    return path


def call(name: str, **arguments: Any) -> dict:
    return {"name": name, "arguments": arguments}


def test_execution_checker_runs_calls_and_reports_each_result(library: Path) -> None:
    task = APIGenExecutionChecker(libpath=str(library))
    assert task.get_inputs() == {"answers": True}
    assert task.get_outputs() == {"keep_row_after_execution_check": True, "execution_result": True}
    good = json.dumps(
        [call("final_velocity", initial_velocity=0.2, acceleration=0.1, time=0.5)] * 2
    )
    quoted = json.dumps([call("count_items", items="[1, 2, 3]"), call("noisy")])
    missing = json.dumps([call("final_velocity", initial_velocity=0.2, acceleration=0.1)])
    unknown = json.dumps(
        [call("final_velocity", initial_velocity=1, acceleration=1, time=1), call("warp_drive")]
    )
    rows = run(
        task, [{"answers": good}, {"answers": quoted}, {"answers": missing}, {"answers": unknown}]
    )
    assert [(r["keep_row_after_execution_check"], r["execution_result"]) for r in rows] == [
        (True, ["0.25", "0.25"]),
        (True, ["3", "quiet"]),
        (False, ["final_velocity() missing 1 required positional argument: 'time'"]),
        (False, ["2", "Function 'warp_drive' not found."]),
    ]


def test_execution_checker_only_calls_functions_the_library_defines(library: Path) -> None:
    task = APIGenExecutionChecker(libpath=str(library))
    answers = [call("sqrt"), call("os"), call("_private"), call("__import__"), call("shell"), None]
    [row] = run(task, [{"answers": json.dumps(answers)}])
    assert row["keep_row_after_execution_check"] is False
    assert row["execution_result"][:4] == [
        "Function 'sqrt' not found.",
        "Function 'os' not found.",
        "Function '_private' not found.",
        "Function '__import__' not found.",
    ]
    assert (
        "'shell' was not run" in row["execution_result"][4]
        and "os.system" in row["execution_result"][4]
    )
    assert row["execution_result"][5] == "Nothing was generated for this answer."


def test_execution_checker_timeout_and_crash_cost_one_call(library: Path) -> None:
    task = APIGenExecutionChecker(libpath=str(library), timeout=0.5, check_is_dangerous=False)
    ok = call("count_items", items=[1])
    [row] = run(task, [{"answers": json.dumps([call("sleepy"), ok, call("crash"), ok])}])
    results = row["execution_result"]
    assert results[0].startswith("Function execution timed out")
    assert results[1] == "1"
    assert results[2] == "The process running 'crash' exited with code 3"
    assert results[3] == "1"
    assert row["keep_row_after_execution_check"] is False


def test_execution_checker_without_usable_answers(library: Path) -> None:
    task = APIGenExecutionChecker(libpath=str(library))
    rows = run(
        task, [{"answers": None}, {"answers": "[null]"}, {"answers": "not json"}, {"answers": "[]"}]
    )
    assert [r["keep_row_after_execution_check"] for r in rows] == [False] * 4
    assert rows[0]["execution_result"] == ["No answers were provided."]
    assert rows[1]["execution_result"] == ["Nothing was generated for this answer."]
    assert rows[2]["execution_result"][0].startswith("The answers are not valid JSON")
    assert rows[3]["execution_result"] == ["No answers were provided."]


def test_execution_checker_folder_of_functions(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "double.py").write_text("def double(x):\n    return 2 * x\n")
    (folder / "other.py").write_text("def not_other(x):\n    return x\n")
    (tmp_path / "secret.py").write_text("def secret():\n    return 'leaked'\n")
    task = APIGenExecutionChecker(libpath=str(folder))
    answers = [call("double", x="21"), call("other", x=1), call("../secret"), call("secret")]
    [row] = run(task, [{"answers": answers}])
    assert row["execution_result"] == [
        "42",
        "Function 'other' not found.",
        "Function '../secret' not found.",
        "Function 'secret' not found.",
    ]


def test_execution_checker_bad_libpath_fails_at_load(tmp_path: Path) -> None:
    with pytest.raises(DistilabelUserError, match="must be a .py file or a folder"):
        APIGenExecutionChecker(libpath=str(tmp_path / "missing.py")).load()
    broken = tmp_path / "broken.py"
    broken.write_text("def oops(:\n")
    with pytest.raises(DistilabelUserError, match="SyntaxError"):
        APIGenExecutionChecker(libpath=str(broken)).load()


def test_execution_checker_in_a_pipeline(tmp_path: Path, library: Path) -> None:
    with Pipeline(name="apigen-exec", cache_dir=tmp_path / "cache") as pipeline:
        load = LoadDataFromDicts(
            data=[
                {"answers": json.dumps([call("count_items", items=[1, 2])])},
                {"answers": json.dumps([call("warp_drive")])},
            ]
        )
        check = APIGenExecutionChecker(libpath=str(library))
        load >> check
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["keep_row_after_execution_check"] == [True, False]
    assert train["execution_result"] == [["2"], ["Function 'warp_drive' not found."]]


# --- round trips -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: APIGenGenerator(llm=ScriptedLLM(), number={1: 0.5, 2: 0.5}, use_tools=False),
        lambda lib: APIGenSemanticChecker(llm=ScriptedLLM(), use_default_structured_output=True),
        lambda lib: APIGenExecutionChecker(libpath=str(lib), check_is_dangerous=False, timeout=2.0),
    ],
)
def test_dump_and_load_round_trip(make: Callable[[Path], Any], library: Path) -> None:
    task = make(library)
    data = task.dump()
    assert data["type_info"]["name"] == type(task).__name__
    again = type(task).from_dict(data, allowed_modules=[__name__])
    assert again.dump() == data


# --- utils ---------------------------------------------------------------------------------------------------------


def test_prepare_examples() -> None:
    step = PrepareExamples()
    [row] = run(step, [{"query": ["Q1", "Q2"], "answers": ["[A1]", "[A2]"], "func_name": "f"}])
    assert row["examples"] == "## Query:\nQ1\n## Answers:\n[A1]\n\n## Query:\nQ2\n## Answers:\n[A2]"
    assert row["func_name"] == "f"
    with pytest.raises(DistilabelUserError, match="pair up"):
        run(PrepareExamples(), [{"query": ["Q1"], "answers": []}])


def test_load_module_and_execute_from_response(library: Path) -> None:
    module = load_module_from_path(library)
    assert execute_from_response(
        module.final_velocity, {"initial_velocity": "1", "acceleration": 2, "time": 3}
    ) == {
        "keep": True,
        "execution_result": "7",
    }
    assert execute_from_response(None, {}) == {
        "keep": False,
        "execution_result": "Function not found",
    }
    assert execute_from_response(module.count_items, {"items": 5})["keep"] is False
    with pytest.raises(FileNotFoundError):
        load_module_from_path(library.with_name("nope.py"))


def test_run_function_with_timeout() -> None:
    import time

    assert run_function_with_timeout(lambda a, b: a + b, 2, 1, 2) == 3
    with pytest.raises(TimeoutError, match="timed out"):
        run_function_with_timeout(time.sleep, 1, 5)


def test_remove_fences() -> None:
    assert remove_fences('```\n{"a": 1}\n```') == '{"a": 1}'
    assert remove_fences("```json\n[1]\n```") == "[1]"
    assert remove_fences("plain") == "plain"
    assert remove_json_fences("```json\n[1]\n```") == "[1]"
    assert remove_json_fences("```\n[1]\n```") == "```\n[1]\n```"
