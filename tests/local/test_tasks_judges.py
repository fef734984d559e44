"""Judges end to end on the embedded SmolLM2: TextGeneration (2 generations, grouped) >> UltraFeedback
and PrometheusEval (relative), plus PrometheusEval (absolute) on given answers, in one Pipeline.

The 135M model often misses the judges' answer formats, so ratings and results may be
None; the tests check that the run finishes with every column in the right shape, that
whatever parsed is in range, and print how many answers parsed.
"""

from pathlib import Path
from typing import Any, Dict

import pytest

from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import PrometheusEval, TextGeneration, UltraFeedback
from tests.local.conftest import LLAMA_CPP_MISSING

pytest.importorskip("llama_cpp", reason=LLAMA_CPP_MISSING)

from distilabel.models.llms import LlamaCppLLM

DATA = [
    {"instruction": "What is the capital of France?", "response": "The capital of France is Paris."},
    {"instruction": "Give one use of water.", "response": "People drink water to stay hydrated."},
]


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """One pipeline run; every step shares one LlamaCppLLM on the embedded SmolLM2."""
    # The frequency penalty keeps the small model out of loops ("1.1.1.1...") that use up its 48 tokens.
    llm = LlamaCppLLM(
        n_ctx=1024, seed=7, generation_kwargs={"max_new_tokens": 48, "temperature": 0.2, "frequency_penalty": 0.5}
    )
    with Pipeline(name="tasks-judges", cache_dir=tmp_path_factory.mktemp("judges"), enable_metadata=True) as pipeline:
        load = LoadDataFromDicts(data=DATA)
        generate = TextGeneration(name="generate", llm=llm, num_generations=2, group_generations=True)
        ultrafeedback = UltraFeedback(
            name="ultrafeedback", llm=llm, aspect="overall-rating", input_mappings={"generations": "generation"}
        )
        # The same judge asked for JSON: llama.cpp's grammar holds the model to the schema.
        ultrafeedback_json = UltraFeedback(
            name="ultrafeedback_json",
            llm=llm,
            aspect="honesty",
            use_default_structured_output=True,
            input_mappings={"generations": "generation"},
        )
        relative = PrometheusEval(
            name="prometheus_relative",
            llm=llm,
            mode="relative",
            rubric="helpfulness",
            input_mappings={"generations": "generation"},
        )
        absolute = PrometheusEval(
            name="prometheus_absolute",
            llm=llm,
            mode="absolute",
            rubric="factual-validity",
            input_mappings={"generation": "response"},
        )
        load >> generate >> [ultrafeedback, ultrafeedback_json, relative]
        load >> absolute
    distiset = pipeline.run(use_cache=False)
    return {
        "llm": llm,
        "ultrafeedback": list(distiset["ultrafeedback"]["train"]),
        "ultrafeedback_json": list(distiset["ultrafeedback_json"]["train"]),
        "prometheus_relative": list(distiset["prometheus_relative"]["train"]),
        "prometheus_absolute": list(distiset["prometheus_absolute"]["train"]),
    }


@pytest.mark.parametrize("step", ["ultrafeedback", "ultrafeedback_json"])
def test_ultrafeedback_rates_both_generations_of_each_row(judged: Dict[str, Any], step: str) -> None:
    rows = judged[step]
    assert sorted(r["instruction"] for r in rows) == sorted(d["instruction"] for d in DATA)
    for row in rows:
        assert len(row["generation"]) == 2 and all(isinstance(g, str) and g for g in row["generation"])
        assert len(row["ratings"]) == 2 and len(row["rationales"]) == 2
        assert all(r is None or 1 <= r <= 5 for r in row["ratings"])
        assert all(r is None or isinstance(r, str) for r in row["rationales"])
        assert row["model_name"] == judged["llm"].model_name
        assert f"raw_output_{step}" in row["distilabel_metadata"]
    parsed = sum(r is not None for row in rows for r in row["ratings"])
    print(f"{step}: {parsed} of {2 * len(rows)} ratings parsed")


@pytest.mark.parametrize("step", ["prometheus_relative", "prometheus_absolute"])
def test_prometheus_results_are_none_or_in_range(judged: Dict[str, Any], step: str) -> None:
    rows = judged[step]
    assert len(rows) == len(DATA)
    allowed = {"A", "B"} if step == "prometheus_relative" else {1, 2, 3, 4, 5}
    for row in rows:
        assert row["result"] is None or row["result"] in allowed
        assert (row["feedback"] is None) == (row["result"] is None)
        assert isinstance(row["distilabel_metadata"][f"raw_output_{step}"], str)
    parsed = sum(row["result"] is not None for row in rows)
    print(f"PrometheusEval ({step.split('_')[1]}): {parsed} of {len(rows)} results parsed")


def test_the_judge_prompts_carry_the_generations(judged: Dict[str, Any], tmp_path: Path) -> None:
    for row in judged["ultrafeedback"]:
        prompt = row["distilabel_metadata"]["raw_input_ultrafeedback"][-1]["content"]
        assert row["instruction"] in prompt
        assert all(f"<text {i + 1}> {g}" in prompt for i, g in enumerate(row["generation"]))
    for row in judged["prometheus_relative"]:
        prompt = row["distilabel_metadata"]["raw_input_prometheus_relative"][-1]["content"]
        assert f"###Response A:\n{row['generation'][0]}" in prompt
