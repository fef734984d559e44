"""A Ray cluster of two nodes on this machine, on 127.0.0.1 only (for the tests and the benchmark).

Ray is told this is a single-machine cluster (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``):
its node address is then the loopback address, so every server it starts binds
127.0.0.1 only. The dashboard and usage stats are off. The nodes have logical CPUs,
so that a 2-core machine can hold a few actors.
"""

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator, Set

ROOT = Path(__file__).resolve().parents[2]
_ENV = ("RAY_USAGE_STATS_ENABLED", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "PYTHONPATH")


def listening_outside_loopback() -> Set[str]:
    """The TCP addresses this machine listens on, other than the loopback ones."""
    out = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    addresses = {line.split()[3] for line in out.splitlines() if line.strip()}
    return {a for a in addresses if not a.startswith(("127.0.0.1:", "[::1]:", "[::ffff:127.0.0.1]:"))}


@contextlib.contextmanager
def two_node_cluster(cpus_per_node: int = 4) -> Iterator[SimpleNamespace]:
    """Start a head and a worker node, connect this process (``ray.init``), stop both at the end.

    Yields the cluster, its two nodes (``head``, ``worker``: ``ray._private.node.Node``), its
    address, and what listened outside the loopback before it started (``listening_before``).
    """
    listening_before = listening_outside_loopback()
    saved = {name: os.environ.get(name) for name in _ENV}
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    # The workers import what the driver imports (tests.ray..., benchmarks...).
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *(p for p in sys.path if p)])
    import ray
    import ray._private.ray_constants as constants
    from ray.cluster_utils import Cluster

    constants.ENABLE_RAY_CLUSTER = False  # read when a node's address is chosen
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": cpus_per_node,
            "include_dashboard": False,
            # A killed node is noticed in about 2 s instead of 30.
            "_system_config": {"health_check_period_ms": 500, "health_check_failure_threshold": 4},
        },
    )
    try:
        worker = cluster.add_node(num_cpus=cpus_per_node)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, logging_level="WARNING")
        yield SimpleNamespace(
            cluster=cluster,
            head=cluster.head_node,
            worker=worker,
            address=cluster.address,
            listening_before=listening_before,
        )
    finally:
        ray.shutdown()
        cluster.shutdown()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
