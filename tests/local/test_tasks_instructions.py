"""The instruction tasks end to end in a Pipeline on the embedded SmolLM2 (2 rows each).

The small model's answers need not parse; each test checks that the run finishes,
produces the task's columns, and counts how many rows parsed (printed as ``PARSED``,
shown with ``pytest -s``).
"""

from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import pytest

from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import (
    EvolComplexity,
    EvolComplexityGenerator,
    EvolInstruct,
    EvolInstructGenerator,
    EvolQuality,
    Magpie,
    MagpieGenerator,
    SelfInstruct,
    task,
)
from tests.local.conftest import LLAMA_CPP_MISSING

pytest.importorskip("llama_cpp", reason=LLAMA_CPP_MISSING)

CHATML_USER = "<|im_start|>user\n"  # SmolLM2's chat template is ChatML
GENERATION = {"max_new_tokens": 48, "temperature": 0.7}


@pytest.fixture(scope="module")
def smol(smollm2_path: str) -> Any:
    """One LlamaCppLLM for the module; each pipeline loads and unloads it (0.1 s)."""
    from distilabel.models.llms import LlamaCppLLM

    return LlamaCppLLM(n_ctx=1024, seed=11, magpie_pre_query_template=CHATML_USER, generation_kwargs=GENERATION)


def run_one(tmp_path: Path, make_step: Any, data: Optional[List[Dict[str, Any]]] = None) -> Any:
    """Run ``[LoadDataFromDicts(data) >>] step`` and return the step's rows."""
    with Pipeline(name="instructions", cache_dir=tmp_path) as pipeline:
        step = make_step()
        if data is not None:
            LoadDataFromDicts(data=data) >> step
    return pipeline.run(use_cache=False)["default"]["train"]


def report(name: str, parsed: int, total: int) -> None:
    print(f"PARSED {name}: {parsed}/{total}")


def is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def test_magpie_generator(tmp_path: Path, smol: Any) -> None:
    train = run_one(tmp_path, lambda: MagpieGenerator(llm=smol, num_rows=2, batch_size=2))
    assert len(train) == 2
    assert {"instruction", "response", "model_name"} <= set(train.column_names)
    parsed = sum(is_text(i) and is_text(r) for i, r in zip(train["instruction"], train["response"], strict=True))
    report("MagpieGenerator", parsed, 2)
    assert parsed >= 1  # the pre-query template makes the model write user messages
    # The two rows share one prompt and the LLM a fixed seed, yet each ask is a new sample.
    assert train["instruction"][0] != train["instruction"][1]


def test_magpie_conversations(tmp_path: Path, smol: Any) -> None:
    data = [{"system_prompt": "You are a helpful gardening assistant."}, {"system_prompt": "You help people cook."}]
    train = run_one(tmp_path, lambda: Magpie(llm=smol, n_turns=2), data)
    assert len(train) == 2 and "conversation" in train.column_names
    parsed = 0
    for conversation in train["conversation"]:
        if conversation is not None:
            assert [m["role"] for m in conversation] == ["user", "assistant", "user", "assistant"]
            parsed += all(is_text(m["content"]) for m in conversation)
    report("Magpie(n_turns=2)", parsed, 2)


def test_self_instruct(tmp_path: Path, smol: Any) -> None:
    data = [{"input": "Bees make honey from the nectar of flowers."}, {"input": "Trains run on steel rails."}]
    train = run_one(tmp_path, lambda: SelfInstruct(llm=smol, num_instructions=3), data)
    assert {"instructions", "model_name"} <= set(train.column_names)
    assert all(isinstance(lines, list) for lines in train["instructions"])
    report("SelfInstruct", sum(bool(lines) for lines in train["instructions"]), 2)


@pytest.mark.parametrize("evol", [EvolInstruct, EvolComplexity])
def test_evol_instruct_family(tmp_path: Path, smol: Any, evol: Any) -> None:
    data = [{"instruction": "Write a poem about the sea."}, {"instruction": "Explain what a noun is."}]
    train = run_one(tmp_path, lambda: evol(llm=smol, num_evolutions=1), data)
    assert {"evolved_instruction", "model_name"} <= set(train.column_names)
    report(evol.__name__, sum(is_text(v) for v in train["evolved_instruction"]), 2)


def test_evol_quality(tmp_path: Path, smol: Any) -> None:
    data = [
        {"instruction": "What colour is the sky?", "response": "Blue."},
        {"instruction": "Name a fruit.", "response": "An apple."},
    ]
    train = run_one(tmp_path, lambda: EvolQuality(llm=smol, num_evolutions=1), data)
    assert {"evolved_response", "model_name"} <= set(train.column_names)
    report("EvolQuality", sum(is_text(v) for v in train["evolved_response"]), 2)


@pytest.mark.parametrize("generator", [EvolInstructGenerator, EvolComplexityGenerator])
def test_evol_generators(tmp_path: Path, smol: Any, generator: Any) -> None:
    train = run_one(tmp_path, lambda: generator(llm=smol, num_instructions=2, min_length=16, max_length=4096))
    assert {"instruction", "model_name"} <= set(train.column_names)
    assert all(16 <= len(text.encode()) <= 4096 for text in train["instruction"])
    report(generator.__name__, len(train), 2)
    assert len(train) == 2


@task(inputs=["topic"], outputs=["title"])
def TitleFor(output: Union[str, None], input: Union[Dict[str, Any], None] = None) -> Dict[str, Any]:
    """Suggest a title.

    ---
    system_prompt: You suggest short titles.
    user_message_template: Suggest a title for an article about {topic}. Answer with the title only.
    ---
    """
    return {"title": output.strip().strip('"') if output else None}


def test_task_decorator_on_smollm2(tmp_path: Path, smol: Any) -> None:
    train = run_one(tmp_path, lambda: TitleFor(llm=smol), [{"topic": "volcanoes"}, {"topic": "chess"}])
    assert "title" in train.column_names
    report("@task TitleFor", sum(is_text(t) for t in train["title"]), 2)
