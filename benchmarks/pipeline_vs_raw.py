"""The whole pipeline against raw aiohttp and the bare openai SDK, on one loopback server.

2000 chat requests, 50 in flight, latency log-uniform between 10 and 330 ms (mean
about 91 ms, so the floor is about 3.7 s), the server in its own process. Three
clients, each in a fresh child process that first warms up on 20 requests:

- raw aiohttp: a semaphore, ``session.post``, ``json()`` (the baseline);
- the bare SDK: ``AsyncOpenAI.chat.completions.create`` on its aiohttp transport;
- the pipeline: ``LoadDataFromDicts >> TextGeneration(OpenAILLM)`` with everything on
  (response cache, row store, limits, statistics, the run summary).

Prints wall time and CPU time per request (user + system of the client process) for
each, best of ``--repeat``, and the pipeline's ratios to raw aiohttp (targets: wall
<= 1.3x, CPU <= 1.5 ms per request).

    .venv/bin/python benchmarks/pipeline_vs_raw.py [--rows 2000] [--concurrency 50] [--repeat 3]
"""

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.openai_throughput import SAME_BODY  # the request body OpenAILLM sends
from benchmarks.pipeline_vs_sdk import in_child  # each measured run in a fresh process
from tests.servers.openai_server import OpenAIServer

MODEL = "gpt-4"
KEY = "sk-test"
LATENCY = ("loguniform", 0.01, 0.33)


def _prompts(n: int) -> List[str]:
    return [f"Question number {i}: what is {i} + {i}?" for i in range(n)]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measure(run: Callable[[int], List[Any]], rows: int) -> Tuple[float, float]:
    run(20)  # warm-up: imports, first client, first connections
    cpu, start = _cpu_seconds(), time.perf_counter()
    answers = run(rows)
    wall, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    assert len(answers) == rows and all(answers), "a client lost or failed requests"
    return wall, cpu


def raw_aiohttp(base_url: str, rows: int, concurrency: int) -> Tuple[float, float]:
    import aiohttp

    def run(n: int) -> List[str]:
        async def main() -> List[str]:
            semaphore = asyncio.Semaphore(concurrency)
            headers = {"Authorization": f"Bearer {KEY}"}
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

                async def one(text: str) -> str:
                    body = {"model": MODEL, "messages": [{"role": "user", "content": text}], **SAME_BODY}
                    async with semaphore, session.post(f"{base_url}/chat/completions", json=body, headers=headers) as r:
                        return (await r.json())["choices"][0]["message"]["content"]

                return await asyncio.gather(*(one(t) for t in _prompts(n)))

        return asyncio.run(main())

    return _measure(run, rows)


def bare_sdk(base_url: str, rows: int, concurrency: int) -> Tuple[float, float]:
    import openai

    def run(n: int) -> List[str]:
        async def main() -> List[str]:
            client = openai.AsyncOpenAI(api_key=KEY, base_url=base_url, max_retries=0, http_client=openai.DefaultAioHttpClient())
            semaphore = asyncio.Semaphore(concurrency)

            async def one(text: str) -> str:
                async with semaphore:
                    completion = await client.chat.completions.create(
                        model=MODEL, messages=[{"role": "user", "content": text}], **SAME_BODY
                    )
                    return completion.choices[0].message.content

            try:
                return await asyncio.gather(*(one(t) for t in _prompts(n)))
            finally:
                await client.close()

        return asyncio.run(main())

    return _measure(run, rows)


def pipeline(base_url: str, rows: int, concurrency: int) -> Tuple[float, float]:
    import logging

    from distilabel.models.llms import OpenAILLM
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts
    from distilabel.steps.tasks import TextGeneration

    logging.getLogger("distilabel").setLevel(logging.WARNING)

    def run(n: int) -> List[str]:
        with tempfile.TemporaryDirectory() as cache_dir:
            with Pipeline(name=f"bench-{n}", cache_dir=cache_dir) as p:
                load = LoadDataFromDicts(data=[{"instruction": t} for t in _prompts(n)])
                generate = TextGeneration(
                    llm=OpenAILLM(model=MODEL, base_url=base_url, api_key=KEY, max_concurrent_requests=concurrency)
                )
                load >> generate
            distiset = p.run(parameters={generate.name: {"llm": {"generation_kwargs": {"max_new_tokens": 128}}}})
            return distiset["default"]["train"]["generation"]

    return _measure(run, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    clients = {"raw aiohttp": raw_aiohttp, "bare openai SDK": bare_sdk, "pipeline (TextGeneration on OpenAILLM)": pipeline}
    results: Dict[str, List[Tuple[float, float]]] = {name: [] for name in clients}
    with OpenAIServer(mode="process", latency=LATENCY, api_key=KEY, record_bodies=False) as server:
        base_url = server.url + "/v1"
        for _ in range(args.repeat):
            for name, client in clients.items():  # interleaved, each with the same latency sequence
                server.configure(seed=1234)
                results[name].append(in_child(client, base_url, args.rows, args.concurrency))

    print(f"{args.rows} chat requests, {args.concurrency} in flight, latency log-uniform 10-330 ms (floor ~3.7 s)")
    best = {name: (min(w for w, _ in runs), min(c for _, c in runs)) for name, runs in results.items()}
    for name, runs in results.items():
        wall, cpu = best[name]
        walls = ", ".join(f"{w:.2f}" for w, _ in runs)
        print(f"  {name:42s} wall {wall:6.2f} s   CPU {cpu / args.rows * 1000:5.2f} ms/request   (walls: {walls})")
    raw_wall, _ = best["raw aiohttp"]
    pipe_wall, pipe_cpu = best["pipeline (TextGeneration on OpenAILLM)"]
    print(f"pipeline / raw aiohttp: wall {pipe_wall / raw_wall:.2f}x (target <= 1.3x);"
          f" pipeline CPU {pipe_cpu / args.rows * 1000:.2f} ms/request (target <= 1.5 ms)")


if __name__ == "__main__":
    main()
