"""RayPipeline without a cluster address: it starts a local Ray cluster on 127.0.0.1 and stops it."""

from pathlib import Path
from typing import Any, Set

import pytest

pytest.importorskip("ray", reason="ray is not installed (pip install 'distilabel[ray]')")

from distilabel.pipeline import RayPipeline
from distilabel.steps import KeepColumns, LoadDataFromDicts
from tests.ray.cluster import listening_outside_loopback

pytestmark = pytest.mark.timeout(180)


def test_a_run_starts_and_stops_its_own_cluster_on_loopback(tmp_path: Path, monkeypatch: Any) -> None:
    import ray

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert not ray.is_initialized()
    before = listening_outside_loopback()
    while_running: Set[str] = set()

    with RayPipeline(name="own-cluster", cache_dir=tmp_path, ray_init_kwargs={"num_cpus": 2}) as pipeline:
        load = LoadDataFromDicts(name="load", data=[{"a": i, "b": -i} for i in range(7)], batch_size=3)
        keep = KeepColumns(name="keep", columns=["a"])
        load >> keep
    make_executor = pipeline._executor

    def executor() -> Any:
        made = make_executor()
        load_steps = made.load

        async def load_and_look(names: Any) -> None:
            await load_steps(names)  # the cluster and the actors are up now
            while_running.update(listening_outside_loopback())

        made.load = load_and_look
        return made

    pipeline._executor = executor
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["a"] == list(range(7)) and train.column_names == ["a"]
    assert pipeline.last_executor.nodes_used["keep"]
    assert not ray.is_initialized()  # the run stopped the cluster it started
    # Nothing Ray started listens outside the loopback address.
    assert while_running - before == set()
