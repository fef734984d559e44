"""``Pipeline.estimate(sample=N)`` and ``distilabel pipeline run --estimate``: a sample, extrapolated."""

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from typer.testing import CliRunner

from distilabel.cli.app import app
from distilabel.pipeline import Pipeline
from distilabel.steps import GeneratorStep
from distilabel.steps.tasks import TextGeneration
from tests.servers.openai_server import OpenAIServer
from tests.unit.cost.helpers import PRICES, chat_requests, priced_pipeline, request_cost


class Endless(GeneratorStep):
    """A generator that cannot say how many rows it makes."""

    @property
    def outputs(self) -> List[str]:
        return ["instruction"]

    def process(self, offset: int = 0) -> Any:
        i = offset
        while True:
            yield (
                [{"instruction": f"q{i + j:02d} alpha beta"} for j in range(self.batch_size)],
                False,
            )
            i += self.batch_size

    @property
    def total_rows(self) -> Optional[int]:
        return None


def test_the_estimate_extrapolates_a_sample_to_the_whole_run(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    pipeline = priced_pipeline(tmp_path, openai_server.url + "/v1", 20)
    estimate = pipeline.estimate(sample=4)
    assert chat_requests(openai_server) == 4  # only the sample was sent
    step = estimate.steps["generate"]
    assert (step.sample_rows, step.generator_rows, step.total_generator_rows) == (4, 4, 20)
    assert step.input_tokens_per_row == 3 and step.output_tokens_per_row == 4
    assert step.cost_per_row == pytest.approx(request_cost())
    assert step.rows == 20
    assert (step.total_input_tokens, step.total_output_tokens) == (60, 80)
    assert estimate.sample_cost_usd == pytest.approx(4 * request_cost())
    assert estimate.total_cost_usd == pytest.approx(20 * request_cost())
    text = str(estimate)
    assert "sample of 4 rows per generator" in text
    assert f"whole run (20 rows): 60 tokens in / 80 out, ${20 * request_cost():.4f}" in text
    assert f"total: about ${20 * request_cost():.4f}" in text
    # The estimate ran in its own folder: the real run starts from nothing and sends everything.
    openai_server.reset()
    pipeline.run()
    assert chat_requests(openai_server) == 20
    assert pipeline.last_run_summary["generate"]["resumed_rows"] == 0


def test_an_unknown_size_gives_per_row_figures_only(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    from distilabel.models.llms import OpenAILLM

    llm_fields: Dict[str, Any] = {
        "model": "gpt-4o-mini",
        "base_url": openai_server.url + "/v1",
        "api_key": "sk-test",
        "cost_per_million_tokens": PRICES,
        "generation_kwargs": {"max_new_tokens": 8},
    }
    with Pipeline(name="endless", cache_dir=tmp_path) as pipeline:
        Endless(name="endless") >> TextGeneration(name="generate", llm=OpenAILLM(**llm_fields))
    estimate = pipeline.estimate(sample=3)
    step = estimate.steps["generate"]
    assert step.cost_per_row == pytest.approx(request_cost())
    assert step.total_generator_rows is None and step.total_cost_usd is None and step.rows is None
    assert estimate.total_cost_usd is None
    text = str(estimate)
    assert "whole run: unknown" in text and "total: unknown" in text


def test_the_cli_prints_the_estimate_and_runs_nothing_else(
    tmp_path: Path, openai_env: OpenAIServer
) -> None:
    config = tmp_path / "pipeline.yaml"
    priced_pipeline(tmp_path / "cache", openai_env.url + "/v1", 10).save(config)
    result = CliRunner().invoke(
        app, ["pipeline", "run", "--config", str(config), "--estimate", "--estimate-rows", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "Estimate from a sample of 2 rows per generator" in result.output
    assert f"total: about ${10 * request_cost():.4f}" in result.output
    assert chat_requests(openai_env) == 2
