"""The pipeline under faults: clean vs 10% of requests failing, and re-runs that reuse everything.

``LoadDataFromDicts >> TextGeneration(OpenAILLM)`` over ``--rows`` rows against the
loopback OpenAI server in its own process with ``--latency``, ``--concurrency``
requests in flight. Each case is a fresh cache dir unless said otherwise:

- clean: no faults (cold response cache and row stores);
- faults: ``--fault-rate`` of the requests answered 429 or 500 at random (every
  row must succeed, each answered once);
- re-run: the clean pipeline run again (every row reused from the row stores: zero requests);
- added step: a step added after the task (upstream rows reused: zero requests);
- cache only: the row stores deleted, the response cache kept (every request a cache hit).

    .venv/bin/python benchmarks/pipeline_resilience.py [--rows 2000] [--concurrency 200] [--latency 0.05]
"""

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.resilience_pipelines import API_KEY, expected_generations, text_generation
from tests.servers.openai_server import OpenAIServer

CHAT = "/v1/chat/completions"


def timed_run(server: OpenAIServer, cache_dir: Path, rows: int, concurrency: int, **options: Any) -> Tuple[float, Dict[str, Any]]:
    pipeline = text_generation(
        cache_dir, server.url + "/v1", rows, llm_fields={"max_concurrent_requests": concurrency}, **options
    )
    server.reset()
    start = time.perf_counter()
    distiset = pipeline.run()
    elapsed = time.perf_counter() - start
    assert distiset["default"]["train"]["generation"] == expected_generations(rows)
    stats = server.stats()
    return elapsed, {
        "requests": stats["by_path"].get(CHAT, 0),
        "ok": stats["by_path_status"].get(CHAT, {}).get(200, 0),
        "faults": stats["faults_injected"],
        "cache_hits": pipeline.last_run_summary.totals["cache_hits"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    args = parser.parse_args()
    logging.getLogger("distilabel").setLevel(logging.WARNING)
    logging.getLogger("distilabel").addHandler(logging.NullHandler())

    root = Path(tempfile.mkdtemp(prefix="pipeline-resilience-"))
    results = []
    try:
        with OpenAIServer(mode="process", api_key=API_KEY, record_bodies=False, latency=args.latency) as server:
            run = lambda directory, **options: timed_run(server, root / directory, args.rows, args.concurrency, **options)  # noqa: E731
            run("warmup")  # imports, first client
            results.append(("clean", *run("clean")))
            server.configure(fault_rate=args.fault_rate, fault_statuses=[429, 500], seed=3)
            results.append((f"{args.fault_rate:.0%} faults", *run("faults")))
            server.configure(fault_rate=0.0)
            results.append(("re-run (row stores)", *run("clean")))
            results.append(("added step", *run("clean", keep_columns=True)))
            for run_dir in (root / "clean" / "resilience").iterdir():
                if run_dir.is_dir():
                    shutil.rmtree(run_dir)
            results.append(("cache only", *run("clean")))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    clean = results[0][1]
    print(f"{args.rows} rows, {args.concurrency} in flight, {args.latency * 1000:.0f} ms latency")
    print(f"{'case':<22}{'seconds':>9}{'vs clean':>10}{'requests':>10}{'200s':>7}{'faults':>8}{'cache hits':>12}")
    for name, seconds, counts in results:
        print(
            f"{name:<22}{seconds:>9.2f}{seconds / clean:>9.2f}x{counts['requests']:>10}{counts['ok']:>7}"
            f"{counts['faults']:>8}{counts['cache_hits']:>12}"
        )


if __name__ == "__main__":
    main()
