"""``RayPipeline``: the same pipeline, its steps' work in Ray actors across a cluster.

```python
with Pipeline(name="on-ray") as pipeline:
    ...
distiset = pipeline.ray(ray_head_node_url="ray://head:10001").run()
```

Everything but where the work runs is the local engine's (``scheduler.py``): the
driver keeps the inboxes, the row stores, resume, routing and the summary, and the
steps' ``process`` (and async tasks' rows) run in Ray actors (``ray_executor.py``).
A run of a ``RayPipeline`` uses the same run folder as ``Pipeline`` for the same
steps, so either engine resumes the other's run.
"""

import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from distilabel.errors import DistilabelUserError
from distilabel.pipeline.local import Pipeline

if TYPE_CHECKING:
    from distilabel.distiset import Distiset
    from distilabel.pipeline.ray_executor import RayExecutor


class RayPipeline(Pipeline):
    """A pipeline whose steps run as Ray actors (``pip install 'distilabel[ray]'``).

    Each non-generator step gets ``resources.replicas`` actors spread over the
    cluster's nodes; ``StepResources(cpus=..., gpus=..., memory=..., resources=...)``
    are each replica's Ray resource request. The driver (this process) keeps every
    finished row in the run folder, so a lost node loses no finished row.

    Args:
        name: the pipeline's name.
        description: what the pipeline does.
        cache_dir: where runs keep their rows (on the driver); the response cache
            lives there too, and actors open it by path: actors on other machines
            share it only through a shared filesystem.
        enable_metadata: keep the ``distilabel_metadata`` column in the output.
        requirements: pip requirements the pipeline needs.
        ray_head_node_url: the cluster to connect to (e.g. ``"ray://head:10001"`` or
            ``"127.0.0.1:6379"``); by default the one ``RAY_ADDRESS`` names, else a
            new local cluster.
        ray_init_kwargs: more keyword arguments for ``ray.init`` (e.g. ``runtime_env``).
    """

    _uses_step_resources = True

    def __init__(
        self,
        name: str,
        description: Optional[str] = None,
        cache_dir: Optional[Union[str, "os.PathLike"]] = None,
        enable_metadata: bool = False,
        requirements: Optional[List[str]] = None,
        ray_head_node_url: Optional[str] = None,
        ray_init_kwargs: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(
            name=name,
            description=description,
            cache_dir=cache_dir,
            enable_metadata=enable_metadata,
            requirements=requirements,
        )
        self._ray_head_node_url = ray_head_node_url
        self._ray_init_kwargs = dict(ray_init_kwargs or {})
        self.last_executor: Optional[RayExecutor] = None

    def run(self, *args: Any, **kwargs: Any) -> "Distiset":
        """``Pipeline.run`` on Ray (the same arguments), except ``max_budget``.

        Raises:
            DistilabelUserError: ``max_budget`` is given: the budget reserves each request's
                cost before it is sent, in the driver's process, and the requests of a Ray
                run are sent from the actors, which it cannot see.
        """
        if kwargs.get("max_budget") is not None:
            raise DistilabelUserError(
                "RayPipeline.run(max_budget=...) is not supported: the budget is enforced request by"
                " request in one process, and on Ray the requests are sent from the actors. Run with"
                " Pipeline (the local engine) to cap the spending, or without max_budget."
            )
        return super().run(*args, **kwargs)

    def _executor(self) -> "RayExecutor":
        from distilabel.pipeline.ray_executor import RayExecutor

        self.last_executor = RayExecutor(self._ray_head_node_url, self._ray_init_kwargs)
        return self.last_executor

    def ray(self, ray_head_node_url: Optional[str] = None, ray_init_kwargs: Optional[Dict[str, Any]] = None) -> "RayPipeline":
        """This pipeline, to run on another Ray cluster."""
        if ray_head_node_url is not None:
            self._ray_head_node_url = ray_head_node_url
        if ray_init_kwargs is not None:
            self._ray_init_kwargs = dict(ray_init_kwargs)
        return self


def ray_pipeline_from(
    pipeline: "Pipeline", ray_head_node_url: Optional[str] = None, ray_init_kwargs: Optional[Dict[str, Any]] = None
) -> RayPipeline:
    """A ``RayPipeline`` with the steps, connections and routing of ``pipeline`` (shared, not copied)."""
    result = RayPipeline(
        name=pipeline.name,
        description=pipeline.description,
        cache_dir=pipeline._cache_dir,
        enable_metadata=pipeline._enable_metadata,
        requirements=list(pipeline.requirements),
        ray_head_node_url=ray_head_node_url,
        ray_init_kwargs=ray_init_kwargs,
    )
    result.dag = pipeline.dag
    result.routing_batch_functions = pipeline.routing_batch_functions
    for step in pipeline.dag.steps.values():
        step.pipeline = result
    return result


__all__ = ["RayPipeline", "ray_pipeline_from"]
