"""Resume: what a run may reuse of the rows earlier runs stored, decided before anything runs.

For each step, in topological order:

- Its rows are reused when a run folder of this pipeline holds a store written
  under the same step signature (see ``signature.py``): this run's folder, or the
  folder of another version of the pipeline (a step added downstream, a step
  edited elsewhere), whose store is copied over.
- Of those rows, a group (the rows made of some inputs) is dropped when one of its
  inputs changed upstream, or when it holds a row whose LLM call failed for a
  transient reason (a rate limit, a server error, a timeout: the row is sent again;
  its successful answers come from the response cache). A row that failed for a
  permanent reason (the provider refused the request, bad input; see
  ``distilabel.runtime.failures``) is kept as it is, unless the run is asked to
  ``retry_failed``, which sends every failed row again. The keys of a dropped
  group's rows are "changed" for the steps downstream.
- A step with nothing to reuse, or with ``use_cache=False``, starts empty, and so
  does every step downstream of it. A global step reuses all of its rows or none.

The store is rewritten with the kept groups only; the engine then sends them on
(a replay) and skips the inputs they finished. Since a step writes a group before
sending its rows on, a step never finished an input its predecessor did not keep,
so the rows of a resumed run are exactly those of a clean run.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Set, Tuple

from distilabel.pipeline.row_store import DONE_FILE, SIGNATURE_FILE, RowKey, RowStore
from distilabel.runtime.failures import row_failure

if TYPE_CHECKING:
    from distilabel.pipeline.dag import DAG

JOBS_FILE = "offline_batch_jobs.json"


@dataclass
class StepResume:
    """What one step reuses from earlier runs.

    Attributes:
        done: the keys of the inputs whose rows are kept (the step skips them).
        replay_bytes: how much of the step's ``rows.jsonl`` holds the kept rows.
        complete: the step finished every input before and nothing of it was dropped.
        kept_rows: how many rows are kept.
        retried: inputs whose failed rows are dropped to be generated again.
        kept_failed: failed rows kept as they are (failed permanently; not sent again).
        source: the run folder the rows came from, when not this run's.
    """

    done: Set[RowKey] = field(default_factory=set)
    replay_bytes: int = 0
    complete: bool = False
    kept_rows: int = 0
    retried: int = 0
    kept_failed: int = 0
    source: Optional[Path] = None


def prepare_resume(
    dag: "DAG",
    order: List[str],
    run_dir: Path,
    signatures: Dict[str, str],
    reuse: Callable[[str], bool],
    retry_failed: bool = False,
) -> Dict[str, StepResume]:
    """Rewrite each step's store under ``run_dir`` to what it reuses; returns what that is.

    Args:
        dag: the pipeline's graph.
        order: the steps in topological order.
        run_dir: this run's folder; other versions of the pipeline are its siblings.
        signatures: each step's signature.
        reuse: whether a step may reuse earlier rows (``use_cache`` of the run and of the step).
        retry_failed: send every failed row again, not only those that failed for a
            transient reason.
    """
    from distilabel.steps.tasks.base import _Task

    # The keys of rows that changed, per step; None when all of them may have.
    changed: Dict[str, Optional[Set[RowKey]]] = {}
    result: Dict[str, StepResume] = {}
    for name in order:
        step = dag.get(name)
        directory = run_dir / "steps" / name
        upstream = [changed[source] for source in dag.predecessors(name)]
        source = None
        if reuse(name) and all(keys is not None for keys in upstream):
            source = _find_store(run_dir, name, signatures[name])
        resume = StepResume()
        if source is not None:
            upstream_changed: Set[RowKey] = set().union(*upstream) if upstream else set()
            failed_step = name if isinstance(step, _Task) else None
            finished = (source / DONE_FILE).exists()
            resume, dropped = _rewrite(source, directory, upstream_changed, failed_step, retry_failed)
            resume.complete = finished and not dropped
            if source != directory:
                resume.source = source.parent.parent
            if step.is_global and not resume.complete:
                source = None  # a global step's output depends on all of its inputs
            else:
                changed[name] = dropped
        if source is None:
            directory.mkdir(parents=True, exist_ok=True)
            (directory / "rows.jsonl").write_text("")
            resume = StepResume()
            changed[name] = None
        (directory / SIGNATURE_FILE).write_text(signatures[name])
        result[name] = resume
    return result


def _find_store(run_dir: Path, name: str, signature: str) -> Optional[Path]:
    """The store of step ``name`` written under ``signature``: this run's, else the newest other version's."""
    own = run_dir / "steps" / name
    if _signature_of(own) == signature:
        return own
    candidates: List[Tuple[bool, float, Path]] = []
    parent = run_dir.parent
    for other in parent.iterdir() if parent.is_dir() else ():
        directory = other / "steps" / name
        if other != run_dir and _signature_of(directory) == signature:
            rows = directory / "rows.jsonl"
            mtime = rows.stat().st_mtime if rows.exists() else 0.0
            candidates.append(((directory / DONE_FILE).exists(), mtime, directory))
    return max(candidates)[2] if candidates else None


def _signature_of(directory: Path) -> Optional[str]:
    try:
        return (directory / SIGNATURE_FILE).read_text().strip()
    except OSError:
        return None


def _rewrite(
    source: Path,
    directory: Path,
    upstream_changed: Set[RowKey],
    failed_step: Optional[str],
    retry_failed: bool = False,
) -> Tuple[StepResume, Set[RowKey]]:
    """Copy the groups of ``source`` worth keeping into ``directory``'s store.

    ``failed_step`` names the task whose failed rows (``error_<step>``) are looked at.
    """
    resume = StepResume()
    dropped: Set[RowKey] = set()
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / "rows.jsonl.tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        for group in RowStore.groups(source):
            failures = (
                [row_failure(row.get("distilabel_metadata"), failed_step) for _, row in group.rows]
                if failed_step is not None
                else []
            )
            failed = [permanent for permanent in failures if permanent is not None]
            resend = bool(failed) and (retry_failed or not all(failed))
            if resend or any(key in upstream_changed for key in group.inputs):
                dropped.update(key for key, _ in group.rows)
                resume.retried += len(group.inputs) if resend else 0
                continue
            out.writelines(group.lines)
            resume.done.update(group.inputs)
            resume.kept_rows += len(group.rows)
            resume.kept_failed += len(failed)
        resume.replay_bytes = out.tell()
    os.replace(temporary, directory / "rows.jsonl")
    # Written again by the engine once the step has finished this run too.
    (directory / DONE_FILE).unlink(missing_ok=True)
    return resume, dropped


# --- offline batch jobs ------------------------------------------------------------------------------


def load_jobs(run_dir: Path) -> Dict[str, Dict[str, object]]:
    """The offline batch jobs recorded for the steps of this run: ``{step: {"signature", "jobs_ids"}}``."""
    try:
        return json.loads((run_dir / JOBS_FILE).read_text())
    except (OSError, ValueError):
        return {}


def save_jobs(run_dir: Path, jobs: Dict[str, Dict[str, object]]) -> None:
    path = run_dir / JOBS_FILE
    if jobs:
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(jobs, indent=2))
        os.replace(temporary, path)
    else:
        path.unlink(missing_ok=True)


__all__ = ["JOBS_FILE", "StepResume", "load_jobs", "prepare_resume", "save_jobs"]
