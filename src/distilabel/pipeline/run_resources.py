"""What a run sets up around the scheduler and undoes after it, and how it ends.

Before the steps run: the resumed stores (``resume.py``), the pipeline's response
cache attached to every LLM that may use it, the run's spending limit
(``max_budget``, ``distilabel.runtime.budget``) shared by every LLM, and the offline
batch jobs an earlier run left to collect. After: the run summary (``summary.py``), written and logged
whatever the outcome, the error a run raises when it made nothing usable, the one
line an interrupted run prints, and every LLM given back the cache it had before.
"""

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from distilabel.errors import DistilabelUserError
from distilabel.pipeline.report import write_report
from distilabel.pipeline.resume import JOBS_FILE, StepResume, load_jobs, prepare_resume, save_jobs
from distilabel.pipeline.row_store import RowStore
from distilabel.pipeline.run_lock import RunLock
from distilabel.pipeline.summary import (
    DistilabelRunFailedError,
    RunSummary,
    build_summary,
    format_cost,
    is_run_interrupted,
    llm_costs,
    llm_stats,
    run_interrupted,
)
from distilabel.runtime.budget import Budget
from distilabel.runtime.cache import ResponseCache
from distilabel.runtime.pricing import nested_llms, prices_for

if TYPE_CHECKING:
    from distilabel.distiset import Distiset
    from distilabel.pipeline.base import BasePipeline
    from distilabel.pipeline.scheduler import Scheduler

logger = logging.getLogger("distilabel.pipeline")


class RunResources:
    """The response cache, the resumed stores, offline batch jobs of an earlier run, and the summary.

    Args:
        pipeline: the pipeline being run.
        order: its steps in topological order.
        run_dir: the run's folder.
        use_cache: whether this run may reuse earlier rows and answers.
        lock: the run folder's lock, released by ``close``.
        max_budget: the most this run may spend on new requests, in US dollars.
        retry_failed: send every failed row of an earlier run again (not only those
            that failed for a transient reason).
    """

    def __init__(
        self,
        pipeline: "BasePipeline",
        order: List[str],
        run_dir: Path,
        use_cache: bool,
        lock: Optional[RunLock] = None,
        max_budget: Optional[float] = None,
        retry_failed: bool = False,
    ) -> None:
        self.pipeline = pipeline
        self.lock = lock
        self.order = order
        self.run_dir = run_dir
        self.use_cache = use_cache
        self.steps = {name: pipeline.dag.get(name) for name in order}
        self.cache: Optional[ResponseCache] = None
        self.previous_caches: Dict[str, Any] = {}
        self.before: Dict[str, Dict[str, Any]] = {}
        self.resume: Dict[str, StepResume] = {}
        self._report_later = False
        self.retry_failed = retry_failed
        self.budget: Optional[Budget] = Budget(max_budget) if max_budget is not None else None
        self.costs_before: Dict[str, Dict[int, Optional[float]]] = {}
        # Every LLM of the run (nested ones too), for the budget and the live cost.
        self.llms: Dict[str, List[Any]] = {
            name: nested_llms(step.llm_in_use) for name, step in self.steps.items() if step.llm_in_use is not None
        }

    def prepare(self) -> Dict[str, StepResume]:
        pipeline = self.pipeline
        signatures = pipeline._step_signatures

        def reuse(name: str) -> bool:
            return self.use_cache and self.steps[name].use_cache

        if self.budget is not None:
            self._check_prices()
        self.resume = prepare_resume(pipeline.dag, self.order, self.run_dir, signatures, reuse, self.retry_failed)
        reused = {name: r for name, r in self.resume.items() if r.kept_rows}
        if reused:
            logger.info(
                "Reusing rows of an earlier run: %s",
                ", ".join(f"{name} {r.kept_rows}" + (" (complete)" if r.complete else "") for name, r in reused.items()),
            )
        llms = {name: step.llm_in_use for name, step in self.steps.items() if step.llm_in_use is not None}
        if self.use_cache and any(self.steps[name].use_cache for name in llms):
            # Outside the run folder: another version of the pipeline finds the same responses.
            # Each answer is committed before its row moves on (0.04 ms a store, measured, the
            # same as writing behind): a kill -9 loses no answer that was paid for.
            self.cache = ResponseCache.in_directory(pipeline.cache_root, write_behind=False)
        for name, llm in llms.items():
            self.previous_caches[name] = llm.response_cache  # type: ignore[union-attr]
            if llm.response_cache is None and self.cache is not None and self.steps[name].use_cache:  # type: ignore[union-attr]
                llm.use_cache(self.cache)  # type: ignore[union-attr]
        jobs = load_jobs(self.run_dir) if self.use_cache else {}
        for name in llms:
            record = jobs.get(name)
            same_step = record is not None and record.get("signature") == signatures[name]
            if same_step and not self.resume[name].complete:
                step = self.steps[name]
                if step.resume_offline_batch_jobs(record["jobs_ids"]):  # type: ignore[index,arg-type]
                    logger.info("Step %r checks its offline batch jobs %s again", name, list(step.offline_batch_jobs))
        self.before = llm_stats(self.steps)
        self.costs_before = llm_costs(self.steps)
        if self.budget is not None:
            for llms in self.llms.values():
                for llm in llms:
                    llm._state.budget = self.budget
        return self.resume

    def _check_prices(self) -> None:
        """A budget needs every model's price: name the LLMs without one before anything is spent."""
        unknown = [
            f"{type(llm).__name__}(model={getattr(llm, 'model_name', '?')!r}) of step {name!r}"
            for name, llms in self.llms.items()
            for llm in llms
            if prices_for(llm) is None
        ]
        if unknown:
            raise DistilabelUserError(
                "max_budget needs the price of every model, and these have none in the price table: "
                + ", ".join(unknown)
                + ". Set `cost_per_million_tokens={'input': ..., 'output': ...}` (US dollars per million"
                " tokens) on those LLMs."
            )

    def watch(self, progress: Any) -> None:
        """Add each new request's cost to its step's live counters (``StepCounters.cost_usd``)."""
        for name, llms in self.llms.items():
            counters = progress[name]

            def add(cost: float, counters: Any = counters) -> None:
                counters.cost_usd += cost

            for llm in llms:
                llm._state.stats.on_cost = add

    def finish(
        self, engine: "Scheduler", status: str, message: Optional[str] = None, quiet: bool = False
    ) -> RunSummary:
        """Write and log the summary; a ``"finished"`` run in which a task got no answer
        at all becomes ``"failed"``. With ``quiet``, a failure to summarise (the run is
        already failing with its own error) is logged instead of raised."""
        if not quiet:
            return self._finish(engine, status, message)
        try:
            return self._finish(engine, status, message)
        except Exception as error:
            logger.warning("Could not summarise the run: %s", error)
            return RunSummary({})

    def _finish(self, engine: "Scheduler", status: str, message: Optional[str]) -> RunSummary:
        waiting = self._record_jobs()
        if status == "budget_exceeded":
            message = self._budget_message(engine, message)
        if status == "waiting_for_batch_jobs":
            message = (
                "Waiting for offline batch jobs: "
                + "; ".join(f"step {name!r}: {', '.join(ids)}" for name, ids in waiting.items())
                + f". Their ids are saved in {self.run_dir / JOBS_FILE} and pipeline.yaml; run the pipeline again"
                " with the same code to collect the results (no new jobs are created)."
            )
        summary = build_summary(
            engine.progress, self.steps, self.pipeline.dag.leaves, self.before, self.resume, self.cache, self.costs_before
        )
        if self.budget is not None:
            summary.budget = self.budget.as_dict()
        unanswered = summary.unanswered_steps(self.steps) if status == "finished" else []
        if unanswered:
            status, message = "failed", self._unanswered_message(summary, unanswered)
        summary.status = status
        summary.message = message
        summary.offline_batch_jobs = waiting
        self.pipeline.last_run_summary = summary
        try:
            summary.write(self.run_dir / "summary.json")
        except OSError as error:
            logger.warning("Could not write the run summary: %s", error)
        if status == "finished":
            logger.info(summary.text())
        elif status == "failed":
            logger.error(summary.text())
        else:
            # An interrupted run ends with its message as the one line a person reads.
            logger.warning(summary.text(with_message=status != "interrupted"))
        if not self._report_later:  # ``interrupted`` writes it once its message is final
            report = write_report(self.run_dir)
            if report is not None:
                logger.info("Run report: %s", report)
        return summary

    def _budget_message(self, engine: "Scheduler", reason: Optional[str]) -> str:
        budget = self.budget
        rows = sum(engine.progress[name].rows_out for name in self.pipeline.dag.leaves)
        spent = format_cost(budget.spent if budget is not None else None)
        limit = format_cost(budget.limit if budget is not None else None)
        return (
            f"Stopped before the budget was exceeded: {spent} of max_budget={limit} spent."
            + (f" {reason}" if reason else "")
            + f" The finished rows ({rows} in the leaf steps this run) are kept in {self.run_dir / 'steps'}."
            " To go on, run the same pipeline again with a max_budget for what is left (`max_budget` counts"
            " this run's new requests only; finished rows and cached answers are reused without paying"
            " again). `pipeline.estimate()` tells what the whole run may cost."
        )

    def _unanswered_message(self, summary: RunSummary, names: List[str]) -> str:
        parts = []
        for name in names:
            entry = summary[name]
            errors = ", ".join(f"{reason} x{count}" for reason, count in entry.get("errors", {}).items())
            example = _first_error(self.run_dir / "steps" / name, name)
            parts.append(
                f"every row of step {name!r} failed ({entry['rows']} rows; {errors})"
                + (f", e.g. {example}" if example else "")
            )
        return (
            "The run made no usable data: " + "; ".join(parts) + ". The rows, each with its error in"
            f" distilabel_metadata, are kept in {self.run_dir / 'steps'}; fix the cause and run again"
            " (failed rows are sent again, finished ones are reused)."
        )

    def failure(self, summary: RunSummary, distiset: Optional["Distiset"]) -> DistilabelRunFailedError:
        """The error ``Pipeline.run`` raises for a run whose summary says ``"failed"``."""
        names = summary.unanswered_steps(self.steps)
        return DistilabelRunFailedError(summary.message or "The run failed.", names, summary, distiset)  # type: ignore[arg-type]

    def interrupted(self, engine: "Scheduler") -> KeyboardInterrupt:
        """Summarise an interrupted run; the exception to raise says what was saved and how to resume."""
        self._report_later = True
        summary = self.finish(engine, "interrupted", quiet=True)
        rows = sum(summary.leaves.values())
        if self.use_cache:
            how = "run the same command again to resume from them"
        else:
            how = "this run had use_cache=False, so a new run starts over; run with use_cache=True to resume"
        message = f"Interrupted: {rows} finished rows are saved in {self.run_dir}; {how}."
        summary.message = message
        try:
            summary.write(self.run_dir / "summary.json")
        except OSError:
            pass
        write_report(self.run_dir)
        _print_uncaught_interrupts_briefly()
        return run_interrupted(message)

    def _record_jobs(self) -> Dict[str, List[str]]:
        """Save the ids of the batch jobs still running, so the next run polls them."""
        jobs: Dict[str, Dict[str, Any]] = {}
        for name, step in self.steps.items():
            ids = step.offline_batch_jobs
            if ids:
                jobs[name] = {"signature": self.pipeline._step_signatures[name], "jobs_ids": list(ids)}
        save_jobs(self.run_dir, jobs)
        if jobs:
            self.pipeline._write_dump(self.run_dir)  # pipeline.yaml holds the LLMs' jobs_ids too
        return {name: record["jobs_ids"] for name, record in jobs.items()}

    def close(self) -> None:
        try:
            for llms in self.llms.values():
                for llm in llms:
                    llm._state.stats.on_cost = None
                    if self.budget is not None and llm._state.budget is self.budget:
                        llm._state.budget = None
            for name, previous in self.previous_caches.items():
                self.steps[name].llm_in_use.use_cache(previous)  # type: ignore[union-attr]
            if self.cache is not None:
                self.cache.close()
        finally:
            if self.lock is not None:
                self.lock.release()


def _first_error(directory: Path, name: str) -> Optional[str]:
    """The error of the first stored row of step ``name``, for the failure message."""
    from distilabel.steps.base import DISTILABEL_METADATA_KEY

    try:
        rows = RowStore.read(directory)
        try:
            for _, row in rows:
                error = (row.get(DISTILABEL_METADATA_KEY) or {}).get(f"error_{name}")
                if isinstance(error, list):
                    error = next((e for e in error if e), None)
                if error:
                    return str(error)
                break
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()
    except Exception:  # the message is still useful without an example
        return None
    return None


def _print_uncaught_interrupts_briefly() -> None:
    """Make an uncaught interruption of a run print its one-line message, not a traceback.

    Python prints an uncaught exception with ``sys.excepthook``; the hook installed
    here prints a run's ``KeyboardInterrupt`` as its message and hands everything
    else to the hook it replaced (the exit status stays 130, as for any Ctrl-C).
    """
    previous = sys.excepthook
    if getattr(previous, "_distilabel_brief_interrupts", False):
        return

    def excepthook(kind: Any, value: BaseException, traceback: Any) -> None:
        if is_run_interrupted(value):
            print(str(value), file=sys.stderr)
        else:
            previous(kind, value, traceback)

    excepthook._distilabel_brief_interrupts = True  # type: ignore[attr-defined]
    sys.excepthook = excepthook


__all__ = ["RunResources"]
