"""What makes two runs "the same pipeline": one signature per step, chained through the graph.

A step's signature hashes what decides its output rows: its own dump (class, name,
fields, runtime parameters, mappings, its LLM with model and generation kwargs),
the signatures of the steps it reads from, and the routing that sends rows to it.
So editing a step changes its signature and those of every step downstream of it,
while the steps upstream keep theirs and their finished rows are reused.

Fields that only say *how* a run goes, never *what* comes out, are left out, so
that changing them between a run and its resume does not throw work away: a
step's ``resources`` and ``use_cache``, and an LLM's retry, timeout, concurrency,
rate-limit and circuit-breaker settings, its prices (``cost_per_million_tokens``)
and its offline batch ``jobs_ids`` (which change while a run waits for its batch jobs).
"""

import hashlib
import json
from typing import Any, Dict, List, Optional

_RUN_ONLY_STEP_FIELDS = frozenset({"resources", "use_cache"})
_RUN_ONLY_LLM_FIELDS = frozenset(
    {
        "jobs_ids",
        "offline_batch_generation_block_until_done",
        "max_retries",
        "timeout",
        "max_concurrent_requests",
        "requests_per_minute",
        "tokens_per_minute",
        "circuit_breaker_seconds",
        "cost_per_million_tokens",
    }
)


def digest(value: Any) -> str:
    """A stable hash of a JSON-compatible value."""
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _output_shaping(value: Any) -> Any:
    """``value`` (a dump) without the fields that do not change outputs, at any depth."""
    if isinstance(value, dict):
        # An LLM's dump is the dict that holds its generation kwargs.
        drop = _RUN_ONLY_LLM_FIELDS if "generation_kwargs" in value else ()
        return {key: _output_shaping(item) for key, item in value.items() if key not in drop}
    if isinstance(value, list):
        return [_output_shaping(item) for item in value]
    return value


def step_signatures(graph: Dict[str, Any], order: List[str]) -> Dict[str, str]:
    """The signature of every step, from a pipeline dump's ``steps``/``connections``/``routing_batch_functions``.

    Args:
        graph: the ``pipeline`` part of ``BasePipeline.dump()``.
        order: the steps' names in topological order.
    """
    dumps = {entry["name"]: entry["step"] for entry in graph["steps"]}
    predecessors: Dict[str, List[str]] = {name: [] for name in dumps}
    for connection in graph["connections"]:
        for target in connection["to"]:
            predecessors[target].append(connection["from"])
    routing = {entry["step"]: entry["routing_batch_function"] for entry in graph.get("routing_batch_functions", [])}
    signatures: Dict[str, str] = {}
    for name in order:
        step = {key: value for key, value in dumps[name].items() if key not in _RUN_ONLY_STEP_FIELDS}
        signatures[name] = digest(
            {
                "step": _output_shaping(step),
                "inputs": [[source, signatures[source], routing.get(source)] for source in predecessors[name]],
            }
        )
    return signatures


def pipeline_signature(graph: Dict[str, Any], order: List[str], signatures: Optional[Dict[str, str]] = None) -> str:
    """The signature of the whole pipeline: its steps' signatures and how they connect."""
    steps = signatures if signatures is not None else step_signatures(graph, order)
    return digest({"steps": steps, "connections": graph["connections"]})


__all__ = ["digest", "pipeline_signature", "step_signatures"]
