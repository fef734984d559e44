"""A real two-node Ray cluster on 127.0.0.1 for the RayPipeline tests, stopped after the module."""

from types import SimpleNamespace
from typing import Iterator

import pytest


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[SimpleNamespace]:
    pytest.importorskip("ray", reason="ray is not installed (pip install 'distilabel[ray]')")
    from tests.ray.cluster import two_node_cluster

    with two_node_cluster() as cluster:
        yield cluster
