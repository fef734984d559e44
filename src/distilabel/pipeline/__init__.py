"""Pipelines: ``from distilabel.pipeline import Pipeline``."""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_exports

_EXPORTS = {
    "BasePipeline": ".base",
    "Pipeline": ".local",
    "RoutingBatchFunction": ".routing_batch_function",
    "routing_batch_function": ".routing_batch_function",
    "sample_n_steps": ".routing_batch_function",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from distilabel.pipeline.base import BasePipeline
    from distilabel.pipeline.local import Pipeline
    from distilabel.pipeline.routing_batch_function import (
        RoutingBatchFunction,
        routing_batch_function,
        sample_n_steps,
    )
