"""What a whole run may cost, from a run on a sample: ``Pipeline.estimate(sample=N)``.

The pipeline runs on the first ``N`` rows of each generator, as ``dry_run`` does (its
own run folder, no response cache, so the sample's requests are really sent). Each
step's rows, tokens and cost are divided by the rows its generators made in the
sample, and multiplied by the rows they would make in a full run (their
``total_rows``). A step whose generators cannot say how many rows they make gets the
per-row figures only. Answers vary in length, so the figures are an estimate: a
larger sample gives a better one.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set

from distilabel.pipeline.summary import format_cost

if TYPE_CHECKING:
    from distilabel.pipeline.local import Pipeline


@dataclass
class StepEstimate:
    """One step's figures in the sample, per generator row, and extrapolated to the whole run.

    Attributes:
        name: the step.
        sample_rows: rows the step made in the sample.
        generator_rows: rows its generators made in the sample.
        input_tokens: prompt tokens of the sample.
        output_tokens: generated tokens of the sample.
        cost_usd: what the sample cost (``None``: a model has no known price).
        total_generator_rows: rows its generators make in a full run (``None``: unknown).
        has_llm: whether the step calls an LLM.
    """

    name: str
    sample_rows: int
    generator_rows: int
    input_tokens: int
    output_tokens: int
    cost_usd: Optional[float]
    total_generator_rows: Optional[int]
    has_llm: bool = False

    def _per_row(self, value: Optional[float]) -> Optional[float]:
        if value is None or not self.generator_rows:
            return None
        return value / self.generator_rows

    def _total(self, value: Optional[float]) -> Optional[float]:
        per_row = self._per_row(value)
        if per_row is None or self.total_generator_rows is None:
            return None
        return per_row * self.total_generator_rows

    def _total_count(self, value: int) -> Optional[int]:
        """A count of the sample (rows, tokens) extrapolated to the whole run, rounded."""
        total = self._total(value)
        return None if total is None else round(total)

    @property
    def rows_per_row(self) -> Optional[float]:
        """Rows this step makes per generator row."""
        return self._per_row(self.sample_rows)

    @property
    def input_tokens_per_row(self) -> Optional[float]:
        return self._per_row(self.input_tokens)

    @property
    def output_tokens_per_row(self) -> Optional[float]:
        return self._per_row(self.output_tokens)

    @property
    def cost_per_row(self) -> Optional[float]:
        return self._per_row(self.cost_usd)

    @property
    def rows(self) -> Optional[int]:
        """Rows in a full run (``None``: the generators' size is unknown)."""
        return self._total_count(self.sample_rows)

    @property
    def total_input_tokens(self) -> Optional[int]:
        return self._total_count(self.input_tokens)

    @property
    def total_output_tokens(self) -> Optional[int]:
        return self._total_count(self.output_tokens)

    @property
    def total_cost_usd(self) -> Optional[float]:
        return self._total(self.cost_usd)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "sample_rows": self.sample_rows,
            "generator_rows": self.generator_rows,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "per_generator_row": {
                "rows": self.rows_per_row,
                "input_tokens": self.input_tokens_per_row,
                "output_tokens": self.output_tokens_per_row,
                "cost_usd": self.cost_per_row,
            },
            "total": {
                "generator_rows": self.total_generator_rows,
                "rows": self.rows,
                "input_tokens": self.total_input_tokens,
                "output_tokens": self.total_output_tokens,
                "cost_usd": self.total_cost_usd,
            },
        }


@dataclass
class RunEstimate:
    """The estimate of a whole run; ``str()`` is a table a person reads.

    Attributes:
        sample: rows taken from each generator.
        steps: the figures of each step, in run order.
    """

    sample: int
    steps: Dict[str, StepEstimate] = field(default_factory=dict)

    def _llm_steps_sum(self, figure: str) -> Any:
        """The ``StepEstimate`` attribute ``figure`` summed over the steps that call an LLM (``None``: one is unknown)."""
        return _sum([getattr(step, figure) for step in self.steps.values() if step.has_llm])

    @property
    def sample_cost_usd(self) -> Optional[float]:
        """What the sample run cost."""
        return self._llm_steps_sum("cost_usd")

    @property
    def total_cost_usd(self) -> Optional[float]:
        """What the whole run may cost (``None``: a price or a generator's size is unknown)."""
        return self._llm_steps_sum("total_cost_usd")

    @property
    def total_input_tokens(self) -> Optional[int]:
        return self._llm_steps_sum("total_input_tokens")

    @property
    def total_output_tokens(self) -> Optional[int]:
        return self._llm_steps_sum("total_output_tokens")

    def as_dict(self) -> Dict[str, Any]:
        return {
            "sample": self.sample,
            "sample_cost_usd": self.sample_cost_usd,
            "total_cost_usd": self.total_cost_usd,
            "total_input_tokens": self.total_input_tokens,
            "total_output_tokens": self.total_output_tokens,
            "steps": {name: step.as_dict() for name, step in self.steps.items()},
        }

    def __str__(self) -> str:
        lines = [
            f"Estimate from a sample of {self.sample} rows per generator (sample cost {format_cost(self.sample_cost_usd)}):"
        ]
        for step in self.steps.values():
            if not step.has_llm:
                rows = (
                    f"{step.rows} rows"
                    if step.rows is not None
                    else f"{step.sample_rows} rows in the sample"
                )
                lines.append(f"  {step.name}: {rows}")
                continue
            per_row = (
                f"per generator row {_number(step.input_tokens_per_row)} tokens in /"
                f" {_number(step.output_tokens_per_row)} out, {format_cost(step.cost_per_row)}"
            )
            if step.total_generator_rows is None:
                total = "whole run: unknown (the generators do not say how many rows they make)"
            else:
                total = (
                    f"whole run ({step.rows} rows): {_number(step.total_input_tokens)} tokens in /"
                    f" {_number(step.total_output_tokens)} out, {format_cost(step.total_cost_usd)}"
                )
            lines.append(f"  {step.name}: {per_row}; {total}")
        total_cost = self.total_cost_usd
        if total_cost is not None:
            lines.append(f"  total: about {format_cost(total_cost)} for the whole run")
        else:
            lines.append(
                "  total: unknown (a model has no known price, or a generator's size is unknown)"
            )
        return "\n".join(lines)


def _sum(values: List[Optional[float]]) -> Optional[float]:
    return None if any(value is None for value in values) else sum(values)  # type: ignore[arg-type]


def _number(value: Optional[float]) -> str:
    if value is None:
        return "?"
    if float(value).is_integer() or value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def estimate_run(
    pipeline: "Pipeline", sample: int, parameters: Optional[Dict[str, Dict[str, Any]]]
) -> RunEstimate:
    """Run ``pipeline`` on ``sample`` rows of each generator and extrapolate (see the module docstring)."""
    if sample < 1:
        raise ValueError("sample must be at least 1 row")
    pipeline.dry_run(parameters=parameters, batch_size=sample)
    summary = pipeline.last_run_summary or {}
    dag = pipeline.dag
    result = RunEstimate(sample)
    for name in dag.topological_order():
        entry = summary.get(name)
        if entry is None:
            continue
        generators = _generators_of(dag, name)
        sampled = [summary[g]["rows"] for g in generators if g in summary]
        totals = [getattr(dag.get(g), "total_rows", None) for g in generators]
        known = [t for t in totals if t is not None]
        total_rows: Optional[int] = None
        if generators and len(known) == len(totals):
            # Rows of several generators join by position: the shortest one sets the size.
            total_rows = min(known)
        step = dag.get(name)
        result.steps[name] = StepEstimate(
            name=name,
            sample_rows=entry["rows"],
            generator_rows=min(sampled) if sampled else 0,
            input_tokens=entry.get("input_tokens", 0),
            output_tokens=entry.get("output_tokens", 0),
            cost_usd=entry.get("cost_usd"),
            total_generator_rows=total_rows,
            has_llm=getattr(step, "llm_in_use", None) is not None,
        )
    return result


def _generators_of(dag: Any, name: str) -> List[str]:
    """The generator steps upstream of ``name`` (``name`` itself for a generator)."""
    seen: Set[str] = set()
    found: List[str] = []
    stack = [name]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        predecessors = list(dag.predecessors(current))
        if dag.get(current).is_generator or not predecessors:
            found.append(current)
            continue
        stack.extend(predecessors)
    return found


__all__ = ["RunEstimate", "StepEstimate", "estimate_run"]
