"""The run summary: what a run produced and what it cost, logged and written to ``summary.json``.

It also decides how a run ends for the caller: a run in which some task got no
answer at all (every row of it failed, e.g. the server was down) raises
``DistilabelRunFailedError`` after the summary is written and the rows are kept, so
a script exits non-zero; Ctrl-C raises a ``KeyboardInterrupt`` that, uncaught,
prints as one line: how many rows were saved, where, and how to resume.
"""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from distilabel.errors import DistilabelUserError
from distilabel.models.llms.base import AsyncLLM

if TYPE_CHECKING:
    from distilabel.distiset import Distiset
    from distilabel.pipeline.progress import Progress
    from distilabel.pipeline.resume import StepResume
    from distilabel.runtime.cache import ResponseCache

# Counters of ``LLM.request_stats()`` that add up over a run (the others are levels).
_ADDITIVE = ("requests", "retries", "failed_inputs", "cache_hits", "cache_misses", "input_tokens", "output_tokens")


class RunSummary(dict):
    """Per step (``summary[step_name]``): ``rows``, ``failed``, ``errors`` (failed rows by
    reason), ``input_tokens``/``output_tokens``, ``resumed_rows`` (reused from an earlier
    run), ``retried_inputs`` (failed rows of an earlier run sent again), ``kept_failed_rows``
    (rows of an earlier run that failed permanently, kept without sending them again),
    ``cost_usd`` (what this run's new requests of the step cost in US dollars; ``None``
    when a model's price is unknown) and, for tasks, ``llm`` (this run's
    ``request_stats()``: requests, retries, cache hits...).

    Attributes:
        status: ``"finished"``, ``"failed"`` (a task got no answer for any of its rows, or an
            error stopped the run), ``"waiting_for_batch_jobs"``, ``"circuit_open"``,
            ``"budget_exceeded"`` (``max_budget`` had no room for the next request) or ``"interrupted"``.
        message: what to do next, when the run did not finish.
        leaves: rows out per leaf step (the datasets of the ``Distiset``).
        totals: requests, retries, cache hits, failed rows, tokens and ``cost_usd`` over all steps.
        budget: with ``max_budget``: the budget, what was spent against it and how many
            requests it let through.
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
        self.budget: Optional[Dict[str, Any]] = None
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
            "budget": self.budget,
            "offline_batch_jobs": self.offline_batch_jobs,
            "steps": dict(self),
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2, default=str))

    def text(self, with_message: bool = True) -> str:
        """The summary as a person reads it in the log (``message`` last, unless ``with_message=False``)."""
        totals = self.totals
        head = {"finished": "Pipeline finished", "failed": "Pipeline failed"}.get(
            self.status, f"Pipeline stopped ({self.status})"
        )
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
            if llm:
                parts.append(f"cost {format_cost(step.get('cost_usd'))}")
            if step.get("retried_inputs"):
                parts.append(f"{step['retried_inputs']} failed earlier and sent again")
            if step.get("kept_failed_rows"):
                parts.append(f"{step['kept_failed_rows']} kept failed (permanent errors; --retry-failed resends them)")
            lines.append("  " + ", ".join(parts))
            for reason, count in step.get("errors", {}).items():
                lines.append(f"    {count} failed: {reason}")
            if llm and llm.get("failed_requests"):
                causes = ", ".join(f"{cause}: {count}" for cause, count in llm["failed_requests"].items())
                lines.append(f"    failed requests (retried or not): {causes}")
        lines.append(
            f"  total: {totals.get('requests', 0)} requests, {totals.get('retries', 0)} retries,"
            f" {totals.get('cache_hits', 0)} cache hits, {totals.get('failed_rows', 0)} failed rows,"
            f" tokens {totals.get('input_tokens', 0)} in / {totals.get('output_tokens', 0)} out,"
            f" cost {format_cost(totals.get('cost_usd'))}"
        )
        if self.budget:
            lines.append(
                f"  budget: {format_cost(self.budget['spent_usd'])} spent of {format_cost(self.budget['max_budget_usd'])}"
            )
        if self.message and with_message:
            lines.append(self.message)
        return "\n".join(lines)

    def unanswered_steps(self, steps: Dict[str, Any]) -> List[str]:
        """The tasks that ran on rows this run and got no answer for any of them.

        A task counts when it sent work and nothing came back: for an ``AsyncLLM``,
        every request failed and none was answered from the cache; for other LLMs,
        every generation failed for a reason other than an unparsable answer and no
        token was generated. An answer the task could not parse is the model's
        quality, not a broken run, so it never counts; nor does a task that reused
        finished rows of an earlier run (resending the few rows that failed then, and
        fail again, is not a run that made nothing).
        """
        names = []
        for name, entry in self.items():
            step = steps.get(name)
            llm = step.llm_in_use if step is not None else None
            if llm is None or not entry.get("failed") or entry.get("resumed_rows"):
                continue
            stats = entry.get("llm") or {}
            if isinstance(llm, AsyncLLM):
                failed_requests = sum((stats.get("failed_requests") or {}).values())
                answered = stats.get("requests", 0) - failed_requests + stats.get("cache_hits", 0)
                if stats.get("requests", 0) > 0 and answered <= 0:
                    names.append(name)
                continue
            unparsed = entry.get("errors", {}).get(_UNPARSABLE, 0)
            new_rows = entry["rows"]
            per_row = getattr(step, "num_generations", 1) if getattr(step, "group_generations", False) else 1
            unanswered = entry["failed"] - unparsed
            if new_rows > 0 and unanswered >= new_rows * per_row and not entry.get("output_tokens"):
                names.append(name)
        return names


# How the progress counters group a failure of the task's parser (``format_output``).
_UNPARSABLE = "format_output failed"


class DistilabelRunFailedError(DistilabelUserError):
    """A task got no answer for any of its rows: the run produced nothing usable.

    Raised by ``Pipeline.run`` after the summary was written (``summary.json``) and
    the rows were kept, so a script exits with a non-zero status instead of saving a
    dataset of ``None``. The rows, each with its error in ``distilabel_metadata``,
    are still available.

    Attributes:
        steps: the names of the tasks that got no answer.
        summary: the run summary (``pipeline.last_run_summary``).
        distiset: the rows the run made, failed ones included.
    """

    def __init__(self, message: str, steps: List[str], summary: "RunSummary", distiset: "Distiset") -> None:
        super().__init__(message)
        self.steps = steps
        self.summary = summary
        self.distiset = distiset


def format_cost(cost: Optional[float]) -> str:
    """Dollars as a person reads them: ``$0.0123``, ``$12.35``; ``unknown`` for ``None``."""
    if cost is None:
        return "unknown"
    return f"${cost:.2f}" if cost >= 100 else f"${cost:.4f}"


def llm_costs(steps: Dict[str, Any]) -> Dict[str, Dict[int, Optional[float]]]:
    """What each LLM of each step (nested ones too) has cost so far, by ``id``, to subtract at the end."""
    from distilabel.runtime.pricing import nested_llms

    costs: Dict[str, Dict[int, Optional[float]]] = {}
    for name, step in steps.items():
        if step.llm_in_use is not None:
            costs[name] = {id(llm): llm.request_stats().get("cost_usd") for llm in nested_llms(step.llm_in_use)}
    return costs


def _step_cost(step: Any, before: Dict[int, Optional[float]]) -> Optional[float]:
    """This run's cost of a step's LLMs (a Mixture-of-Agents' proposers and aggregator too)."""
    from distilabel.runtime.pricing import nested_llms

    if step.llm_in_use is None:
        return 0.0
    total = 0.0
    for llm in nested_llms(step.llm_in_use):
        after = llm.request_stats().get("cost_usd")
        if after is None:
            return None
        total += after - (before.get(id(llm)) or 0.0)
    return round(total, 10)


def llm_stats(steps: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """``request_stats()`` of each step's LLM, now (to subtract at the end of the run)."""
    return {name: step.llm_in_use.request_stats() for name, step in steps.items() if step.llm_in_use is not None}


def _delta(after: Dict[str, Any], before: Dict[str, Any]) -> Dict[str, Any]:
    result = dict(after)
    for key in _ADDITIVE:
        if key in after:
            result[key] = after[key] - before.get(key, 0)
    if after.get("cost_usd") is not None:
        result["cost_usd"] = round(after["cost_usd"] - (before.get("cost_usd") or 0.0), 10)
    failed = dict(after.get("failed_requests") or {})
    for cause, count in (before.get("failed_requests") or {}).items():
        failed[cause] = failed.get(cause, 0) - count
    result["failed_requests"] = {cause: count for cause, count in failed.items() if count}
    return result


def build_summary(
    progress: "Progress",
    steps: Dict[str, Any],
    leaves: List[str],
    before: Dict[str, Dict[str, Any]],
    resume: Dict[str, "StepResume"],
    cache: Optional["ResponseCache"],
    costs_before: Optional[Dict[str, Dict[int, Optional[float]]]] = None,
) -> RunSummary:
    """The summary of a run from its counters; ``before`` is ``llm_stats`` at its start
    (and ``costs_before`` is ``llm_costs``)."""
    entries = progress.summary()
    totals: Dict[str, Any] = dict.fromkeys(
        (
            "requests",
            "retries",
            "cache_hits",
            "failed_rows",
            "input_tokens",
            "output_tokens",
            "retried_inputs",
            "kept_failed_rows",
        ),
        0,
    )
    total_cost: Optional[float] = 0.0
    for name, entry in entries.items():
        entry["resumed_rows"] = resume[name].kept_rows if name in resume else 0
        entry["retried_inputs"] = resume[name].retried if name in resume else 0
        entry["kept_failed_rows"] = resume[name].kept_failed if name in resume else 0
        cost = _step_cost(steps[name], (costs_before or {}).get(name, {}))
        entry["cost_usd"] = cost
        total_cost = None if total_cost is None or cost is None else total_cost + cost
        totals["failed_rows"] += entry["failed"]
        totals["retried_inputs"] += entry["retried_inputs"]
        totals["kept_failed_rows"] += entry["kept_failed_rows"]
        llm = steps[name].llm_in_use
        if llm is not None:
            stats = _delta(llm.request_stats(), before.get(name, {}))
            entry["llm"] = stats
            # Sync (local) LLMs go through the same counting as async ones: one request per
            # input, the tokens each output reports.
            for key in ("requests", "retries", "cache_hits", "input_tokens", "output_tokens"):
                totals[key] += stats.get(key, 0)
    totals["cost_usd"] = None if total_cost is None else round(total_cost, 10)
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


def run_interrupted(message: str) -> KeyboardInterrupt:
    """The ``KeyboardInterrupt`` ``Pipeline.run`` raises on Ctrl-C, saying ``message``.

    A plain ``KeyboardInterrupt``, not a subclass: Python gives a script the exit
    status of a program stopped by Ctrl-C (130) only for that exact type. It is
    marked, so that uncaught it prints as its one-line message (see
    ``is_run_interrupted``) instead of a traceback.
    """
    error = KeyboardInterrupt(message)
    error.distilabel_interrupted = True  # type: ignore[attr-defined]
    return error


def is_run_interrupted(error: BaseException) -> bool:
    """Whether ``error`` is the interruption of a run raised by ``run_interrupted``."""
    return isinstance(error, KeyboardInterrupt) and getattr(error, "distilabel_interrupted", False)


__all__ = [
    "DistilabelRunFailedError",
    "RunSummary",
    "build_summary",
    "format_cost",
    "is_run_interrupted",
    "llm_costs",
    "llm_stats",
    "run_interrupted",
]
