"""A small pipeline run in a child process by the progress tests (a terminal or a pipe).

Usage: python -m tests.unit.pipeline.progress_run CACHE_DIR ROWS
It talks to the loopback OpenAI server at ``OPENAI_BASE_URL`` (started by the test).
"""

import sys

from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration


def main() -> None:
    cache_dir, rows = sys.argv[1], int(sys.argv[2])
    with Pipeline(name="progress-run", cache_dir=cache_dir) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": f"question {i}"} for i in range(rows)], batch_size=50)
        llm = OpenAILLM(model="gpt-4o-mini", max_concurrent_requests=8)
        load >> TextGeneration(llm=llm)
    distiset = pipeline.run(use_cache=False)
    print(f"ROWS {len(distiset['default']['train'])}", flush=True)


if __name__ == "__main__":
    main()
