"""The old import path ``distilabel.llms``: same classes as ``distilabel.models.llms``.

Importing a name from here works but warns: use ``distilabel.models.llms`` instead.
"""

import importlib
import warnings
from typing import Any, List

from distilabel.models.llms import LLM_EXPORTS


def __getattr__(name: str) -> Any:
    if name not in LLM_EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"Importing {name} from 'distilabel.llms' is deprecated; import it from 'distilabel.models.llms'.",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module("distilabel.models.llms"), name)


def __dir__() -> List[str]:
    return sorted(LLM_EXPORTS)


__all__ = sorted(LLM_EXPORTS)
