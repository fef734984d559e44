"""What a request costs: prices per model, from a maintained table or set on the LLM.

Prices come from, in this order:

1. the LLM's own ``cost_per_million_tokens`` (``{"input": 0.15, "output": 0.6}``, US
   dollars per million prompt / generated tokens), which overrides everything;
2. for LLMs that run on your own machine or server (llama.cpp, transformers, vLLM,
   MLX, Ollama, a ``ClientvLLM`` server): zero;
3. the price table of the ``genai-prices`` package (extra ``cost``), looked up by
   provider and model name, from the data bundled in the installed package.

A model found nowhere has an unknown price: its cost is ``None`` (never a silent
zero) and one warning per model says how to set it.

The table's own auto-update (``genai_prices.UpdatePrices``, which fetches a newer
table over the network) is never started: a run never makes a request to anyone but
its providers, and the prices of a run depend only on the installed package version.
Tiered prices (a higher rate past some prompt length) use the base tier.
"""

import logging
from decimal import Decimal
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat

_logger = logging.getLogger("distilabel.pricing")

_MILLION = 1_000_000

# distilabel's provider modules -> the provider id of the price table. Local models
# are "free": the hardware is yours, no request is billed per token.
LOCAL = "local"
# An LLM made of other LLMs (Mixture-of-Agents): its own "request" is free, the
# requests of the LLMs inside it are counted and priced as theirs.
COMPOSITE = "composite"
_PROVIDERS: Dict[str, str] = {
    "distilabel.models.llms.moa": COMPOSITE,
    "distilabel.models.llms.openai": "openai",
    "distilabel.models.llms.azure": "azure",
    "distilabel.models.llms.anthropic": "anthropic",
    "distilabel.models.llms.groq": "groq",
    "distilabel.models.llms.mistral": "mistral",
    "distilabel.models.llms.cohere": "cohere",
    "distilabel.models.llms.together": "together",
    "distilabel.models.llms.vertexai": "google",
    "distilabel.models.llms.litellm": "litellm",
    "distilabel.models.llms.llamacpp": LOCAL,
    "distilabel.models.llms.mlx": LOCAL,
    "distilabel.models.llms.ollama": LOCAL,
    "distilabel.models.llms.vllm": LOCAL,
    "distilabel.models.llms.huggingface.transformers": LOCAL,
}


class TokenPrices(BaseModel):
    """Prices of one model in US dollars per million tokens.

    Set on any LLM as ``cost_per_million_tokens`` to override the price table, e.g.
    ``OpenAILLM(model="my-finetune", cost_per_million_tokens={"input": 0.3, "output": 1.2})``.

    Attributes:
        input: dollars per million prompt (input) tokens.
        output: dollars per million generated (output) tokens.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: NonNegativeFloat = Field(description="US dollars per million prompt (input) tokens.")
    output: NonNegativeFloat = Field(
        description="US dollars per million generated (output) tokens."
    )

    def cost(self, input_tokens: float, output_tokens: float) -> float:
        """Dollars for ``input_tokens`` prompt and ``output_tokens`` generated tokens."""
        return (input_tokens * self.input + output_tokens * self.output) / _MILLION


FREE = TokenPrices(input=0.0, output=0.0)


def provider_of(llm: Any) -> Optional[str]:
    """The price table's provider of ``llm``: a class's ``_price_provider``, else by its module.

    A custom LLM class declares ``_price_provider: ClassVar[str] = "openai"`` (a
    provider id of the table) or ``"local"`` (free); ``None`` when nothing says.
    """
    declared = getattr(type(llm), "_price_provider", None)
    if isinstance(declared, str) and declared:
        return declared
    for klass in type(llm).__mro__:
        provider = _PROVIDERS.get(getattr(klass, "__module__", ""))
        if provider is not None:
            return provider
    return None


def prices_for(llm: Any) -> Optional[TokenPrices]:
    """What ``llm``'s tokens cost: its override, zero for local models, else the table; ``None`` if unknown."""
    own = getattr(llm, "cost_per_million_tokens", None)
    if own is not None:
        return own
    provider = provider_of(llm)
    if provider in (LOCAL, COMPOSITE):
        return FREE
    try:
        model = llm.model_name
    except Exception:  # an LLM that cannot say its model has no price to find
        model = None
    return lookup(provider, model, getattr(llm, "base_url", None))


def nested_llms(llm: Any) -> List[Any]:
    """``llm`` and the LLMs inside it (a Mixture-of-Agents' proposers and aggregator), each once."""
    from distilabel.models.llms.base import LLM

    found: Dict[int, Any] = {}

    def visit(value: Any) -> None:
        if isinstance(value, LLM):
            if id(value) in found:
                return
            found[id(value)] = value
            for name in type(value).model_fields:
                visit(getattr(value, name, None))
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)

    visit(llm)
    return list(found.values())


def lookup(
    provider: Optional[str], model: Optional[str], base_url: Any = None
) -> Optional[TokenPrices]:
    """The table's prices of ``model`` at ``provider`` (cached); ``None``, with one warning, if unknown."""
    prices, problem = _lookup(provider, model, str(base_url) if base_url else None)
    if prices is None:
        _warn_once(provider, model, problem)
    return prices


@lru_cache(maxsize=1024)
def _lookup(
    provider: Optional[str], model: Optional[str], base_url: Optional[str]
) -> Tuple[Optional[TokenPrices], str]:
    if not model:
        return None, "the LLM names no model"
    if provider is None:
        return None, "its provider is not in the price table"
    try:
        from genai_prices import Usage, calc_price
    except ImportError:
        return None, "the price table is not installed (pip install 'distilabel[cost]')"
    # A server of another provider behind an OpenAI-compatible client is priced as that
    # provider (its URL says which); a URL the table does not know keeps the class's provider.
    attempts = []
    if base_url and provider in ("openai", "litellm"):
        attempts.append({"provider_api_url": base_url})
    attempts.append({"provider_id": provider})
    for where in attempts:
        try:
            # A thousand tokens: below every tier threshold, and exact in Decimal.
            per_thousand_in = calc_price(Usage(input_tokens=1000, output_tokens=0), model, **where)
            per_thousand_out = calc_price(Usage(input_tokens=0, output_tokens=1000), model, **where)
        except LookupError:
            continue
        return (
            TokenPrices(
                input=float(Decimal(per_thousand_in.total_price) * 1000),
                output=float(Decimal(per_thousand_out.total_price) * 1000),
            ),
            "",
        )
    return None, f"the price table ({_table_version()}) has no model {model!r} at {provider!r}"


def _table_version() -> str:
    try:
        from genai_prices import __version__
    except ImportError:  # pragma: no cover - checked before
        return "not installed"
    return f"genai-prices {__version__}"


_warned: set = set()


def _warn_once(provider: Optional[str], model: Optional[str], problem: str) -> None:
    key = (provider, model)
    if key in _warned:
        return
    _warned.add(key)
    _logger.warning(
        "No price is known for model %r (%s): its cost is reported as unknown (None). Set"
        " `cost_per_million_tokens={'input': ..., 'output': ...}` on the LLM (US dollars per"
        " million tokens) to count it.",
        model,
        problem,
    )


def request_cost(output: Any, prices: Optional[TokenPrices]) -> Optional[float]:
    """The cost of one answered request from the usage its output reports; ``None`` when the price is unknown."""
    if prices is None:
        return None
    input_tokens, output_tokens = reported_tokens(output)
    return prices.cost(input_tokens, output_tokens)


def reported_tokens(output: Any) -> Tuple[int, int]:
    """The prompt and generated tokens an output's ``statistics`` report (0 where they say nothing)."""
    statistics = output.get("statistics") if isinstance(output, dict) else None
    if not statistics:
        return 0, 0
    return _sum(statistics.get("input_tokens")), _sum(statistics.get("output_tokens"))


def _sum(value: Any) -> int:
    if isinstance(value, list):
        return sum(int(item) for item in value if isinstance(item, (int, float)))
    return int(value) if isinstance(value, (int, float)) else 0


__all__ = [
    "COMPOSITE",
    "FREE",
    "LOCAL",
    "nested_llms",
    "TokenPrices",
    "lookup",
    "prices_for",
    "provider_of",
    "reported_tokens",
    "request_cost",
]
