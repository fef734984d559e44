"""Run folders for the report tests, made by real pipeline runs (no network)."""

from pathlib import Path
from typing import Any, Dict, List

from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM

# A value that would end the embedded data early if it were not escaped.
SCRIPT_BREAKER = '</script><script>window.__broken = 1</script><b id="injected">x</b>'


def instructions(count: int) -> List[Dict[str, Any]]:
    """Row ``i`` asks ``question i``; every 250th row (from 7) fails; row 3 holds a script breaker."""
    rows = []
    for i in range(count):
        text = f"question {i}"
        if i % 250 == 7:
            text += " please fail"
        if i == 3:
            text += " " + SCRIPT_BREAKER
        rows.append({"instruction": text})
    return rows


def run_pipeline(cache_dir: Path, count: int, name: str = "report-run") -> Path:
    """Run LoadDataFromDicts -> TextGeneration(echo) on ``count`` rows; return the run folder."""
    with Pipeline(name=name, cache_dir=cache_dir) as pipeline:
        load = LoadDataFromDicts(data=instructions(count), batch_size=1000)
        generate = TextGeneration(llm=EchoAsyncLLM())
        load >> generate
    pipeline.run(use_cache=False)
    return pipeline.run_dir
