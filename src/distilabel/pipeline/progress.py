"""Counters a person can read while a pipeline runs, and the summary at the end."""

import asyncio
import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

logger = logging.getLogger("distilabel.pipeline")


@dataclass
class StepCounters:
    """What one step has done so far."""

    name: str
    total: Optional[int] = None
    rows_in: int = 0
    rows_out: int = 0
    failed: int = 0
    in_flight: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    errors: Dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    finished: Optional[float] = None

    def record_error(self, reason: str) -> None:
        self.failed += 1
        short = reason.split(":", 1)[0][:120]
        self.errors[short] = self.errors.get(short, 0) + 1

    @property
    def rate(self) -> float:
        elapsed = (self.finished or time.monotonic()) - self.started
        return self.rows_out / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        total = f"/{self.total}" if self.total is not None else ""
        parts = [f"{self.name}: {self.rows_out}{total} rows", f"{self.rate:.1f} rows/s"]
        if self.in_flight:
            parts.append(f"{self.in_flight} in flight")
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.input_tokens or self.output_tokens:
            parts.append(f"tokens {self.input_tokens} in / {self.output_tokens} out")
        if self.finished is not None:
            parts.append("done")
        return ", ".join(parts)


class Progress:
    """Per-step counters, logged every ``interval`` seconds while the run goes on."""

    def __init__(self, names: List[str], interval: float = 5.0) -> None:
        self.steps: Dict[str, StepCounters] = {name: StepCounters(name) for name in names}
        self.interval = interval
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __getitem__(self, name: str) -> StepCounters:
        return self.steps[name]

    def report(self) -> str:
        return "\n".join(counter.line() for counter in self.steps.values())

    async def run_reporter(self) -> None:
        """Log the counters periodically; cancelled when the run ends."""
        live = sys.stderr.isatty()
        while True:
            await asyncio.sleep(self.interval)
            text = self.report()
            if live:
                sys.stderr.write("\n" + text + "\n")
            logger.info("Progress:\n%s", text)

    def summary(self) -> Dict[str, Dict[str, object]]:
        return {
            name: {
                "rows": counter.rows_out,
                "failed": counter.failed,
                "errors": dict(counter.errors),
                "input_tokens": counter.input_tokens,
                "output_tokens": counter.output_tokens,
            }
            for name, counter in self.steps.items()
        }
