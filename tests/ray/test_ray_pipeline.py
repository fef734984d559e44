"""RayPipeline on a real two-node Ray cluster (127.0.0.1): the same rows as the local engine."""

import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

pytest.importorskip("ray", reason="ray is not installed (pip install 'distilabel[ray]')")

from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline, RayPipeline, sample_n_steps
from distilabel.pipeline.row_store import RowStore
from distilabel.steps import GroupColumns, LoadDataFromDicts, Step, StepInput, StepResources
from distilabel.steps.tasks import TextGeneration
from tests.conftest import OPENAI_TEST_KEY
from tests.ray.cluster import listening_outside_loopback

pytestmark = pytest.mark.timeout(240)


class Shout(Step):
    """``generation`` in capitals, with the Ray node that made it; fails on ``fail_on``; waits ``pause`` s a batch."""

    fail_on: List[str] = []
    pause: float = 0.0

    @property
    def inputs(self) -> List[str]:
        return ["generation"]

    @property
    def outputs(self) -> List[str]:
        return ["shout"]

    def process(self, inputs: StepInput):
        if self.pause:
            time.sleep(self.pause)
        for row in inputs:
            if row["instruction"] in self.fail_on:
                raise RuntimeError(f"shout cannot take {row['instruction']!r}")
        yield [{**row, "shout": str(row["generation"]).upper()} for row in inputs]


def data(n: int) -> List[Dict[str, Any]]:
    return [{"instruction": f"question {i}"} for i in range(n)]


def build(cache_dir: Path, url: str, rows: int = 30, **shout: Any) -> Pipeline:
    with Pipeline(name="ray-rows", cache_dir=cache_dir) as pipeline:
        load = LoadDataFromDicts(name="load", data=data(rows), batch_size=5)
        generate = TextGeneration(
            name="generate",
            llm=OpenAILLM(model="gpt-4o-mini", base_url=url + "/v1", api_key=OPENAI_TEST_KEY, max_concurrent_requests=4),
            resources=StepResources(replicas=2),
        )
        upper = Shout(name="shout", input_batch_size=3, resources=StepResources(replicas=2), **shout)
        load >> generate >> upper
    return pipeline


def table(distiset: Any) -> Dict[str, List[Any]]:
    train = distiset["default"]["train"]
    return {name: train[name] for name in sorted(train.column_names)}


def test_placement_and_resource_requests_without_a_cluster() -> None:
    from distilabel.models.llms import vLLM
    from distilabel.pipeline.ray_executor import actor_options, placement_bundles

    step = Shout(name="s", resources=StepResources(replicas=3, cpus=2, gpus=1, memory=2**30, resources={"tpu": 1}))
    options = actor_options(step, 1)
    assert options["num_cpus"] == 2 and options["num_gpus"] == 1 and options["memory"] == 2**30
    assert options["resources"] == {"tpu": 1} and options["scheduling_strategy"] == "SPREAD"
    assert actor_options(Shout(name="t"), 16)["num_cpus"] == 1 and actor_options(Shout(name="t"), 16)["max_concurrency"] == 16
    assert placement_bundles(step) is None
    tp = TextGeneration(name="tp", llm=vLLM(model="m", extra_kwargs={"tensor_parallel_size": 4}))
    assert placement_bundles(tp) == [{"GPU": 1.0, "CPU": 1.0}, {"GPU": 1.0}, {"GPU": 1.0}, {"GPU": 1.0}]
    assert placement_bundles(TextGeneration(name="one", llm=vLLM(model="m"))) is None


def test_max_budget_is_refused_on_ray(tmp_path: Path) -> None:
    from distilabel.errors import DistilabelUserError

    pipeline = build(tmp_path, "http://127.0.0.1:9").ray()
    with pytest.raises(DistilabelUserError, match="max_budget=...\\) is not supported"):
        pipeline.run(max_budget=1.0)
    assert not (pipeline.run_dir / "steps").exists()


def test_same_rows_as_the_local_engine_with_replicas_on_both_nodes(
    tmp_path: Path, ray_cluster: Any, openai_server: Any
) -> None:
    local = build(tmp_path / "local", openai_server.url)
    expected = table(local.run())
    assert expected["shout"][3] == "ECHO: QUESTION 3"

    on_ray = build(tmp_path / "ray", openai_server.url).ray(ray_head_node_url=ray_cluster.address)
    assert isinstance(on_ray, RayPipeline)
    assert table(on_ray.run()) == expected
    nodes = on_ray.last_executor.nodes_used
    both = {ray_cluster.head.node_id, ray_cluster.worker.node_id}
    # Two replicas, spread: one on each node, and both answered.
    assert set(nodes["shout"]) == both and set(nodes["generate"]) == both
    summary, local_summary = on_ray.last_run_summary, local.last_run_summary
    for name in ("load", "generate", "shout"):
        assert summary[name]["rows"] == local_summary[name]["rows"] == 30
    # What the actors' LLMs counted is in the driver's summary.
    assert summary["generate"]["llm"]["requests"] == 30
    assert summary["generate"]["input_tokens"] == local_summary["generate"]["input_tokens"] > 0
    assert summary["generate"]["output_tokens"] == local_summary["generate"]["output_tokens"] > 0
    assert summary.status == "finished"
    # Nothing of the cluster listens outside 127.0.0.1.
    assert listening_outside_loopback() - ray_cluster.listening_before == set()


def test_load_groups_on_ray(tmp_path: Path, ray_cluster: Any, openai_server: Any) -> None:
    pipeline = build(tmp_path, openai_server.url, rows=12).ray(ray_cluster.address)
    train = table(pipeline.run(load_groups="sequential_step_execution"))
    assert train["shout"] == [f"ECHO: QUESTION {i}" for i in range(12)]
    # Each stage's actors were made and stopped in turn: both steps ran, on both nodes.
    assert set(pipeline.last_executor.nodes_used) == {"generate", "shout"}
    assert len(pipeline.last_executor.nodes_used["shout"]) == 2


def test_resume_after_an_interrupted_ray_run(tmp_path: Path, ray_cluster: Any, openai_server: Any) -> None:
    first = RayPipeline(name="unused")  # the constructor of 1.5, and .ray() on a Pipeline
    assert first._ray_head_node_url is None
    failing = build(tmp_path, openai_server.url, fail_on=["question 17"]).ray(ray_cluster.address)
    with pytest.raises(RuntimeError, match="cannot take 'question 17'"):
        failing.run()
    kept = RowStore.keys(failing.run_dir / "steps" / "generate")
    assert kept, "the answers made before the failure are stored"
    requests_before = openai_server.stats()["total"]
    again = build(tmp_path, openai_server.url).ray(ray_cluster.address)
    distiset = again.run()
    assert table(distiset)["shout"] == [f"ECHO: QUESTION {i}" for i in range(30)]
    summary = again.last_run_summary
    # The stored answers are reused: only the rest is asked for.
    assert summary["generate"]["resumed_rows"] == len(kept)
    assert summary["generate"]["llm"]["requests"] + summary["generate"]["llm"]["cache_hits"] == 30 - len(kept)
    # An answer cached before the failure whose row was not stored yet is a cache hit, not a request.
    assert openai_server.stats()["total"] - requests_before == summary["generate"]["llm"]["requests"]


def test_routing_on_ray(tmp_path: Path, ray_cluster: Any, openai_server: Any) -> None:
    with Pipeline(name="ray-routed", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(name="load", data=data(20), batch_size=5)
        tasks = [
            TextGeneration(name=f"t{i}", llm=OpenAILLM(model="gpt-4o", base_url=openai_server.url + "/v1", api_key=OPENAI_TEST_KEY))
            for i in range(3)
        ]
        group = GroupColumns(name="group", columns=["generation", "model_name"])
        load >> sample_n_steps(2) >> tasks >> group
    train = pipeline.ray(ray_cluster.address).run()["default"]["train"]
    assert train["instruction"] == [f"question {i}" for i in range(20)]
    assert all(len(g) == 2 for g in train["grouped_generation"])
    assert train["grouped_generation"][4] == ["Echo: question 4", "Echo: question 4"]
    counts = {name: len(RowStore.keys(pipeline.run_dir / "steps" / name)) for name in ("t0", "t1", "t2")}
    assert sum(counts.values()) == 40


def test_a_node_lost_mid_run_loses_no_finished_row(
    tmp_path: Path, ray_cluster: Any, openai_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Kill the worker node's raylet while batches are in flight: the run finishes on the head."""
    pipeline = build(tmp_path, openai_server.url, rows=40, pause=0.4).ray(ray_cluster.address)
    store = pipeline.run_dir / "steps" / "shout"
    seen_before_kill: List[Any] = []

    def kill_when_rows_are_stored() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            keys = RowStore.keys(store) if (store / "rows.jsonl").exists() else set()
            if len(keys) >= 6:
                seen_before_kill.extend(keys)
                raylet = ray_cluster.worker.all_processes["raylet"][0].process
                raylet.kill()
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_when_rows_are_stored)
    killer.start()
    distiset = pipeline.run()
    killer.join()
    assert seen_before_kill, "the worker node was not killed"
    assert "was lost" in caplog.text  # the batches in flight on the lost node went to the head
    assert ray_cluster.worker.all_processes["raylet"][0].process.poll() is not None
    shout = table(distiset)["shout"]
    assert shout == [f"ECHO: QUESTION {i}" for i in range(40)]
    assert set(seen_before_kill) <= RowStore.keys(store)
    # Every input once: nothing lost, nothing doubled.
    assert len(list(RowStore.read(store))) == 40


class Stamp(Step):
    """Adds ``<name>_at``: when (wall clock, shared by the processes of this machine) it finished a row."""

    pause: float = 0.0

    @property
    def inputs(self) -> List[str]:
        return ["instruction"]

    @property
    def outputs(self) -> List[str]:
        return [f"{self.name}_at"]

    def process(self, inputs: StepInput):
        if self.pause:
            time.sleep(self.pause)
        yield [{**row, f"{self.name}_at": time.time()} for row in inputs]


def test_rows_stream_between_ray_steps_without_a_batch_barrier(tmp_path: Path, ray_cluster: Any) -> None:
    with Pipeline(name="ray-stream", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(name="load", data=data(24), batch_size=3)
        first = Stamp(name="first", pause=0.3, input_batch_size=3)
        second = Stamp(name="second", input_batch_size=3)
        load >> first >> second
    train = table(pipeline.ray(ray_cluster.address).run())
    assert train["instruction"] == [f"question {i}" for i in range(24)]
    # 8 batches of 0.3 s in the first step: the second had rows of its own done
    # long before the first finished its last batch.
    assert max(train["first_at"]) - min(train["first_at"]) > 1.5
    assert min(train["second_at"]) < max(train["first_at"]) - 1.0
    # Each row went on as soon as its batch was done, not when the whole step was.
    assert sum(1 for s in train["second_at"] if s < max(train["first_at"])) >= 12
