"""Limits belong to the account: two tasks on one provider, base URL and key share one budget."""

import asyncio
from pathlib import Path

from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.runtime.accounts import LimitSettings, account_key, limits_for
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.servers.openai_server import OpenAIServer

KEY = "sk-account-limits-test"


def two_tasks(tmp_path: Path, server: OpenAIServer, keys: tuple, **limits: object) -> Pipeline:
    with Pipeline(name="accounts", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(40)])
        for i, key in enumerate(keys):
            llm = OpenAILLM(model="gpt-4o", base_url=server.url + "/v1", api_key=key, **limits)
            load >> TextGeneration(name=f"generate_{i}", llm=llm)
    return pipeline


def test_two_tasks_of_one_account_share_the_concurrency_limit(tmp_path: Path) -> None:
    with OpenAIServer(api_key=None, latency=0.05) as server:
        distiset = two_tasks(tmp_path, server, (KEY, KEY), max_concurrent_requests=4).run(use_cache=False)
        assert [len(distiset[name]["train"]) for name in ("generate_0", "generate_1")] == [40, 40]
        assert server.stats()["by_path"]["/v1/chat/completions"] == 80
        assert server.stats()["max_in_flight"] <= 4  # each task alone would have 4 in flight: 8 together


def test_two_accounts_keep_their_own_limits(tmp_path: Path) -> None:
    with OpenAIServer(api_key=None, latency=0.05) as server:
        two_tasks(tmp_path, server, (KEY, KEY + "-other"), max_concurrent_requests=4).run(use_cache=False)
        assert server.stats()["max_in_flight"] > 4


def test_the_strictest_limit_of_an_account_applies_to_all_its_llms() -> None:
    async def scenario() -> tuple:
        account = account_key("openai", "http://127.0.0.1:1/v1", KEY)
        first = limits_for(account, LimitSettings(8, None, 600))
        second = limits_for(account, LimitSettings(3, 1200, 6000))
        other = limits_for(account_key("openai", "http://127.0.0.1:1/v1", "another key"), LimitSettings(8, None, None))
        return first is second, first.concurrency.max_limit, first.rate.requests.rate * 60, first.rate.tokens.rate * 60, other is first

    assert asyncio.run(scenario()) == (True, 3, 1200, 600, False)


def test_requests_per_minute_is_one_budget_for_the_account(tmp_path: Path) -> None:
    rpm = 1200  # one request every 50 ms for the account, whichever task sends it
    with OpenAIServer(api_key=None) as server:
        with Pipeline(name="accounts-rpm", cache_dir=tmp_path) as pipeline:
            load = LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(10)])
            for i in range(2):
                llm = OpenAILLM(model="gpt-4o", base_url=server.url + "/v1", api_key=KEY, requests_per_minute=rpm)
                load >> TextGeneration(name=f"generate_{i}", llm=llm)
        pipeline.run(use_cache=False)
        stamps = sorted(server.timestamps("/v1/chat/completions"))
        assert len(stamps) == 20
        # One budget: 20 requests leave one every 50 ms, over at least ~0.95 s (a load-robust
        # lower bound; two budgets of 1200/min would send them all in about half that).
        assert stamps[-1] - stamps[0] >= 19 * 60 / rpm * 0.9
