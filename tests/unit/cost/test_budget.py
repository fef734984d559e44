"""``Pipeline.run(max_budget=...)``: stop before the budget is exceeded, keep the rows, resume.

The loopback OpenAI server reports usage (whitespace tokens); the LLM's prices are
set so each answered request costs $0.011 and reserves $0.039 (its worst case).
"""

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distilabel.cli.app import app
from distilabel.errors import DistilabelUserError
from distilabel.runtime.budget import Budget, DistilabelBudgetExceededError
from tests.servers.openai_server import OpenAIServer
from tests.unit.cost.helpers import (
    chat_requests,
    generations,
    instruction,
    priced_pipeline,
    request_cost,
    request_worst_case,
)
from tests.unit.pipeline.fakes import EchoAsyncLLM

ROWS = 12


def test_the_run_stops_within_one_request_of_the_budget_keeps_its_rows_and_resumes(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    url = openai_server.url + "/v1"
    budget = 0.1
    first = priced_pipeline(tmp_path, url, ROWS, {"max_concurrent_requests": 1})
    distiset = first.run(max_budget=budget)
    summary = first.last_run_summary
    assert summary.status == "budget_exceeded"
    answered = chat_requests(openai_server)
    spent = summary.budget["spent_usd"]
    # Spent what the answered requests cost, never more than the budget, and the stop came
    # when less than one request's worst case was left.
    assert spent == pytest.approx(answered * request_cost())
    assert spent <= budget
    assert budget - spent < request_worst_case()
    assert answered == 6  # 6 x $0.011 = $0.066; a 7th could cost up to $0.039 > $0.034 left
    assert summary.totals["cost_usd"] == pytest.approx(spent)
    assert summary["generate"]["cost_usd"] == pytest.approx(spent)
    saved = json.loads((first.run_dir / "summary.json").read_text())
    assert saved["status"] == "budget_exceeded" and saved["budget"]["max_budget_usd"] == budget
    assert "max_budget" in saved["message"] and "run the same pipeline again" in saved["message"]
    # Every finished row is kept (a row whose answer arrived as the run stopped is in the cache).
    kept = generations(distiset)
    assert 0 < len(kept) <= answered
    assert kept == [f"Echo: {instruction(i)}" for i in range(len(kept))]

    # Rerun with a budget for the rest: only the rest is sent and paid for.
    openai_server.reset()
    second = priced_pipeline(tmp_path, url, ROWS, {"max_concurrent_requests": 1})
    rest = second.run(max_budget=1.0)
    again = second.last_run_summary
    assert again.status == "finished"
    assert generations(rest) == [f"Echo: {instruction(i)}" for i in range(ROWS)]
    assert chat_requests(openai_server) == ROWS - answered
    assert again["generate"]["resumed_rows"] == len(kept)
    assert again["generate"]["llm"]["cache_hits"] == answered - len(kept)
    assert again.totals["cost_usd"] == pytest.approx((ROWS - answered) * request_cost())
    assert again.budget["spent_usd"] == pytest.approx(again.totals["cost_usd"])


def test_requests_in_flight_count_against_the_budget(tmp_path: Path) -> None:
    with OpenAIServer(api_key="sk-test", latency=0.05) as server:
        pipeline = priced_pipeline(tmp_path, server.url + "/v1", 40, {"max_concurrent_requests": 8})
        budget = 0.25
        pipeline.run(max_budget=budget)
        stats = server.stats()
    summary = pipeline.last_run_summary
    assert summary.status == "budget_exceeded"
    assert stats["max_in_flight"] >= 4  # several requests were in flight at once
    answered = stats["by_path"]["/v1/chat/completions"]
    spent = summary.budget["spent_usd"]
    assert spent == pytest.approx(answered * request_cost())
    assert spent <= budget
    assert budget - spent < request_worst_case()


def test_a_budget_needs_every_price_before_anything_is_sent(tmp_path: Path) -> None:
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts
    from distilabel.steps.tasks import TextGeneration

    llm = EchoAsyncLLM()
    with Pipeline(name="unpriced", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=[{"instruction": "a"}]) >> TextGeneration(name="generate", llm=llm)
    with pytest.raises(DistilabelUserError, match="cost_per_million_tokens") as raised:
        pipeline.run(max_budget=1.0)
    assert "EchoAsyncLLM(model='echo-async') of step 'generate'" in str(raised.value)
    assert llm.request_stats()["requests"] == 0


def test_the_budget_object_waits_for_requests_in_flight_before_it_gives_up() -> None:
    async def scenario() -> list:
        budget = Budget(1.0)
        events = []
        first = await budget.reserve(0.6)

        async def late() -> None:
            reservation = await budget.reserve(0.6)  # does not fit while the first is in flight
            events.append("reserved after the first settled")
            budget.settle(reservation, 0.3)

        task = asyncio.ensure_future(late())
        await asyncio.sleep(0.01)
        assert not events and budget.in_flight == 1
        budget.settle(first, 0.2)  # cost less than reserved: now the second fits
        await task
        assert budget.spent == pytest.approx(0.5)
        with pytest.raises(DistilabelBudgetExceededError, match="budget of \\$1.0000 is spent"):
            await budget.reserve(0.6)  # nothing in flight and 0.5 left: the budget is spent
        with pytest.raises(DistilabelBudgetExceededError):
            await budget.reserve(0.01)  # and it stays spent: the run stops
        return events

    assert asyncio.run(scenario()) == ["reserved after the first settled"]


def test_a_request_that_was_cancelled_keeps_its_worst_case() -> None:
    budget = Budget(1.0)
    reservation = budget.reserve_blocking(0.4)
    budget.settle(reservation, None)
    budget.settle(reservation, 0.0)  # settled once only
    assert budget.spent == pytest.approx(0.4) and budget.in_flight == 0


def test_the_cli_stops_at_the_budget_with_exit_code_3(
    tmp_path: Path, openai_env: OpenAIServer
) -> None:
    openai_server = openai_env
    config = tmp_path / "pipeline.yaml"
    priced_pipeline(
        tmp_path / "cache", openai_server.url + "/v1", ROWS, {"max_concurrent_requests": 1}
    ).save(config)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "pipeline",
            "run",
            "--config",
            str(config),
            "--max-budget",
            "0.05",
            "--output-dir",
            str(out),
        ],
    )
    assert result.exit_code == 3, result.output
    assert "Stopped before the budget was exceeded" in result.output
    assert not out.exists()  # a partial dataset is not saved as if it were the result
    assert (
        chat_requests(openai_server) == 2
    )  # $0.022 spent; a third could cost $0.039 > $0.028 left
