"""A priced ``LoadDataFromDicts >> TextGeneration(OpenAILLM)`` against the loopback OpenAI server."""

from pathlib import Path
from typing import Any, Dict, List, Optional

from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.runtime.budget import worst_case_cost
from distilabel.runtime.pricing import TokenPrices
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration

CHAT = "/v1/chat/completions"
OPENAI_TEST_KEY = "sk-test"  # the key of the `openai_server` fixture
# $0.001 a prompt token, $0.002 a generated one: costs read easily in the assertions.
PRICES = {"input": 1000.0, "output": 2000.0}
MAX_NEW_TOKENS = 8


def instruction(i: int) -> str:
    # Three whitespace tokens for the loopback server; it answers "Echo: q07 alpha beta" (4 tokens).
    return f"q{i:02d} alpha beta"


def request_cost() -> float:
    """What one answered request costs: 3 prompt tokens and 4 generated, as the server counts them."""
    return TokenPrices(**PRICES).cost(3, 4)


def request_worst_case() -> float:
    """What the budget reserves for one request of these rows."""
    prompt = [{"role": "user", "content": instruction(0)}]
    return worst_case_cost(TokenPrices(**PRICES), prompt, 1, {"max_new_tokens": MAX_NEW_TOKENS})


def priced_pipeline(
    cache_dir: Path,
    base_url: str,
    rows: int,
    llm_fields: Optional[Dict[str, Any]] = None,
    name: str = "priced",
) -> Pipeline:
    fields: Dict[str, Any] = {
        "model": "gpt-4o-mini",
        "base_url": base_url,
        "api_key": OPENAI_TEST_KEY,
        "cost_per_million_tokens": PRICES,
        "generation_kwargs": {"max_new_tokens": MAX_NEW_TOKENS},
        **(llm_fields or {}),
    }
    with Pipeline(name=name, cache_dir=cache_dir) as pipeline:
        load = LoadDataFromDicts(
            name="load", data=[{"instruction": instruction(i)} for i in range(rows)]
        )
        load >> TextGeneration(name="generate", llm=OpenAILLM(**fields))
    return pipeline


def chat_requests(server: Any) -> int:
    return server.stats()["by_path"].get(CHAT, 0)


def generations(distiset: Any) -> List[Optional[str]]:
    return distiset["default"]["train"]["generation"]
