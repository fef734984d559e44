"""APIGen, Math-Shepherd and embedding-data tasks end to end on the embedded SmolLM2.

Each task runs once in a Pipeline on two rows (generator tasks: two generations),
with at most 48 new tokens, on one LlamaCppLLM shared by the module. The 135M model
with so few tokens rarely completes these JSON and step formats, so output columns
may be ``None``: the tests check that each run finishes with the task's columns and
its raw outputs, and print how many answers parsed (``PARSED name: n/m``).
"""

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from distilabel.pipeline import Pipeline
from distilabel.steps import ExpandColumns, LoadDataFromDicts
from distilabel.steps.tasks import (
    APIGenExecutionChecker,
    APIGenGenerator,
    APIGenSemanticChecker,
    BitextRetrievalGenerator,
    EmbeddingTaskGenerator,
    FormatPRM,
    GenerateLongTextMatchingData,
    GenerateShortTextMatchingData,
    GenerateTextClassificationData,
    GenerateTextRetrievalData,
    MathShepherdCompleter,
    MathShepherdGenerator,
    MonolingualTripletGenerator,
)
from tests.local.conftest import LLAMA_CPP_MISSING

pytest.importorskip("llama_cpp", reason=LLAMA_CPP_MISSING)

GENERATION_KWARGS = {"max_new_tokens": 48, "temperature": 0.2}


def run_pipeline(tmp_path: Path, steps: List[Any], llm_tasks: List[Any]) -> Dict[str, list]:
    """Run a pipeline already built from ``steps`` (first to last); the last step's rows, as columns."""
    pipeline = steps[0].pipeline
    parameters = {
        task.name: {"llm": {"generation_kwargs": GENERATION_KWARGS}} for task in llm_tasks
    }
    distiset = pipeline.run(use_cache=False, parameters=parameters)
    train = distiset["default"]["train"]
    for step in steps[1:] if isinstance(steps[0], LoadDataFromDicts) else steps:
        for column in step.get_outputs():
            assert column in train.column_names, (step.name, column)
    for task in llm_tasks:
        assert set(train["model_name"]) == {task.llm.model_name}
        for metadata in train["distilabel_metadata"]:
            assert f"raw_output_{task.name}" in metadata
    return train.to_dict()


def report(name: str, values: List[Any]) -> int:
    parsed = sum(v is not None for v in values)
    print(f"PARSED {name}: {parsed}/{len(values)}")
    return parsed


def pipeline(tmp_path: Path) -> Pipeline:
    return Pipeline(name="tasks-apigen-math-embeddings", cache_dir=tmp_path, enable_metadata=True)


# --- APIGen -------------------------------------------------------------------------------------------------

TOOLS = '''
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())
'''

APIGEN_ROWS = [
    {
        "examples": '## Query:\nWhat is 7 plus 5?\n## Answers:\n[{"name": "add", "arguments": {"a": 7, "b": 5}}]',
        "func_name": "add",
        "func_desc": "Add two numbers a and b.",
    },
    {
        "examples": '## Query:\nHow many words in "hi there"?\n## Answers:\n[{"name": "word_count", "arguments": {"text": "hi there"}}]',
        "func_name": "word_count",
        "func_desc": "Count the words of a text.",
    },
]


def test_apigen_generator_then_execution_checker(tmp_path: Path, llamacpp_llm: Any) -> None:
    library = tmp_path / "tools.py"
    library.write_text(TOOLS)
    with pipeline(tmp_path / "cache"):
        load = LoadDataFromDicts(data=APIGEN_ROWS)
        generate = APIGenGenerator(llm=llamacpp_llm, use_default_structured_output=True)
        execute = APIGenExecutionChecker(libpath=str(library))
        load >> generate >> execute
    columns = run_pipeline(tmp_path, [load, generate, execute], [generate])
    assert len(columns["query"]) == 2
    report("APIGenGenerator", columns["query"])
    for query, answers, keep, results in zip(
        columns["query"],
        columns["answers"],
        columns["keep_row_after_execution_check"],
        columns["execution_result"],
        strict=True,
    ):
        calls = json.loads(answers)
        assert isinstance(calls, list)
        if query is None:
            assert calls == [None] and keep is False
        else:
            assert len(results) == len(calls) and isinstance(keep, bool)
    print(f"PARSED APIGenExecutionChecker kept: {sum(columns['keep_row_after_execution_check'])}/2")


def test_apigen_semantic_checker(tmp_path: Path, llamacpp_llm: Any) -> None:
    rows = [
        {
            "func_desc": "add(a, b): add two numbers.",
            "query": "What is 2 plus 3?",
            "answers": '[{"name": "add", "arguments": {"a": 2, "b": 3}}]',
            "execution_result": ["5"],
            "keep_row_after_execution_check": True,
        },
        {
            "func_desc": "add(a, b): add two numbers.",
            "query": "What is the capital of France?",
            "answers": '[{"name": "add", "arguments": {"a": 1, "b": 1}}]',
            "execution_result": ["2"],
            "keep_row_after_execution_check": True,
        },
    ]
    with pipeline(tmp_path):
        load = LoadDataFromDicts(data=rows)
        check = APIGenSemanticChecker(llm=llamacpp_llm, use_default_structured_output=True)
        load >> check
    columns = run_pipeline(tmp_path, [load, check], [check])
    report("APIGenSemanticChecker", columns["keep_row_after_semantic_check"])
    assert all(v in (True, False, None) for v in columns["keep_row_after_semantic_check"])


# --- Math-Shepherd -------------------------------------------------------------------------------------------------

PROBLEMS = [
    {"instruction": "Tom has 3 bags with 4 apples each. How many apples does he have?"},
    {"instruction": "A pen costs 2 dollars. How much do 5 pens cost?"},
]


def test_math_shepherd_generator(tmp_path: Path, llamacpp_llm: Any) -> None:
    with pipeline(tmp_path):
        load = LoadDataFromDicts(data=PROBLEMS)
        generate = MathShepherdGenerator(llm=llamacpp_llm)
        load >> generate
    columns = run_pipeline(tmp_path, [load, generate], [generate])
    report("MathShepherdGenerator", columns["golden_solution"])
    for solution in columns["golden_solution"]:
        assert solution is None or all(s.startswith(("Step ", "The answer is:")) for s in solution)


def test_math_shepherd_completer_then_format_prm(tmp_path: Path, llamacpp_llm: Any) -> None:
    rows = [
        {
            **PROBLEMS[0],
            "golden_solution": ["Step 1: 3 * 4 = <<3*4=12>>12 apples.", "The answer is: 12"],
            "solutions": [
                ["Step 1: He has 3 bags.", "Step 2: 3 * 4 = <<3*4=12>>12.", "The answer is: 12"]
            ],
        },
        {
            **PROBLEMS[1],
            "golden_solution": ["Step 1: 5 * 2 = <<5*2=10>>10 dollars.", "The answer is: 10"],
            "solutions": [
                ["Step 1: One pen is 2 dollars.", "Step 2: 5 + 2 = <<5+2=7>>7.", "The answer is: 7"]
            ],
        },
    ]
    with pipeline(tmp_path):
        load = LoadDataFromDicts(data=rows)
        complete = MathShepherdCompleter(llm=llamacpp_llm)
        expand = ExpandColumns(columns=["solutions"])
        prm = FormatPRM(format="trl")
        load >> complete >> expand >> prm
    columns = run_pipeline(tmp_path, [load, complete, prm], [complete])
    solutions = columns["solutions"]
    # The last step is labelled by the solution's own answer, whatever the model wrote.
    assert solutions[0][-1].endswith("The answer is: 12 +")
    assert solutions[1][-1].endswith("The answer is: 7 -")
    first_steps = [s[0] for s in solutions]
    report("MathShepherdCompleter", [s if s.endswith((" +", " -")) else None for s in first_steps])
    assert columns["labels"][0][-1] is True and columns["labels"][1][-1] is False


# --- embedding data ----------------------------------------------------------------------------------------------------


def run_generator(tmp_path: Path, task: Any) -> Dict[str, list]:
    columns = run_pipeline(tmp_path, [task], [task])
    return columns


def test_embedding_task_generator(tmp_path: Path, llamacpp_llm: Any) -> None:
    with pipeline(tmp_path):
        task = EmbeddingTaskGenerator(
            llm=llamacpp_llm, category="text-retrieval", num_generations=2
        )
    columns = run_generator(tmp_path, task)
    assert len(columns["tasks"]) == 2
    report("EmbeddingTaskGenerator", columns["tasks"])
    assert all(t is None or all(isinstance(x, str) for x in t) for t in columns["tasks"])


TASK_ROWS = {
    GenerateTextRetrievalData: [
        "Given a cooking question, find recipes that answer it.",
        "Given a symptom, find medical articles about it.",
    ],
    GenerateShortTextMatchingData: [
        "Match a word with its definition.",
        "Match a country with its capital.",
    ],
    GenerateLongTextMatchingData: [
        "Given a news article, find another article about the same event.",
        "Given a product review, find a review of the same product.",
    ],
    GenerateTextClassificationData: [
        "Classify a movie review as positive or negative.",
        "Classify an email as spam or not spam.",
    ],
}


@pytest.mark.parametrize("cls", list(TASK_ROWS), ids=lambda c: c.__name__)
def test_embedding_example_writers(tmp_path: Path, llamacpp_llm: Any, cls: Any) -> None:
    with pipeline(tmp_path):
        load = LoadDataFromDicts(data=[{"task": t} for t in TASK_ROWS[cls]])
        task = cls(llm=llamacpp_llm, use_default_structured_output=True)
        load >> task
    columns = run_pipeline(tmp_path, [load, task], [task])
    first_key: Optional[str] = task.keys[0]
    report(cls.__name__, columns[first_key])
    for key in task.keys:
        assert all(v is None or isinstance(v, str) for v in columns[key])


@pytest.mark.parametrize(
    "make",
    [
        lambda llm: MonolingualTripletGenerator(
            llm=llm, unit="sentence", num_generations=2, use_default_structured_output=True
        ),
        lambda llm: BitextRetrievalGenerator(
            llm=llm,
            target_language="Spanish",
            unit="phrase",
            num_generations=2,
            use_default_structured_output=True,
        ),
    ],
    ids=["MonolingualTripletGenerator", "BitextRetrievalGenerator"],
)
def test_embedding_generators(tmp_path: Path, llamacpp_llm: Any, make: Any) -> None:
    with pipeline(tmp_path):
        task = make(llamacpp_llm)
    columns = run_generator(tmp_path, task)
    assert len(columns["S1"]) == 2
    report(type(task).__name__, columns["S1"])
    assert all(
        v is None or isinstance(v, str) for v in columns["S1"] + columns["S2"] + columns["S3"]
    )
