"""The pipelines of the resilience tests, built the same way in the test and in a child process.

Run as a script, it runs one pipeline and exits (the SIGKILL test kills it midway):

    python -m tests.e2e.resilience_pipelines CACHE_DIR BASE_URL ROWS CONCURRENCY
"""

import sys
from pathlib import Path
from typing import Any, Optional

from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps import KeepColumns, LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration

API_KEY = "sk-resilience-pipeline-secret-77"


def instructions(rows: int) -> list:
    return [{"instruction": f"q{i}"} for i in range(rows)]


def expected_generations(rows: int) -> list:
    """What the loopback server answers for ``instructions(rows)``."""
    return [f"Echo: q{i}" for i in range(rows)]


def text_generation(
    cache_dir: Path,
    base_url: str,
    rows: int,
    *,
    name: str = "resilience",
    keep_columns: bool = False,
    use_cache: bool = True,
    llm_fields: Optional[dict] = None,
    task_fields: Optional[dict] = None,
) -> Pipeline:
    """``LoadDataFromDicts >> TextGeneration(OpenAILLM)`` (``>> KeepColumns`` with ``keep_columns``)."""
    fields: dict[str, Any] = {"model": "gpt-4o", "base_url": base_url, "api_key": API_KEY, **(llm_fields or {})}
    with Pipeline(name=name, cache_dir=cache_dir) as pipeline:
        load = LoadDataFromDicts(name="load", data=instructions(rows), batch_size=100)
        task = TextGeneration(name="generate", llm=OpenAILLM(**fields), use_cache=use_cache, **(task_fields or {}))
        load >> task
        if keep_columns:
            task >> KeepColumns(name="keep", columns=["instruction", "generation"])
    return pipeline


def main() -> None:
    cache_dir, base_url, rows, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    pipeline = text_generation(
        Path(cache_dir), base_url, rows, llm_fields={"max_concurrent_requests": concurrency}
    )
    print(pipeline.run_dir, flush=True)
    pipeline.run()


if __name__ == "__main__":
    main()
