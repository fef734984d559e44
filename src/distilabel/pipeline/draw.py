"""A pipeline as a Mermaid flowchart (``pipeline.draw()``), made here without the network.

Each step is a node showing its name and class; each connection an arrow, labelled
with the columns that flow along it (``from_column:to_column`` where a mapping
renames one). Each leaf step ends in a ``Distiset`` node. Paste the text into any
Mermaid renderer (GitHub and GitLab render ```` ```mermaid ```` blocks, and so do
Jupyter and most editors) to see the graph.
"""

import re
from typing import TYPE_CHECKING, List

if TYPE_CHECKING:
    from distilabel.pipeline.base import BasePipeline
    from distilabel.steps.base import _Step

_UNSAFE = re.compile(r'["|<>]')


def _text(value: str) -> str:
    # Quotes, pipes and angle brackets end a Mermaid label early.
    return _UNSAFE.sub("_", value)


def _edge_label(source: "_Step", target: "_Step") -> str:
    """The columns ``source`` writes that ``target`` receives, renamed as mappings rename them."""
    renamed_for_target = {column: name for name, column in target.input_mappings.items()}
    labels = []
    for column in source.get_outputs():
        written = source.output_mappings.get(column, column)
        read = renamed_for_target.get(written, written)
        labels.append(":".join(dict.fromkeys([column, written, read])))
    return _text(", ".join(labels))


def pipeline_to_mermaid(pipeline: "BasePipeline", top_to_bottom: bool = False, show_edge_labels: bool = True) -> str:
    """The Mermaid flowchart of ``pipeline``.

    Args:
        pipeline: the pipeline to draw.
        top_to_bottom: draw top to bottom (``TD``) instead of left to right (``LR``).
        show_edge_labels: label each arrow with the columns it carries.
    """
    dag = pipeline.dag
    lines: List[str] = [f"flowchart {'TD' if top_to_bottom else 'LR'}"]
    for name, step in dag.steps.items():
        lines.append(f'    {name}["{_text(name)}<br/>{_text(type(step).__name__)}"]')
    for index, _ in enumerate(dag.leaves):
        lines.append(f'    distiset_{index}["Distiset"]')
    for source, target in dag.edges():
        routed = source in pipeline.routing_batch_functions
        arrow = "-.->" if routed else "-->"
        label = _edge_label(dag.get(source), dag.get(target)) if show_edge_labels else ""
        lines.append(f"    {source} {arrow}|{label}| {target}" if label else f"    {source} {arrow} {target}")
    for index, leaf in enumerate(dag.leaves):
        lines.append(f"    {leaf} --> distiset_{index}")
    return "\n".join(lines) + "\n"


__all__ = ["pipeline_to_mermaid"]
