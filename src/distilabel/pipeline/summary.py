"""The run summary: what a run produced and what it cost, logged and written to ``summary.json``."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from distilabel.models.llms.base import AsyncLLM

if TYPE_CHECKING:
    from distilabel.pipeline.progress import Progress
    from distilabel.pipeline.resume import StepResume
    from distilabel.runtime.cache import ResponseCache

# Counters of ``LLM.request_stats()`` that add up over a run (the others are levels).
_ADDITIVE = ("requests", "retries", "failed_inputs", "cache_hits", "cache_misses", "input_tokens", "output_tokens")


class RunSummary(dict):
    """Per step (``summary[step_name]``): ``rows``, ``failed``, ``errors`` (failed rows by
    reason), ``input_tokens``/``output_tokens``, ``resumed_rows`` (reused from an earlier
    run), ``retried_inputs`` (failed rows of an earlier run sent again) and, for tasks,
    ``llm`` (this run's ``request_stats()``: requests, retries, cache hits...).

    Attributes:
        status: ``"finished"``, ``"waiting_for_batch_jobs"``, ``"circuit_open"`` or ``"interrupted"``.
        message: what to do next, when the run did not finish.
        leaves: rows out per leaf step (the datasets of the ``Distiset``).
        totals: requests, retries, cache hits, failed rows and tokens over all steps.
        cache: the response cache's counters (``None`` without a cache).
        offline_batch_jobs: the batch jobs a run waits for, per step.
        elapsed: seconds the run took.
    """

    def __init__(self, steps: Dict[str, Dict[str, Any]]) -> None:
        super().__init__(steps)
        self.status = "finished"
        self.message: Optional[str] = None
        self.leaves: Dict[str, int] = {}
        self.totals: Dict[str, Any] = {}
        self.cache: Optional[Dict[str, int]] = None
        self.offline_batch_jobs: Dict[str, List[str]] = {}
        self.elapsed = 0.0

    def as_dict(self) -> Dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "elapsed_seconds": round(self.elapsed, 3),
            "leaves": self.leaves,
            "totals": self.totals,
            "cache": self.cache,
            "offline_batch_jobs": self.offline_batch_jobs,
            "steps": dict(self),
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2, default=str))

    def text(self) -> str:
        """The summary as a person reads it in the log."""
        totals = self.totals
        head = {"finished": "Pipeline finished"}.get(self.status, f"Pipeline stopped ({self.status})")
        lines = [f"{head} in {self.elapsed:.1f} s"]
        for name, step in self.items():
            parts = [f"{name}: {step['rows']} rows"]
            if step.get("resumed_rows"):
                parts.append(f"{step['resumed_rows']} reused from an earlier run")
            if step.get("failed"):
                parts.append(f"{step['failed']} failed")
            llm = step.get("llm")
            if llm:
                parts.append(
                    f"{llm['requests']} requests ({llm['retries']} retries), {llm['cache_hits']} cache hits"
                )
            if step.get("input_tokens") or step.get("output_tokens"):
                parts.append(f"tokens {step['input_tokens']} in / {step['output_tokens']} out")
            lines.append("  " + ", ".join(parts))
            for reason, count in step.get("errors", {}).items():
                lines.append(f"    {count} failed: {reason}")
            if llm and llm.get("failed_requests"):
                causes = ", ".join(f"{cause}: {count}" for cause, count in llm["failed_requests"].items())
                lines.append(f"    failed requests (retried or not): {causes}")
        lines.append(
            f"  total: {totals.get('requests', 0)} requests, {totals.get('retries', 0)} retries,"
            f" {totals.get('cache_hits', 0)} cache hits, {totals.get('failed_rows', 0)} failed rows,"
            f" tokens {totals.get('input_tokens', 0)} in / {totals.get('output_tokens', 0)} out"
        )
        if self.message:
            lines.append(self.message)
        return "\n".join(lines)


def llm_stats(steps: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """``request_stats()`` of each step's LLM, now (to subtract at the end of the run)."""
    return {name: step.llm.request_stats() for name, step in steps.items() if _has_llm(step)}


def _has_llm(step: Any) -> bool:
    from distilabel.models.llms.base import LLM

    return isinstance(getattr(step, "llm", None), LLM)


def _delta(after: Dict[str, Any], before: Dict[str, Any]) -> Dict[str, Any]:
    result = dict(after)
    for key in _ADDITIVE:
        if key in after:
            result[key] = after[key] - before.get(key, 0)
    failed = dict(after.get("failed_requests") or {})
    for cause, count in (before.get("failed_requests") or {}).items():
        failed[cause] = failed.get(cause, 0) - count
    result["failed_requests"] = {cause: count for cause, count in failed.items() if count}
    return result


def _token_counts(entry: Dict[str, Any]) -> Dict[str, int]:
    return {"input_tokens": entry.get("input_tokens", 0), "output_tokens": entry.get("output_tokens", 0)}


def build_summary(
    progress: "Progress",
    steps: Dict[str, Any],
    leaves: List[str],
    before: Dict[str, Dict[str, Any]],
    resume: Dict[str, "StepResume"],
    cache: Optional["ResponseCache"],
) -> RunSummary:
    """The summary of a run from its counters; ``before`` is ``llm_stats`` at its start."""
    entries = progress.summary()
    totals: Dict[str, Any] = dict.fromkeys(
        ("requests", "retries", "cache_hits", "failed_rows", "input_tokens", "output_tokens"), 0
    )
    for name, entry in entries.items():
        entry["resumed_rows"] = resume[name].kept_rows if name in resume else 0
        entry["retried_inputs"] = resume[name].retried if name in resume else 0
        totals["failed_rows"] += entry["failed"]
        step = steps[name]
        if _has_llm(step):
            stats = _delta(step.llm.request_stats(), before.get(name, {}))
            entry["llm"] = stats
            # Async LLMs count the tokens of the requests they sent; sync (local) LLMs
            # send no requests, so their rows' statistics are what the run spent.
            counted = stats if isinstance(step.llm, AsyncLLM) else {**stats, **_token_counts(entry)}
            for key in ("requests", "retries", "cache_hits", "input_tokens", "output_tokens"):
                totals[key] += counted.get(key, 0)
    summary = RunSummary(entries)
    summary.leaves = {name: entries[name]["rows"] for name in leaves}
    summary.totals = totals
    summary.elapsed = progress.elapsed
    if cache is not None:
        try:
            summary.cache = cache.stats()
        except Exception:  # a cache that failed to write must not hide the run's outcome
            summary.cache = None
    return summary


__all__ = ["RunSummary", "build_summary", "llm_stats"]
