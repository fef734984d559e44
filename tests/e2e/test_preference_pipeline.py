"""A preference-data pipeline against the loopback OpenAI server: two TextGeneration steps >>
GroupColumns >> UltraFeedback >> FormatTextGenerationDPO gives chosen/rejected pairs.

The server answers every request with one canned text (``reply_template``), which is
an UltraFeedback answer rating the first text 5 and the second 2. Its last line repeats
the start of the prompt (``{prompt:.13}``), so the two generators, whose prompts start
differently, write different texts; for the judge that line is an extra paragraph
after the two rating blocks.
"""

from pathlib import Path
from typing import Any, Dict, List

import pytest

from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps import FormatTextGenerationDPO, GroupColumns, LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration, UltraFeedback
from tests.servers.openai_server import OpenAIServer

REPLY = "Rating: 5\nRationale: Clear and correct.\n\nRating: 2\nRationale: Too vague to help.\n\n{prompt:.13}"
INSTRUCTIONS = ["What is the boiling point of water?", "Name a primary colour."]


@pytest.fixture
def scripted_server(openai_env: OpenAIServer) -> OpenAIServer:
    openai_env.configure(reply_template=REPLY)
    return openai_env


def run_pipeline(tmp_path: Path) -> List[Dict[str, Any]]:
    with Pipeline(name="preference-data", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": i} for i in INSTRUCTIONS])
        short = TextGeneration(
            name="short_answer", llm=OpenAILLM(model="gpt-4o-mini"), template="Short answer: {{ instruction }}"
        )
        detailed = TextGeneration(
            name="detailed_answer", llm=OpenAILLM(model="gpt-4o"), template="Detailed one: {{ instruction }}"
        )
        group = GroupColumns(columns=["generation", "model_name"], output_columns=["generations", "generation_models"])
        judge = UltraFeedback(name="judge", llm=OpenAILLM(model="gpt-4o"), aspect="overall-rating")
        dpo = FormatTextGenerationDPO(name="dpo")
        load >> [short, detailed] >> group >> judge >> dpo
    return list(pipeline.run(use_cache=False)["default"]["train"])


def test_preference_pipeline_produces_chosen_and_rejected(scripted_server: OpenAIServer, tmp_path: Path) -> None:
    rows = sorted(run_pipeline(tmp_path), key=lambda r: INSTRUCTIONS.index(r["instruction"]))
    assert [r["instruction"] for r in rows] == INSTRUCTIONS
    for row in rows:
        texts = dict(zip(row["generation_models"], row["generations"], strict=True))
        assert sorted(texts) == ["gpt-4o", "gpt-4o-mini"]
        assert texts["gpt-4o-mini"].endswith("Short answer:")
        assert texts["gpt-4o"].endswith("Detailed one:")
        assert row["ratings"] == [5, 2]
        assert row["rationales"] == ["Clear and correct.", "Too vague to help."]
        first, second = row["generations"]
        assert row["prompt"] == row["instruction"]
        assert row["chosen"] == [{"role": "user", "content": row["instruction"]}, {"role": "assistant", "content": first}]
        assert row["rejected"] == [{"role": "user", "content": row["instruction"]}, {"role": "assistant", "content": second}]
        assert (row["chosen_rating"], row["rejected_rating"]) == (5, 2)
        assert (row["chosen_model"], row["rejected_model"]) == tuple(row["generation_models"])
        assert row["chosen"] != row["rejected"]
        assert row["model_name"] == "gpt-4o"


def test_the_judge_saw_both_generations(scripted_server: OpenAIServer, tmp_path: Path) -> None:
    rows = run_pipeline(tmp_path)
    requests = scripted_server.requests("/v1/chat/completions")
    assert len(requests) == 3 * len(INSTRUCTIONS)
    judge_prompts = [r["json"]["messages"] for r in requests if r["json"]["messages"][0]["role"] == "system"]
    assert len(judge_prompts) == len(INSTRUCTIONS)
    for row in rows:
        [messages] = [m for m in judge_prompts if row["instruction"] in m[-1]["content"]]
        assert "2 texts" in messages[0]["content"]
        prompt = messages[-1]["content"]
        assert f"<text 1> {row['generations'][0]}" in prompt and "#### Output for Text 2" in prompt
