"""The engine's parts on their own: the key-join of branches, the one loop runner, what steps tell the engine."""

import asyncio
import threading
from typing import Any, Dict, List, Optional, Tuple

import pytest

from distilabel.errors import DistilabelNotImplementedError
from distilabel.pipeline.channels import Inbox
from distilabel.pipeline.join import input_batches
from distilabel.runtime.loops import run_coroutine
from distilabel.steps import KeepColumns
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM, EchoSyncLLM

Sent = Tuple[str, Optional[List[Tuple[Tuple[int, ...], Dict[str, Any]]]]]


async def _batches(sources: List[str], sent: List[Sent], size: Optional[int], per_source: bool) -> List[Any]:
    inbox = Inbox(sources, capacity=100)
    for source, rows in sent:
        if rows is None:
            await inbox.close(source)
        else:
            await inbox.put(source, rows)
    return [batch async for batch in input_batches(inbox, sources, size, per_source, lambda rows: rows or [])]


def test_rows_of_two_branches_are_joined_by_key() -> None:
    sent: List[Sent] = [
        ("b", [((1,), {"v": "b1"}), ((0,), {"v": "b0"})]),
        ("a", [((0,), {"v": "a0"})]),
        ("a", [((2,), {"v": "a2"}), ((1,), {"v": "a1"})]),
        ("a", None),
        ("b", None),  # b never sent key 2 (routed elsewhere): it goes on with a's row alone
    ]
    batches = asyncio.run(_batches(["a", "b"], sent, size=2, per_source=True))
    assert batches == [
        ([(0,), (1,)], ([{"v": "a0"}, {"v": "a1"}], [{"v": "b0"}, {"v": "b1"}])),
        ([(2,)], ([{"v": "a2"}],)),
    ]


def test_a_global_step_gets_every_row_once_in_input_order() -> None:
    sent: List[Sent] = [("a", [((2,), {"v": 2}), ((0,), {"v": 0})]), ("a", [((1,), {"v": 1})]), ("a", None)]
    batches = asyncio.run(_batches(["a"], sent, size=None, per_source=False))
    assert batches == [([(0,), (1,), (2,)], ([{"v": 0}, {"v": 1}, {"v": 2}],))]


def test_run_coroutine_inside_a_running_loop_uses_a_thread_of_its_own() -> None:
    async def name() -> str:
        return threading.current_thread().name

    async def fail() -> None:
        raise ValueError("from the run")

    async def notebook_cell() -> Tuple[str, str]:
        with pytest.raises(ValueError, match="from the run"):
            run_coroutine(fail())
        return run_coroutine(name()), threading.current_thread().name

    assert run_coroutine(name()) == threading.current_thread().name
    inner, outer = asyncio.run(notebook_cell())
    assert inner == "distilabel-pipeline" and outer != inner


def test_a_task_on_an_async_llm_takes_rows_one_at_a_time() -> None:
    task = TextGeneration(name="gen", llm=EchoAsyncLLM(max_concurrent_requests=3))
    assert task.runs_rows_async and task.row_concurrency == 6
    assert task.llm_in_use is task.llm
    task.load()
    try:
        rows = asyncio.run(task.row_processor()({"instruction": "hi"}))
    finally:
        task.unload()
    assert [row["generation"] for row in rows] == ["Echo: hi"]
    assert rows[0]["model_name"] == "echo-async"


def test_other_steps_take_batches_in_threads() -> None:
    class OwnProcess(TextGeneration):
        def process(self, inputs: Any) -> Any:  # type: ignore[override]
            yield inputs

    assert not TextGeneration(name="sync", llm=EchoSyncLLM()).runs_rows_async
    assert not OwnProcess(name="own", llm=EchoAsyncLLM()).runs_rows_async
    plain = KeepColumns(name="keep", columns=["a"])
    assert not plain.runs_rows_async and plain.llm_in_use is None
    assert plain.offline_batch_jobs == () and plain.resume_offline_batch_jobs(["job-1"]) is False
    with pytest.raises(DistilabelNotImplementedError, match="keep"):
        plain.row_processor()


class _BatchEchoLLM(EchoAsyncLLM):
    def offline_batch_generate(self, inputs: Any = None, num_generations: int = 1, **kwargs: Any) -> Any:
        raise AssertionError("not called here")


def test_offline_batch_jobs_are_only_taken_by_an_llm_in_offline_mode() -> None:
    online = TextGeneration(name="gen", llm=EchoAsyncLLM())
    assert online.offline_batch_jobs == ()
    assert online.resume_offline_batch_jobs(["job-1"]) is False
    assert online.llm.jobs_ids is None

    offline = TextGeneration(name="batch", llm=_BatchEchoLLM(use_offline_batch_generation=True))
    assert offline.is_global and not offline.runs_rows_async  # every row goes in one batch job
    assert offline.resume_offline_batch_jobs(["job-1", "job-2"]) is True
    assert offline.offline_batch_jobs == ("job-1", "job-2")
    # Jobs it already holds are not replaced by an earlier run's.
    assert offline.resume_offline_batch_jobs(["job-3"]) is False
    assert offline.llm.jobs_ids == ("job-1", "job-2")
