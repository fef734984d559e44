"""A step that raises stops the run with its error, never a hang (even with its slots all taken)."""

import threading
from pathlib import Path
from typing import Any, Dict, List

import pytest

from distilabel.errors import DistilabelError, DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import ExpandColumns, LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM


def run_bounded(pipeline: Pipeline) -> BaseException:
    """Run in a thread, so a hang fails the test instead of the suite."""
    outcome: Dict[str, Any] = {}

    def target() -> None:
        try:
            pipeline.run()
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the run hung"
    return outcome.get("error")  # type: ignore[return-value]


def rows(n: int) -> List[Dict[str, Any]]:
    return [{"instruction": f"q{i}"} for i in range(n)]


def test_a_failing_batch_step_stops_the_run(tmp_path: Path) -> None:
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        task = TextGeneration(name="task", llm=EchoAsyncLLM(max_concurrent_requests=3))
        not_a_list = ExpandColumns(columns=["generation"], input_batch_size=3)
        LoadDataFromDicts(data=rows(40), batch_size=7) >> task >> not_a_list
    error = run_bounded(pipeline)
    assert isinstance(error, DistilabelUserError) and "is not a list" in str(error)


class Stop(DistilabelError):
    pass


def test_an_error_in_a_row_stops_the_run(tmp_path: Path) -> None:
    async def stop(text: str) -> None:
        if text == "q5":
            raise Stop("stop here")

    llm = EchoAsyncLLM(max_concurrent_requests=1)
    llm._hook = stop
    with Pipeline(name="p", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=rows(50), batch_size=7) >> TextGeneration(name="task", llm=llm)
    with pytest.raises(Stop):
        raise run_bounded(pipeline)
