"""The seed docs' footnote on passing OpenAI's JSON mode through ``Pipeline.run``."""

import json
from pathlib import Path

import pytest

from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.servers.openai_server import OpenAIServer

# Verbatim from the seed (footnote 3 of "OpenAI JSON").
FOOTNOTE_BLOCK = """
# Assuming a pipeline is already defined, and we have a task using OpenAILLM called `task_with_openai`:
pipeline.run(
    parameters={
        "task_with_openai": {
            "llm": {
                "generation_kwargs": {
                    "response_format": "json"
                }
            }
        }
    }
)
"""


def test_response_format_json_through_pipeline_parameters(
    openai_env: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path))
    # What the footnote assumes: a pipeline with a task using OpenAILLM called `task_with_openai`.
    with Pipeline(name="json-mode") as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": "Describe a cat as a JSON object."}])
        task = TextGeneration(name="task_with_openai", llm=OpenAILLM(model="gpt-4o"))
        load >> task

    namespace = {"pipeline": pipeline}
    exec(compile(FOOTNOTE_BLOCK, "<seed footnote>", "exec"), namespace)

    [request] = openai_env.requests("/v1/chat/completions")
    assert request["json"]["response_format"] == {"type": "json_object"}
    distiset = pipeline.run(
        parameters={"task_with_openai": {"llm": {"generation_kwargs": {"response_format": "json"}}}},
        use_cache=False,
    )
    [row] = distiset["default"]["train"]
    assert isinstance(json.loads(row["generation"]), dict)
