"""Whether the script runs on a Ray cluster (distilabel 1.5's ``distilabel.utils.ray``)."""

import os

# Ray sets these in the environment of every process it starts on a cluster's nodes.
_RAY_CLUSTER_ENV_VARS = ("RAY_NODE_TYPE_NAME", "RAY_CLUSTER_NAME", "RAY_ADDRESS")


def script_executed_in_ray_cluster() -> bool:
    """Whether this process runs on a node of a Ray cluster (all of Ray's cluster variables are set)."""
    return all(name in os.environ for name in _RAY_CLUSTER_ENV_VARS)


__all__ = ["script_executed_in_ray_cluster"]
