"""The local engine against RayPipeline on the same 2000-row job, and where Ray's time goes.

The job of ``pipeline_vs_raw.py``: ``LoadDataFromDicts >> TextGeneration(OpenAILLM)``,
2000 chat requests, latency log-uniform between 10 and 330 ms, against the loopback
OpenAI server in its own process (same server, prompts and request body). Runs:

- the local engine (``Pipeline``), 50 requests in flight, in a fresh child process;
- ``RayPipeline`` on a two-node Ray cluster on 127.0.0.1 (both nodes on this
  machine), the task with 1 replica (50 in flight) and with 2 replicas (25 in
  flight each, one per node), the driver in this process.

Each run is measured after a 20-row warm-up. For Ray it also prints where the time
goes besides the requests: connecting, making the actors and loading their steps,
and per call to an actor the round trip minus the actor's own work (serialization,
scheduling, transfer of rows both ways).

    .venv/bin/python benchmarks/ray_vs_local.py [--rows 2000] [--concurrency 50] [--repeat 2]
"""

import argparse
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.pipeline_vs_raw import (  # the same job, locally
    KEY,
    LATENCY,
    MODEL,
    _prompts,
    pipeline,
)
from benchmarks.pipeline_vs_sdk import in_child
from tests.ray.cluster import two_node_cluster
from tests.servers.openai_server import OpenAIServer


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ray_run(address: str, base_url: str, rows: int, concurrency: int, replicas: int) -> Dict[str, Any]:
    from distilabel.models.llms import OpenAILLM
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts, StepResources
    from distilabel.steps.tasks import TextGeneration

    with tempfile.TemporaryDirectory() as cache_dir:
        with Pipeline(name=f"bench-ray-{rows}", cache_dir=cache_dir) as p:
            load = LoadDataFromDicts(data=[{"instruction": t} for t in _prompts(rows)])
            generate = TextGeneration(
                llm=OpenAILLM(
                    model=MODEL, base_url=base_url, api_key=KEY, max_concurrent_requests=concurrency // replicas
                ),
                resources=StepResources(replicas=replicas),
            )
            load >> generate
        on_ray = p.ray(ray_head_node_url=address)
        cpu, start = _cpu_seconds(), time.perf_counter()
        distiset = on_ray.run(parameters={generate.name: {"llm": {"generation_kwargs": {"max_new_tokens": 128}}}})
        wall, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
        answers = distiset["default"]["train"]["generation"]
        assert len(answers) == rows and all(answers), "Ray lost or failed requests"
        executor = on_ray.last_executor
        timings = executor.timings
        return {
            "wall": wall,
            "cpu": cpu,
            "connect": timings.connect_seconds,
            "actors": timings.actors_seconds,
            "calls": timings.calls,
            "round_trip": timings.round_trip_seconds,
            "remote": timings.remote_seconds,
            "nodes": len(executor.nodes_used.get(generate.name, {})),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    logging.getLogger("distilabel").setLevel(logging.WARNING)

    local: List[Any] = []
    on_ray: Dict[int, List[Dict[str, Any]]] = {1: [], 2: []}
    with OpenAIServer(mode="process", latency=LATENCY, api_key=KEY, record_bodies=False) as server:
        base_url = server.url + "/v1"
        with two_node_cluster() as cluster:
            for replicas in on_ray:
                ray_run(cluster.address, base_url, 20, args.concurrency, replicas)  # warm-up: worker processes
            for _ in range(args.repeat):
                server.configure(seed=1234)
                local.append(in_child(pipeline, base_url, args.rows, args.concurrency))
                for replicas, runs in on_ray.items():
                    server.configure(seed=1234)
                    runs.append(ray_run(cluster.address, base_url, args.rows, args.concurrency, replicas))

    print(f"{args.rows} chat requests, {args.concurrency} in flight, latency log-uniform 10-330 ms (floor ~3.7 s)")
    wall, cpu = min(w for w, _ in local), min(c for _, c in local)
    print(f"  local engine (Pipeline)                  wall {wall:6.2f} s   driver CPU {cpu / args.rows * 1000:5.2f} ms/row"
          f"   (walls: {', '.join(f'{w:.2f}' for w, _ in local)})")
    for replicas, runs in on_ray.items():
        best = min(runs, key=lambda run: run["wall"])
        overhead = (best["round_trip"] - best["remote"]) / max(best["calls"], 1)
        walls = ", ".join(f"{run['wall']:.2f}" for run in runs)
        print(
            f"  RayPipeline, {replicas} replica(s) on {best['nodes']} node(s)     wall {best['wall']:6.2f} s"
            f"   driver CPU {best['cpu'] / args.rows * 1000:5.2f} ms/row   (walls: {walls})"
        )
        print(
            f"      connect {best['connect']:.2f} s, actors made and loaded {best['actors']:.2f} s,"
            f" {best['calls']} calls ({args.rows / max(best['calls'], 1):.1f} rows each),"
            f" Ray per call {overhead * 1000:.1f} ms (round trip {best['round_trip'] / max(best['calls'], 1) * 1000:.1f} ms"
            f" - actor work {best['remote'] / max(best['calls'], 1) * 1000:.1f} ms)"
        )
        print(f"      Ray / local: {best['wall'] / wall:.2f}x")


if __name__ == "__main__":
    main()
