"""Names and paths shared across distilabel, at distilabel 1.5's module path ``distilabel.constants``.

The values are those distilabel 1.5 uses, so code that reads them (e.g. the
``distilabel_metadata`` column, the ``pipeline.yaml`` file name or the cache folder)
keeps working. A few name parts of distilabel 1.5's multiprocessing engine (the
``*_ATTR_NAME`` graph attributes, ``LAST_BATCH_SENT_FLAG``) are kept as names only:
this engine has no such attributes.
"""

from pathlib import Path
from typing import Final

# Steps
DISTILABEL_METADATA_KEY: Final[str] = "distilabel_metadata"

# Cache: ``DISTILABEL_CACHE_DIR`` replaces PIPELINES_CACHE_DIR when set
# (``distilabel.pipeline.base.default_cache_dir``).
BASE_CACHE_DIR: Final[Path] = Path.home() / ".cache" / "distilabel"
PIPELINES_CACHE_DIR: Final[Path] = BASE_CACHE_DIR / "pipelines"

# The pipeline graph (distilabel 1.5 names)
STEP_ATTR_NAME: Final[str] = "step"
INPUT_QUEUE_ATTR_NAME: Final[str] = "input_queue"
RECEIVES_ROUTED_BATCHES_ATTR_NAME: Final[str] = "receives_routed_batches"
ROUTING_BATCH_FUNCTION_ATTR_NAME: Final[str] = "routing_batch_function"
CONVERGENCE_STEP_ATTR_NAME: Final[str] = "convergence_step"
LAST_BATCH_SENT_FLAG: Final[str] = "last_batch_sent"

# Environment of a running pipeline
PIPELINE_NAME_ENV_NAME: Final[str] = "DISTILABEL_PIPELINE_NAME"
PIPELINE_CACHE_ID_ENV_NAME: Final[str] = "DISTILABEL_PIPELINE_CACHE_ID"
SIGINT_HANDLER_CALLED_ENV_NAME: Final[str] = "sigint_handler_called"

# Folders of a run
STEPS_OUTPUTS_PATH: Final[str] = "steps_outputs"
STEPS_ARTIFACTS_PATH: Final[str] = "steps_artifacts"

# Distisets
DISTISET_CONFIG_FOLDER: Final[str] = "distiset_configs"
DISTISET_ARTIFACTS_FOLDER: Final[str] = "artifacts"
PIPELINE_CONFIG_FILENAME: Final[str] = "pipeline.yaml"
PIPELINE_LOG_FILENAME: Final[str] = "pipeline.log"

# Where error messages point for help
DISTILABEL_DOCS_URL: Final[str] = "https://distilabel.argilla.io/latest/"

__all__ = [
    "BASE_CACHE_DIR",
    "CONVERGENCE_STEP_ATTR_NAME",
    "DISTILABEL_DOCS_URL",
    "DISTILABEL_METADATA_KEY",
    "DISTISET_ARTIFACTS_FOLDER",
    "DISTISET_CONFIG_FOLDER",
    "INPUT_QUEUE_ATTR_NAME",
    "LAST_BATCH_SENT_FLAG",
    "PIPELINES_CACHE_DIR",
    "PIPELINE_CACHE_ID_ENV_NAME",
    "PIPELINE_CONFIG_FILENAME",
    "PIPELINE_LOG_FILENAME",
    "PIPELINE_NAME_ENV_NAME",
    "RECEIVES_ROUTED_BATCHES_ATTR_NAME",
    "ROUTING_BATCH_FUNCTION_ATTR_NAME",
    "SIGINT_HANDLER_CALLED_ENV_NAME",
    "STEPS_ARTIFACTS_PATH",
    "STEPS_OUTPUTS_PATH",
    "STEP_ATTR_NAME",
]
