"""The run summary's totals."""

from pathlib import Path
from typing import Any, List

from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoSyncLLM, last_text


def test_totals_count_the_tokens_of_sync_llms(tmp_path: Path) -> None:
    with Pipeline(name="summary-sync", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(5)])
        task = TextGeneration(name="task", llm=EchoSyncLLM())
        load >> task
    pipeline.run(use_cache=False)
    summary = pipeline.last_run_summary
    assert summary["task"]["input_tokens"] == 5 and summary["task"]["output_tokens"] == 5
    # A local (sync) LLM is counted like a remote one: a request per input, the tokens it reported.
    assert summary.totals["input_tokens"] == 5
    assert summary.totals["output_tokens"] == 5
    assert summary.totals["requests"] == 5
    assert summary["task"]["llm"]["requests"] == 5 and summary["task"]["llm"]["input_tokens"] == 5


def test_a_sync_llm_that_raises_fails_its_rows_with_the_reason_and_counts_it(tmp_path: Path) -> None:
    with Pipeline(name="summary-sync-fail", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": "fine"}, {"instruction": "boom"}], batch_size=1)
        task = TextGeneration(name="task", llm=RaisingSyncLLM(), input_batch_size=1)
        load >> task
    distiset = pipeline.run(use_cache=False)
    rows = {row["instruction"]: row for row in distiset["default"]["train"]}
    assert rows["fine"]["generation"] == "Sync: fine"
    assert rows["boom"]["generation"] is None
    assert "RuntimeError: the model crashed" in rows["boom"]["distilabel_metadata"]["error_task"]
    llm_stats = pipeline.last_run_summary["task"]["llm"]
    assert llm_stats["requests"] == 2 and llm_stats["failed_inputs"] == 1
    assert llm_stats["failed_requests"] == {"RuntimeError": 1}


class RaisingSyncLLM(EchoSyncLLM):
    def generate(self, inputs: List[Any], num_generations: int = 1, top_k: int = 1) -> List[Any]:
        if any("boom" in last_text(i) for i in inputs):
            raise RuntimeError("the model crashed")
        return super().generate(inputs, num_generations, top_k)
