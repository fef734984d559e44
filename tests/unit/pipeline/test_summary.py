"""The run summary's totals."""

from pathlib import Path

from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoSyncLLM


def test_totals_count_the_tokens_of_sync_llms(tmp_path: Path) -> None:
    with Pipeline(name="summary-sync", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(5)])
        task = TextGeneration(name="task", llm=EchoSyncLLM())
        load >> task
    pipeline.run(use_cache=False)
    summary = pipeline.last_run_summary
    assert summary["task"]["input_tokens"] == 5 and summary["task"]["output_tokens"] == 5
    # A local (sync) LLM sends no requests; what its rows report is what the run spent.
    assert summary.totals["input_tokens"] == 5
    assert summary.totals["output_tokens"] == 5
    assert summary.totals["requests"] == 0
