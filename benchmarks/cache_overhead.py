"""Response cache overhead, and a 2000-request run with 10% faults against the clean run.

Part 1 (no server): over ``--keys`` requests with realistic chat messages (a system
prompt and a ~1.5 kB user message, ~1 kB answers), the time per request of

- a miss: computing the request's key, looking it up, storing the answer (what the
  event loop pays; the writer thread commits in the background);
- the writer thread committing those stores (reported per store, off the event loop);
- a hit: computing the key, looking it up, decoding the answer.

Target: under 0.2 ms per lookup.

Part 2: ``OpenAILLM.generate`` sends ``--requests`` chat requests, ``--concurrency``
in flight, to the loopback OpenAI server in its own process with ``--latency``:
clean; clean with a (cold) response cache attached; with ``--fault-rate`` of the
requests answered 429 or 500 at random (every row must succeed, none twice); and a
re-run answered entirely from the warm cache (zero requests).

    .venv/bin/python benchmarks/cache_overhead.py [--keys 20000] [--requests 2000] [--concurrency 500]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from distilabel.models.llms import OpenAILLM
from distilabel.runtime.cache import ResponseCache
from tests.servers.openai_server import OpenAIServer

_SYSTEM = "You are a careful assistant who answers questions about science with short, sourced answers. " * 3
_ANSWER = "The answer involves several steps that are explained here in enough detail to be useful. " * 12


def _messages(i: int) -> List[Dict[str, str]]:
    user = f"Question {i}: " + "Explain how photosynthesis converts light into chemical energy, step by step. " * 20
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def _output(i: int) -> Dict[str, Any]:
    return {"generations": [f"{i}: {_ANSWER}"], "statistics": {"input_tokens": [400], "output_tokens": [250]}}


def cache_overhead(keys: int, directory: Path) -> Dict[str, float]:
    llm = OpenAILLM(model="gpt-4o", base_url="http://127.0.0.1:1/v1", api_key="sk-bench")  # type: ignore[arg-type]
    kwargs = llm.validate_generation_kwargs({"temperature": 0.7, "max_new_tokens": 512})
    inputs = [_messages(i) for i in range(keys)]
    outputs = [_output(i) for i in range(keys)]
    cache = ResponseCache.in_directory(directory)

    start = time.perf_counter()
    for input, output in zip(inputs, outputs, strict=True):
        key = llm._cache_key(input, 1, kwargs)
        assert cache.get(key) is None
        cache.put(key, output)
    miss = time.perf_counter() - start
    start = time.perf_counter()
    cache.flush()
    drain = time.perf_counter() - start

    start = time.perf_counter()
    for input in inputs:
        assert cache.get(llm._cache_key(input, 1, kwargs)) is not None
    hit = time.perf_counter() - start

    start = time.perf_counter()
    for input in inputs[:2000]:
        llm._cache_key(input, 1, kwargs)
    key_only = (time.perf_counter() - start) / 2000
    cache.close()
    size = sum(f.stat().st_size for f in directory.iterdir())
    return {
        "miss_ms": miss / keys * 1000,
        "commit_ms": (miss + drain) / keys * 1000,
        "hit_ms": hit / keys * 1000,
        "key_ms": key_only * 1000,
        "bytes_per_entry": size / keys,
    }


def run(
    base_url: str, requests: int, concurrency: int, cache: Optional[ResponseCache] = None, tag: str = "q"
) -> Tuple[float, List[Dict[str, Any]]]:
    llm = OpenAILLM(model="gpt-4o", base_url=base_url, api_key="sk-test", max_concurrent_requests=concurrency)  # type: ignore[arg-type]
    llm.load()
    llm.use_cache(cache)
    inputs = [[{"role": "user", "content": f"{tag} {i}: what is {i} + {i}?"}] for i in range(requests)]
    try:
        start = time.perf_counter()
        outputs = llm.generate(inputs, max_new_tokens=128)
        elapsed = time.perf_counter() - start
        stats = llm.request_stats()
    finally:
        llm.unload()
    for i, output in enumerate(outputs):
        assert output["generations"] == [f"Echo: {tag} {i}: what is {i} + {i}?"], output
    return elapsed, [stats]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    os.environ.pop("OPENAI_BASE_URL", None)

    with tempfile.TemporaryDirectory() as tmp:
        numbers = cache_overhead(args.keys, Path(tmp))
    print(f"Response cache, {args.keys} requests (system + ~1.5 kB user message, ~1 kB answer):")
    print(f"  key only (hash of what is sent)           {numbers['key_ms']:.4f} ms")
    print(f"  miss: key + lookup + store (event loop)   {numbers['miss_ms']:.4f} ms   (target < 0.2)")
    print(f"  hit:  key + lookup + decode               {numbers['hit_ms']:.4f} ms   (target < 0.2)")
    print(f"  stores committed by the writer thread     {numbers['commit_ms']:.4f} ms per store, all in")
    print(f"  file size                                 {numbers['bytes_per_entry']:.0f} bytes per entry")

    with OpenAIServer(mode="process", latency=args.latency, api_key="sk-test", record_bodies=False) as server:
        base_url = server.url + "/v1"
        run(base_url, 200, args.concurrency, tag="warm-up")
        times: Dict[str, List[float]] = {"clean": [], "cached": [], "faults": [], "hits": []}
        for attempt in range(args.repeat):
            server.configure(fault_rate=0.0)
            times["clean"].append(run(base_url, args.requests, args.concurrency, tag=f"c{attempt}")[0])

            with tempfile.TemporaryDirectory() as tmp:
                cache = ResponseCache.in_directory(tmp)
                server.reset()
                elapsed, _ = run(base_url, args.requests, args.concurrency, cache, tag=f"k{attempt}")
                times["cached"].append(elapsed)
                server.reset()
                elapsed, _ = run(base_url, args.requests, args.concurrency, cache, tag=f"k{attempt}")
                times["hits"].append(elapsed)
                assert server.stats()["total"] == 0, "a re-run from a warm cache sent requests"
                cache.close()

            server.reset()
            server.configure(fault_rate=args.fault_rate, fault_statuses=[429, 500], seed=attempt)
            elapsed, [stats] = run(base_url, args.requests, args.concurrency, tag=f"f{attempt}")
            times["faults"].append(elapsed)
            served = server.stats()
            assert served["statuses"].get(200) == args.requests, "a row was answered twice or never"
            assert served["total"] == args.requests + served["faults_injected"]
            faults, decreases = served["faults_injected"], stats["concurrency_decreases"]
            low = stats["min_concurrency_limit"]

    print()
    print(f"OpenAILLM.generate, {args.requests} chat requests, {args.concurrency} in flight,"
          f" {args.latency * 1000:.0f} ms latency (best of {args.repeat}):")
    clean, faulty = min(times["clean"]), min(times["faults"])
    for name, label in (
        ("clean", "clean"),
        ("cached", "clean, cold cache attached"),
        ("faults", f"{args.fault_rate:.0%} random 429/500"),
        ("hits", "re-run from the warm cache"),
    ):
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"  {label:<28} {min(times[name]):6.2f} s   runs: {runs}")
    print(f"faults / clean: {faulty / clean:.2f}x  (last faulty run: {faults} faults injected, every row"
          f" succeeded once; concurrency limit halved {decreases} times, lowest {low})")
    print(f"cold cache / clean: {min(times['cached']) / clean:.2f}x; warm re-run sent 0 requests")


if __name__ == "__main__":
    main()
