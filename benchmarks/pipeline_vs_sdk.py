"""The pipeline engine against the bare openai SDK, on the same loopback server.

``LoadDataFromDicts >> TextGeneration(OpenAILLM)`` over N rows, against the bare
SDK sending the same N chat requests (same aiohttp transport, same concurrency
limit, an ``asyncio.Semaphore``). The server runs in its own process and answers
each request after a latency drawn log-uniformly between 10 ms and 500 ms (the
same seeded sequence for every run). Each measured run happens in a fresh child
process, so the pipeline's peak memory (max RSS) is its own.

Each child first does a 10-row warm-up (not timed) so one-time costs of a fresh
process (lazy imports, the first client) are left out on both sides.

Prints both times (best of ``--repeat``), the ratio (target <= 1.15) and the
pipeline's peak memory.

    .venv/bin/python benchmarks/pipeline_vs_sdk.py [--rows 2000] [--concurrency 50] [--repeat 2]
"""

import argparse
import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.openai_throughput import SAME_BODY  # the request body OpenAILLM sends
from tests.servers.openai_server import OpenAIServer

MODEL = "gpt-4"
KEY = "sk-test"


def _instructions(n: int) -> List[str]:
    return [f"Question number {i}: what is {i} + {i}?" for i in range(n)]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_bare_sdk(base_url: str, rows: int, concurrency: int, warm_up: bool = True) -> Tuple[float, float]:
    import openai

    if warm_up:
        # One-time costs of a fresh process (lazy imports, first client) are not what is compared.
        run_bare_sdk(base_url, 10, concurrency, warm_up=False)

    async def main() -> List[str]:
        client = openai.AsyncOpenAI(
            api_key=KEY, base_url=base_url, max_retries=0, http_client=openai.DefaultAioHttpClient()
        )
        semaphore = asyncio.Semaphore(concurrency)

        async def one(text: str) -> str:
            async with semaphore:
                completion = await client.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": text}], **SAME_BODY
                )
                return completion.choices[0].message.content

        try:
            return await asyncio.gather(*(one(t) for t in _instructions(rows)))
        finally:
            await client.close()

    start = time.perf_counter()
    answers = asyncio.run(main())
    elapsed = time.perf_counter() - start
    assert all(answers), "the bare SDK got an empty answer"
    return elapsed, _peak_rss_mb()


def run_pipeline(base_url: str, rows: int, concurrency: int, warm_up: bool = True) -> Tuple[float, float]:
    import logging

    import datasets  # noqa: F401 - imported before the clock starts, as the SDK run imports openai
    import openai  # noqa: F401

    from distilabel.models.llms import OpenAILLM
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts
    from distilabel.steps.tasks import TextGeneration

    logging.getLogger("distilabel").setLevel(logging.WARNING)
    if warm_up:
        # One-time costs of a fresh process (lazy imports, first client) are not what is compared.
        run_pipeline(base_url, 10, concurrency, warm_up=False)
    with tempfile.TemporaryDirectory() as cache_dir:
        with Pipeline(name="bench", cache_dir=cache_dir) as pipeline:
            load = LoadDataFromDicts(data=[{"instruction": t} for t in _instructions(rows)])
            generate = TextGeneration(
                llm=OpenAILLM(model=MODEL, base_url=base_url, api_key=KEY, max_concurrent_requests=concurrency)
            )
            load >> generate
        start = time.perf_counter()
        distiset = pipeline.run(
            parameters={generate.name: {"llm": {"generation_kwargs": {"max_new_tokens": 128}}}}
        )
        elapsed = time.perf_counter() - start
        generations = distiset["default"]["train"]["generation"]
    assert len(generations) == rows and all(generations), "the pipeline lost or failed rows"
    return elapsed, _peak_rss_mb()


def _child(target: Any, args: tuple, queue: Any) -> None:
    queue.put(target(*args))


def in_child(target: Any, *args: Any) -> Tuple[float, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(target, args, queue))
    process.start()
    result = queue.get(timeout=600)
    process.join(timeout=60)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    results: Dict[str, List[Tuple[float, float]]] = {"sdk": [], "pipeline": []}
    with OpenAIServer(
        mode="process", latency=("loguniform", 0.01, 0.5), api_key=KEY, record_bodies=False
    ) as server:
        base_url = server.url + "/v1"
        in_child(run_bare_sdk, base_url, 200, args.concurrency)  # warm up the server
        for _ in range(args.repeat):
            # Interleaved, each with the same latency sequence.
            server.configure(seed=1234)
            results["sdk"].append(in_child(run_bare_sdk, base_url, args.rows, args.concurrency))
            server.configure(seed=1234)
            results["pipeline"].append(in_child(run_pipeline, base_url, args.rows, args.concurrency))

    sdk = min(t for t, _ in results["sdk"])
    pipe = min(t for t, _ in results["pipeline"])
    peak = max(m for _, m in results["pipeline"])
    print(f"{args.rows} rows, {args.concurrency} requests in flight, latency log-uniform 10-500 ms")
    print(f"  bare SDK (aiohttp, semaphore)   {sdk:6.2f} s   runs: {', '.join(f'{t:.2f}' for t, _ in results['sdk'])}")
    print(f"  pipeline (LoadDataFromDicts >> TextGeneration(OpenAILLM))   {pipe:6.2f} s   runs: {', '.join(f'{t:.2f}' for t, _ in results['pipeline'])}")
    print(f"ratio pipeline / bare SDK: {pipe / sdk:.3f}   (target <= 1.15)")
    print(f"peak memory (max RSS) of the pipeline run: {peak:.0f} MB   (bare SDK run: {max(m for _, m in results['sdk']):.0f} MB)")


if __name__ == "__main__":
    main()
