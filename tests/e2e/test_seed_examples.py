"""The seed docs' Task and Pipeline examples, run as written against the loopback OpenAI server.

The blocks below are verbatim copies of the code blocks in the seed docs; when the
seed docs are present (``../shared/seeds``) a test checks the copies still match them.
"""

import re
import textwrap
import warnings
from pathlib import Path
from typing import Any, Dict, List

import pytest

from distilabel.pipeline.row_store import RowStore
from tests.servers.openai_server import OpenAIServer

TASK_BLOCK = '''
from distilabel.llms import OpenAILLM
from distilabel.steps.tasks import TextGeneration

llm = OpenAILLM(model="gpt-4")
task = TextGeneration(name="text_generation", llm=llm)

task.load()

next(task.process(inputs=[{"instruction": "What's the capital of Spain?"}]))
# [{'instruction': "What's the capital of Spain?", "generation": "The capital of Spain is Madrid."}]
'''

PIPELINE_BLOCK = '''
from distilabel.pipeline import Pipeline
from distilabel.llms import OpenAILLM
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration

with Pipeline(name="text-generation-pipeline") as pipeline:
    load_dataset = LoadDataFromDicts(
        name="load_dataset",
        data=[{"instruction": "Write a short story about a dragon that saves a princess from a tower."}],
    )

    text_generation = TextGeneration(
        name="text_generation",
        llm=OpenAILLM(model="gpt-4"),
    )

    load_dataset >> text_generation

if __name__ == "__main__":
    pipeline.run(
        parameters={
            text_generation.name: {"llm": {"generation_kwargs": {"temperature": 0.3}}},
        },
    )
'''

PIPELINE_BLOCK_MULTILINE_DATA = '''
from distilabel.pipeline import Pipeline
from distilabel.llms import OpenAILLM
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration


with Pipeline(name="text-generation-pipeline") as pipeline:
    load_dataset = LoadDataFromDicts(
        name="load_dataset",
        data=[
            {
                "instruction": "Write a short story about a dragon that saves a princess from a tower.",
            },
        ],
    )

    text_generation = TextGeneration(
        name="text_generation",
        llm=OpenAILLM(model="gpt-4"),
    )

    load_dataset >> text_generation

if __name__ == "__main__":
    pipeline.run(
        parameters={
            text_generation.name: {"llm": {"generation_kwargs": {"temperature": 0.3}}},
        },
    )
'''

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def run_block(code: str) -> Dict[str, Any]:
    namespace: Dict[str, Any] = {"__name__": "__main__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the old `distilabel.llms` path warns
        exec(compile(code, "<seed example>", "exec"), namespace)
    return namespace


@pytest.fixture
def seed_env(openai_env: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OpenAIServer:
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))
    return openai_env


def test_task_block_runs_as_written(seed_env: OpenAIServer) -> None:
    namespace = run_block(TASK_BLOCK)
    # The block's last expression is not kept by exec: call it again as the doc shows.
    [row] = next(namespace["task"].process(inputs=[{"instruction": "What's the capital of Spain?"}]))
    assert row["instruction"] == "What's the capital of Spain?"
    assert row["generation"] == "Echo: What's the capital of Spain?"
    assert row["model_name"] == "gpt-4"
    metadata = row["distilabel_metadata"]
    assert metadata["raw_output_text_generation"] == row["generation"]
    assert metadata["raw_input_text_generation"] == [{"role": "user", "content": "What's the capital of Spain?"}]
    assert set(metadata["statistics_text_generation"]) == {"input_tokens", "output_tokens"}
    assert list(row) == ["instruction", "generation", "distilabel_metadata", "model_name"]
    namespace["task"].unload()


@pytest.mark.parametrize("block", [PIPELINE_BLOCK, PIPELINE_BLOCK_MULTILINE_DATA], ids=["inline", "multiline"])
def test_pipeline_block_runs_as_written(seed_env: OpenAIServer, block: str) -> None:
    namespace = run_block(block)
    pipeline = namespace["pipeline"]
    [request] = seed_env.requests("/v1/chat/completions")
    assert request["json"]["temperature"] == 0.3
    assert request["json"]["model"] == "gpt-4"
    rows = RowStore.read_sorted(pipeline.run_dir / "steps" / "text_generation")
    assert [row["generation"] for row in rows] == [
        "Echo: Write a short story about a dragon that saves a princess from a tower."
    ]
    assert (pipeline.run_dir / "pipeline.yaml").exists()
    assert (pipeline.run_dir / "pipeline.log").exists()


def _python_blocks(text: str) -> List[str]:
    return [textwrap.dedent(block) for block in re.findall(r"```python\n(.*?)```", text, flags=re.S)]


def _normalize(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines() if line.strip())


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed docs not available")
def test_copies_match_the_seed_docs() -> None:
    ours = {_normalize(b) for b in (TASK_BLOCK, PIPELINE_BLOCK, PIPELINE_BLOCK_MULTILINE_DATA)}
    found = set()
    for path in sorted(SEEDS.glob("*.txt")):
        for block in _python_blocks(path.read_text()):
            if "from distilabel.steps.tasks import TextGeneration" in block or "Pipeline(" in block:
                found.add(_normalize(block))
    assert found, "no Task/Pipeline examples found in the seed docs"
    assert found <= ours, "a seed Task/Pipeline example is not covered by the copies in this test"
