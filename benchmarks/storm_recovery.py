"""Recovery from a 429 storm: every request refused for ``--storm`` seconds, no Retry-After, then healthy.

``LoadDataFromDicts >> TextGeneration(OpenAILLM)`` over ``--rows`` rows against the
loopback OpenAI server in its own process at ``--latency`` per request. The baseline,
measured in the same run, is the same pipeline with no storm: a run that recovers
at once takes about ``storm + baseline``.

    .venv/bin/python benchmarks/storm_recovery.py [--rows 500] [--latency 0.02] [--storm 5] [--repeat 3]
"""

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.resilience_pipelines import API_KEY, expected_generations, text_generation
from tests.servers.openai_server import OpenAIServer

CHAT = "/v1/chat/completions"


def timed_run(server: OpenAIServer, cache_dir: Path, rows: int, storm: float) -> tuple:
    pipeline = text_generation(cache_dir, server.url + "/v1", rows, use_cache=False)
    server.reset()
    if storm:
        server.configure(fail_all_for=storm, fail_all_status=429, retry_after=None)
    start = time.perf_counter()
    distiset = pipeline.run(use_cache=False)
    elapsed = time.perf_counter() - start
    assert distiset["default"]["train"]["generation"] == expected_generations(rows)
    stats = server.stats()
    return elapsed, stats["statuses"].get(429, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--storm", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("distilabel").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory(prefix="storm-") as root, OpenAIServer(
        mode="process", api_key=API_KEY, record_bodies=False, latency=args.latency
    ) as server:
        timed_run(server, Path(root) / "warmup", args.rows, 0)  # imports, first client
        clean, stormy, refused = [], [], []
        for i in range(args.repeat):
            clean.append(timed_run(server, Path(root) / f"clean{i}", args.rows, 0)[0])
            elapsed, count = timed_run(server, Path(root) / f"storm{i}", args.rows, args.storm)
            stormy.append(elapsed)
            refused.append(count)
    baseline = statistics.median(clean)
    print(f"{args.rows} rows at {args.latency * 1000:.0f} ms, {args.storm:g} s storm of 429s without Retry-After")
    print(f"  baseline (no storm)   median {baseline:6.2f} s   runs {', '.join(f'{t:.2f}' for t in clean)}")
    print(f"  with the storm        median {statistics.median(stormy):6.2f} s   runs {', '.join(f'{t:.2f}' for t in stormy)}")
    print(f"  floor (storm + base)         {args.storm + baseline:6.2f} s   429s answered per run: {refused}")


if __name__ == "__main__":
    main()
