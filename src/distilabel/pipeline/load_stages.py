"""``get_load_stages``: which steps distilabel 1.5 loads together, for given load groups.

distilabel 1.5 loads a pipeline's steps in stages: each global step is a stage of its
own (it needs all its input before it starts, and its successors wait for it), each
load group is a stage, and the steps between them form stages in topological order.
This engine loads every step at the start (``load_groups`` are accepted and ignored),
so the stages here describe what a 1.5 run would do, for code that inspects them.
"""

from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from distilabel.errors import DistilabelUserError

if TYPE_CHECKING:
    from distilabel.pipeline.base import BasePipeline

LoadStages = Tuple[List[List[str]], List[List[str]]]
"""The steps of each stage, and the last steps (no successor inside the stage) of each."""


def normalize_load_groups(pipeline: "BasePipeline", load_groups: Any) -> List[List[str]]:
    """``load_groups`` as lists of step names (steps or names; ``"sequential_step_execution"``: one step each)."""
    if load_groups is None:
        return []
    if load_groups == "sequential_step_execution":
        return [[name] for name in pipeline.dag.steps]
    groups = []
    for group in load_groups:
        names = [item if isinstance(item, str) else getattr(item, "name", None) for item in group]
        unknown = [name for name in names if name not in pipeline.dag.steps]
        if unknown:
            raise DistilabelUserError(f"Load group {names} names steps that are not in the pipeline: {unknown}.")
        groups.append(names)
    return groups


def get_load_stages(pipeline: "BasePipeline", load_groups: Optional[Any] = None) -> LoadStages:
    """The stages (lists of step names, in topological order) and each stage's last steps."""
    dag = pipeline.dag
    order = dag.topological_order()
    groups = normalize_load_groups(pipeline, load_groups)
    groups += [[name] for name in order if dag.get(name).is_global]
    groups.sort(key=lambda group: order.index(group[0]))
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
    last_steps = []
    for stage in stages:
        members = set(stage)
        last_steps.append(sorted(name for name in stage if not members.intersection(dag.successors(name))))
    return stages, last_steps


__all__ = ["LoadStages", "get_load_stages", "normalize_load_groups"]
