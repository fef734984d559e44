"""Environment variables distilabel reads, at distilabel 1.5's module path ``distilabel.envs``.

Each attribute reads its variable when accessed (``distilabel.envs.DISTILABEL_LOG_LEVEL``),
so a change made after import is seen.
"""

import os
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from distilabel import constants

if TYPE_CHECKING:
    DISTILABEL_LOG_LEVEL: str
    DISTILABEL_PIPELINE_NAME: Optional[str]
    DISTILABEL_PIPELINE_CACHE_ID: Optional[str]
    DISTILABEL_CACHE_DIR: Optional[str]

ENVIRONMENT_VARIABLES: Dict[str, Callable[[], Any]] = {
    # The level of distilabel's loggers (DEBUG, INFO, WARNING, ...); INFO when unset.
    "DISTILABEL_LOG_LEVEL": lambda: os.getenv("DISTILABEL_LOG_LEVEL", "INFO").strip().upper() or "INFO",
    constants.PIPELINE_NAME_ENV_NAME: lambda: os.getenv(constants.PIPELINE_NAME_ENV_NAME),
    constants.PIPELINE_CACHE_ID_ENV_NAME: lambda: os.getenv(constants.PIPELINE_CACHE_ID_ENV_NAME),
    # Where pipelines keep their runs, instead of ~/.cache/distilabel/pipelines.
    "DISTILABEL_CACHE_DIR": lambda: os.getenv("DISTILABEL_CACHE_DIR"),
}


def __getattr__(name: str) -> Any:
    if name in ENVIRONMENT_VARIABLES:
        return ENVIRONMENT_VARIABLES[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return list(ENVIRONMENT_VARIABLES)
