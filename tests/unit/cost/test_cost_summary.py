"""Cost per request, per step and in total: ``request_stats()``, the live counters, ``summary.json``."""

import json
import shutil
from pathlib import Path
from typing import Any, ClassVar, List

import pytest

from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.servers.openai_server import OpenAIServer
from tests.unit.cost.helpers import chat_requests, priced_pipeline, request_cost
from tests.unit.pipeline.fakes import EchoAsyncLLM, last_text


class PricedSyncLLM(LLM):
    """A blocking LLM that reports 10 prompt and 5 generated tokens per input."""

    _price_provider: ClassVar[str] = "local"

    @property
    def model_name(self) -> str:
        return "priced-sync"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        return [prepare_output([f"Sync: {last_text(i)}"], [10], [5]) for i in inputs]


def test_cost_per_step_and_in_total_is_in_summary_json_and_the_live_counters(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    pipeline = priced_pipeline(tmp_path, openai_server.url + "/v1", 5)
    pipeline.run()
    summary = json.loads((pipeline.run_dir / "summary.json").read_text())
    expected = 5 * request_cost()
    assert summary["steps"]["generate"]["cost_usd"] == pytest.approx(expected)
    assert summary["steps"]["generate"]["llm"]["cost_usd"] == pytest.approx(expected)
    assert summary["steps"]["load"]["cost_usd"] == 0.0
    assert summary["totals"]["cost_usd"] == pytest.approx(expected)
    assert summary["budget"] is None
    text = pipeline.last_run_summary.text()
    assert f"cost ${expected:.4f}" in text
    # The step's live counter moved with each request (the progress display shows it).
    step = pipeline.dag.get("generate")
    assert step._counters.cost_usd == pytest.approx(expected)


def test_answers_from_the_cache_and_reused_rows_cost_nothing(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    url = openai_server.url + "/v1"
    first = priced_pipeline(tmp_path, url, 4)
    first.run()
    # The rows are gone (nothing to resume); the answers are still in the response cache.
    shutil.rmtree(first.run_dir / "steps")
    again = priced_pipeline(tmp_path, url, 4)
    again.run()
    summary = again.last_run_summary
    assert chat_requests(openai_server) == 4
    assert summary["generate"]["llm"]["cache_hits"] == 4
    assert summary["generate"]["cost_usd"] == 0.0 and summary.totals["cost_usd"] == 0.0


def test_an_unknown_price_is_reported_as_none_not_zero(tmp_path: Path) -> None:
    with Pipeline(name="unknown-price", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=[{"instruction": "a"}]) >> TextGeneration(
            name="generate", llm=EchoAsyncLLM()
        )
    pipeline.run(use_cache=False)
    summary = pipeline.last_run_summary
    assert summary["generate"]["cost_usd"] is None
    assert summary.totals["cost_usd"] is None
    assert "cost unknown" in summary.text()


def test_sync_llms_are_free_by_default_and_priced_when_asked(tmp_path: Path) -> None:
    free = PricedSyncLLM()
    [output] = free.generate_outputs([[{"role": "user", "content": "x"}]])
    assert output["generations"] == ["Sync: x"]
    assert free.request_stats()["cost_usd"] == 0.0
    priced = PricedSyncLLM(cost_per_million_tokens={"input": 100, "output": 1000})
    priced.generate_outputs(
        [[{"role": "user", "content": "x"}], [{"role": "user", "content": "y"}]]
    )
    assert priced.request_stats()["cost_usd"] == pytest.approx(
        2 * (10 * 100 + 5 * 1000) / 1_000_000
    )


def test_a_sync_llm_stops_at_the_budget_a_batch_at_a_time(tmp_path: Path) -> None:
    llm = PricedSyncLLM(
        cost_per_million_tokens={"input": 1000, "output": 1000}, generation_kwargs={}
    )
    with Pipeline(name="sync-budget", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": f"i{i}"} for i in range(6)], batch_size=2)
        load >> TextGeneration(name="generate", llm=llm, input_batch_size=2)
    # A batch of 2 reserves 2 x (17 + 256) tokens x $0.001 = $0.546 and costs 2 x 15 x $0.001 = $0.03:
    # two batches fit ($0.06 spent), a third does not ($0.54 left).
    pipeline.run(max_budget=0.6)
    summary = pipeline.last_run_summary
    assert summary.status == "budget_exceeded"
    assert summary.budget["spent_usd"] == pytest.approx(0.06)
    assert summary["generate"]["rows"] == 4
    assert summary["generate"]["llm"]["requests"] == 4  # the batch that did not fit was not sent
