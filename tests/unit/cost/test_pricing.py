"""The price table (genai-prices, offline), per-LLM overrides, local models, unknown models."""

import logging
from pathlib import Path

import pytest

from distilabel.models.llms import OpenAILLM
from distilabel.models.llms.anthropic import AnthropicLLM
from distilabel.models.llms.huggingface.transformers import TransformersLLM
from distilabel.models.llms.moa import MixtureOfAgentsLLM
from distilabel.pipeline.signature import step_signatures
from distilabel.runtime import pricing
from distilabel.runtime.pricing import (
    FREE,
    TokenPrices,
    lookup,
    nested_llms,
    prices_for,
    provider_of,
)
from distilabel.steps.tasks import TextGeneration
from tests.servers.openai_server import OpenAIServer
from tests.unit.pipeline.fakes import EchoAsyncLLM

genai_prices = pytest.importorskip("genai_prices", reason="the cost extra is not installed")


def test_the_table_prices_known_models_per_million_tokens() -> None:
    assert lookup("openai", "gpt-4o-mini") == TokenPrices(input=0.15, output=0.6)
    assert lookup("openai", "gpt-4o") == TokenPrices(input=2.5, output=10.0)
    # A dated model name finds its model, and a provider prefix through litellm.
    assert lookup("anthropic", "claude-3-5-sonnet-20241022") == TokenPrices(input=3.0, output=15.0)
    assert lookup("litellm", "openai/gpt-4o") == TokenPrices(input=2.5, output=10.0)


def test_tiered_prices_use_the_base_tier() -> None:
    # gemini-1.5-pro costs more per token past 128k prompt tokens; a request below that pays the base rate.
    assert lookup("google", "gemini-1.5-pro") == TokenPrices(input=1.25, output=5.0)


def test_llms_find_their_provider_and_price() -> None:
    openai = OpenAILLM(model="gpt-4o-mini", api_key="sk-test")
    anthropic = AnthropicLLM(model="claude-3-5-sonnet-20241022", api_key="sk-test")
    assert (provider_of(openai), provider_of(anthropic)) == ("openai", "anthropic")
    assert prices_for(openai) == TokenPrices(input=0.15, output=0.6)
    assert prices_for(anthropic) == TokenPrices(input=3.0, output=15.0)
    # A loopback or proxy URL the table does not know keeps the class's provider.
    proxied = OpenAILLM(model="gpt-4o-mini", api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    assert prices_for(proxied) == TokenPrices(input=0.15, output=0.6)


def test_local_models_are_free_unless_priced() -> None:
    local = TransformersLLM(model="HuggingFaceTB/SmolLM2-135M-Instruct")
    assert provider_of(local) == "local" and prices_for(local) == FREE
    priced = TransformersLLM(model="x", cost_per_million_tokens={"input": 0.01, "output": 0.02})
    assert prices_for(priced) == TokenPrices(input=0.01, output=0.02)


def test_a_mixture_of_agents_is_priced_by_the_llms_inside_it() -> None:
    proposer = OpenAILLM(model="gpt-4o-mini", api_key="sk-test")
    aggregator = OpenAILLM(model="gpt-4o", api_key="sk-test")
    moa = MixtureOfAgentsLLM(aggregator_llm=aggregator, proposers_llms=[proposer])
    assert prices_for(moa) == FREE  # its own request is the requests of the LLMs inside it
    assert [id(llm) for llm in nested_llms(moa)] == [id(moa), id(aggregator), id(proposer)]


def test_an_unknown_model_has_no_price_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="distilabel.pricing"):
        assert lookup("openai", "no-such-model-4711") is None
        assert lookup("openai", "no-such-model-4711") is None
        assert prices_for(EchoAsyncLLM()) is None  # a class the table knows no provider of
    warnings = [r.getMessage() for r in caplog.records if "no-such-model-4711" in r.getMessage()]
    assert len(warnings) == 1
    assert "cost_per_million_tokens" in warnings[0] and "genai-prices" in warnings[0]


def test_the_override_wins_over_the_table() -> None:
    llm = OpenAILLM(
        model="gpt-4o-mini", api_key="sk-test", cost_per_million_tokens={"input": 1, "output": 3}
    )
    assert prices_for(llm) == TokenPrices(input=1.0, output=3.0)
    assert prices_for(llm).cost(1_000_000, 500_000) == pytest.approx(2.5)
    with pytest.raises(ValueError):
        OpenAILLM(
            model="gpt-4o-mini",
            api_key="sk-test",
            cost_per_million_tokens={"input": -1, "output": 3},
        )


def test_the_override_is_dumped_reloaded_and_changes_no_cache_key_or_signature() -> None:
    plain = OpenAILLM(model="gpt-4o-mini", api_key="sk-test")
    priced = OpenAILLM(
        model="gpt-4o-mini", api_key="sk-test", cost_per_million_tokens={"input": 1, "output": 3}
    )
    dumped = priced.dump()
    assert dumped["cost_per_million_tokens"] == {"input": 1.0, "output": 3.0}
    assert OpenAILLM.from_dict(dumped).cost_per_million_tokens == TokenPrices(input=1.0, output=3.0)
    # A 1.5 dump has no such field: it loads with no override.
    old = {key: value for key, value in plain.dump().items() if key != "cost_per_million_tokens"}
    assert OpenAILLM.from_dict(old).cost_per_million_tokens is None
    # Prices change what a run counts, never what is asked: same cache key, same step signature.
    chat = [{"role": "user", "content": "hi"}]
    assert plain._cache_key(chat, 1, {}) == priced._cache_key(chat, 1, {})

    def signature(llm: OpenAILLM) -> str:
        step = TextGeneration(name="generate", llm=llm).dump()
        return step_signatures(
            {"steps": [{"name": "generate", "step": step}], "connections": []}, ["generate"]
        )["generate"]

    assert signature(plain) == signature(priced)


def test_the_override_is_never_sent(openai_server: OpenAIServer) -> None:
    llm = OpenAILLM(
        model="gpt-4o-mini",
        api_key="sk-test",
        base_url=openai_server.url + "/v1",
        cost_per_million_tokens={"input": 1, "output": 3},
    )
    llm.load()
    try:
        [output] = llm.generate([[{"role": "user", "content": "one two"}]])
    finally:
        llm.unload()
    assert output["generations"] == ["Echo: one two"]
    [request] = openai_server.requests("/v1/chat/completions")
    assert "cost" not in str(request["json"]) and "input" not in request["json"]
    # 2 prompt tokens, 3 generated, as the server counts them.
    assert llm.request_stats()["cost_usd"] == pytest.approx((2 * 1 + 3 * 3) / 1_000_000)


def test_the_table_never_goes_to_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx2

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the price table tried to fetch prices")

    monkeypatch.setattr(httpx2, "get", refuse)
    pricing._lookup.cache_clear()
    assert lookup("openai", "gpt-4o-mini") == TokenPrices(input=0.15, output=0.6)
    from genai_prices import data_snapshot, update_prices

    assert data_snapshot._custom_snapshot is None  # the bundled table, not an auto-updated one
    assert update_prices._shared_updater.ref_count == 0  # no updater was ever started


def test_1_5_files_still_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from distilabel.pipeline import Pipeline

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "pipelines_1_5"
    llm = OpenAILLM.from_json(fixtures / "openai_llm.json")
    assert llm.cost_per_million_tokens is None
    pipeline = Pipeline.from_file(fixtures / "clair_default_names.yaml")
    llms = [
        step.llm for step in pipeline.dag.steps.values() if getattr(step, "llm", None) is not None
    ]
    assert llms and all(llm.cost_per_million_tokens is None for llm in llms)
