"""Load stages: which steps are loaded, run and unloaded together.

A run goes stage by stage: the steps of a stage are loaded, run until they have
finished every row, and unloaded (their memory freed) before the next stage loads.
Rows a stage sends to a step of a later stage wait in the sender's row store, and
the later step reads them from there when its stage starts (``scheduler.py``).

- Without ``load_groups`` the whole pipeline is one stage: every step is loaded at
  the start and rows stream through all of them.
- With ``load_groups`` (lists of steps or step names, or ``"sequential_step_execution"``
  for one step per group), as in distilabel 1.5: each group is a stage, each global
  step is a stage of its own (it needs all its input before it starts), and the
  steps in no group between them form stages in topological order.

``get_load_stages(pipeline, None)`` gives the stages distilabel 1.5 would use without
load groups (split at global steps), for code that inspects them; ``engine_stages``
gives the stages this engine runs.
"""

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from distilabel.errors import DistilabelUserError
from distilabel.utils.names import closest_name

if TYPE_CHECKING:
    from distilabel.pipeline.base import BasePipeline

LoadStages = Tuple[List[List[str]], List[List[str]]]
"""The steps of each stage, and the last steps (no successor inside the stage) of each."""

SEQUENTIAL = "sequential_step_execution"


def normalize_load_groups(pipeline: "BasePipeline", load_groups: Any) -> List[List[str]]:
    """``load_groups`` as lists of step names, checked.

    Raises:
        DistilabelUserError: a group names a step that is not in the pipeline (the
            message lists the valid names and the closest one), a step is in two
            groups, or ``load_groups`` is neither a list of groups nor
            ``"sequential_step_execution"``.
    """
    if load_groups is None:
        return []
    steps = pipeline.dag.steps
    if isinstance(load_groups, str):
        if load_groups != SEQUENTIAL:
            raise DistilabelUserError(
                f"load_groups={load_groups!r} is not valid: pass a list of groups (lists of steps or step"
                f" names) or {SEQUENTIAL!r}."
            )
        return [[name] for name in pipeline.dag.topological_order()]
    groups: List[List[str]] = []
    owner: Dict[str, int] = {}
    for index, group in enumerate(load_groups):
        if isinstance(group, str) or not hasattr(group, "__iter__"):
            group = [group]  # one step given without its list
        names = [item if isinstance(item, str) else getattr(item, "name", None) for item in group]
        for name in names:
            if name not in steps:
                close = closest_name(str(name), steps)
                hint = f" Did you mean {close!r}?" if close else ""
                raise DistilabelUserError(
                    f"Load group {index} ({names}) names a step that is not in the pipeline: {name!r}.{hint}"
                    f" The pipeline's steps are: {sorted(steps)}."
                )
            if name in owner and owner[name] != index:
                raise DistilabelUserError(
                    f"Step {name!r} is in load groups {owner[name]} and {index}: a step is loaded once,"
                    " so it may be in one group only."
                )
            owner[name] = index
        groups.append(list(dict.fromkeys(names)))
    return groups


def get_load_stages(pipeline: "BasePipeline", load_groups: Optional[Any] = None) -> LoadStages:
    """The stages distilabel 1.5 computes (lists of step names, in topological order) and each stage's last steps."""
    dag = pipeline.dag
    order = dag.topological_order()
    groups = normalize_load_groups(pipeline, load_groups)
    grouped_already = {name for group in groups for name in group}
    groups += [[name] for name in order if dag.get(name).is_global and name not in grouped_already]
    groups.sort(key=lambda group: min(order.index(name) for name in group))
    groups = [sorted(group, key=order.index) for group in groups]
    grouped = {name for group in groups for name in group}
    stages: List[List[str]] = []
    current: List[str] = []
    for name in order:
        if name not in grouped:
            current.append(name)
            continue
        if current:
            stages.append(current)
            current = []
        group = next(group for group in groups if name in group)
        if group not in stages:
            stages.append(group)
    if current:
        stages.append(current)
    if not stages:
        stages.append(order)
    return stages, _last_steps(pipeline, stages)


def engine_stages(pipeline: "BasePipeline", load_groups: Optional[Any] = None) -> List[List[str]]:
    """The stages this engine runs: one stage of every step without ``load_groups``, else 1.5's.

    Raises:
        DistilabelUserError: as ``normalize_load_groups``, or a stage needs rows from a
            step of a later stage (a group that holds a step and also one of its
            descendants, with a step of another group between them).
    """
    if load_groups is None:
        return [pipeline.dag.topological_order()]
    stages, _ = get_load_stages(pipeline, load_groups)
    stage_of = {name: index for index, stage in enumerate(stages) for name in stage}
    for name, index in stage_of.items():
        for predecessor in pipeline.dag.predecessors(name):
            if stage_of[predecessor] > index:
                raise DistilabelUserError(
                    f"Step {name!r} is loaded in stage {index} but reads the rows of {predecessor!r},"
                    f" which is loaded later (stage {stage_of[predecessor]}): put them in one load group,"
                    " or the steps between them in the same group too."
                )
    return stages


def _last_steps(pipeline: "BasePipeline", stages: List[List[str]]) -> List[List[str]]:
    result = []
    for stage in stages:
        members = set(stage)
        result.append(sorted(name for name in stage if not members.intersection(pipeline.dag.successors(name))))
    return result


__all__ = ["SEQUENTIAL", "LoadStages", "engine_stages", "get_load_stages", "normalize_load_groups"]
