"""`from distilabel.pipeline import routing_batch_function` is the documented decorator, not its module."""

import subprocess
import sys
from pathlib import Path
from typing import List

from distilabel.pipeline import Pipeline, RoutingBatchFunction, routing_batch_function
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM

REPO = Path(__file__).resolve().parents[3]


def test_the_decorator_routes_batches(tmp_path: Path) -> None:
    @routing_batch_function(description="Only the first successor.")
    def first_only(steps: List[str]) -> List[str]:
        return steps[:1]

    assert isinstance(first_only, RoutingBatchFunction)
    with Pipeline(name="routing", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": "a"}, {"instruction": "b"}])
        tasks = [TextGeneration(name=f"t{i}", llm=EchoAsyncLLM()) for i in range(2)]
        load >> first_only >> tasks
    distiset = pipeline.run(use_cache=False)
    assert distiset["t0"]["train"]["generation"] == ["Echo: a", "Echo: b"]
    assert pipeline.last_run_summary["t1"]["rows"] == 0
    assert first_only.dump()["description"] == "Only the first successor."


def test_the_name_is_the_decorator_in_a_fresh_process_whatever_was_imported_first() -> None:
    # In this process the module may have been imported in any order; a new one shows the
    # documented import order of a user script.
    script = (
        "from distilabel.pipeline import Pipeline\n"
        "import distilabel.pipeline.base\n"
        "from distilabel.pipeline import routing_batch_function\n"
        "print(type(routing_batch_function).__name__, callable(routing_batch_function))\n"
        "print(type(routing_batch_function()(lambda steps: steps)).__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["function", "True", "RoutingBatchFunction"]
