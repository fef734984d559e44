"""The provider's rate-limit headers set the pace before any 429."""

from pathlib import Path

import pytest

from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.runtime.rate_limit import RateLimiter, parse_reset
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.servers.openai_server import OpenAIServer


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("120ms", 0.12), ("1h2m3.5s", 3723.5), ("0.25", 0.25), ("soon", None), (None, None)],
)
def test_parse_reset(value: object, seconds: object) -> None:
    assert parse_reset(value) == (pytest.approx(seconds) if seconds is not None else None)  # type: ignore[arg-type]


def test_observe_pauses_when_no_more_requests_are_left_than_in_flight() -> None:
    now = [100.0]
    limiter = RateLimiter(clock=lambda: now[0])
    limiter.observe({"x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-requests": "2s"}, in_flight=3)
    assert limiter._wait_time(0) == 0  # 5 left, 3 in flight: still room
    limiter.observe({"x-ratelimit-remaining-requests": "3", "x-ratelimit-reset-requests": "2s"}, in_flight=3)
    assert limiter._wait_time(0) == pytest.approx(2.01)  # the 3 in flight use up what is left
    limiter.observe({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6s"})
    assert limiter._wait_time(0) == pytest.approx(6.01) and limiter.header_pauses == 2
    now[0] += 7
    assert limiter._wait_time(0) == 0


def test_a_run_paced_by_the_headers_gets_no_429(tmp_path: Path) -> None:
    rows = 40
    with OpenAIServer(api_key=None, latency=0.02, rate_limit_requests=10, rate_limit_window=0.5) as server:
        with Pipeline(name="headers", cache_dir=tmp_path) as pipeline:
            load = LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(rows)])
            llm = OpenAILLM(model="gpt-4o", base_url=server.url + "/v1", api_key="sk-x", max_concurrent_requests=4)
            load >> TextGeneration(name="generate", llm=llm)
        distiset = pipeline.run(use_cache=False)
        assert len(distiset["default"]["train"]) == rows
        assert server.stats()["statuses"].get(429, 0) == 0
        assert server.stats()["statuses"][200] == rows
        assert pipeline.last_run_summary["generate"]["llm"]["rate_limit_header_pauses"] >= 3
