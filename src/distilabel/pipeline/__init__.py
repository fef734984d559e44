"""Pipelines: ``from distilabel.pipeline import Pipeline``."""

from typing import TYPE_CHECKING

# The decorator and its module share the name `routing_batch_function`. Importing the
# module (base.py does) sets this package's attribute of that name to the module,
# which hides the lazy export, so `from distilabel.pipeline import
# routing_batch_function` gave the module. Binding the decorator here, after the
# module is imported, makes the name the decorator for good (the module stays in
# sys.modules, where `from distilabel.pipeline.routing_batch_function import ...` finds it).
from distilabel.pipeline.routing_batch_function import routing_batch_function
from distilabel.utils.lazy import lazy_package

if TYPE_CHECKING:
    from distilabel.pipeline.base import BasePipeline
    from distilabel.pipeline.local import Pipeline
    from distilabel.pipeline.ray import RayPipeline
    from distilabel.pipeline.routing_batch_function import (
        RoutingBatchFunction,
        routing_batch_function,
        sample_n_steps,
    )
    from distilabel.pipeline.summary import DistilabelRunFailedError

_EXPORTS, __getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
