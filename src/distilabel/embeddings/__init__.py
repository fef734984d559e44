"""The old import path ``distilabel.embeddings``: same classes as ``distilabel.models.embeddings``.

Importing a name from here works but warns: use ``distilabel.models`` (or
``distilabel.models.embeddings``) instead.
"""

import importlib
import warnings
from typing import Any, List

from distilabel.models.embeddings import EMBEDDINGS_EXPORTS


def __getattr__(name: str) -> Any:
    if name not in EMBEDDINGS_EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"Importing {name} from 'distilabel.embeddings' is deprecated; import it from 'distilabel.models'.",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module("distilabel.models.embeddings"), name)


def __dir__() -> List[str]:
    return sorted(EMBEDDINGS_EXPORTS)


__all__ = sorted(EMBEDDINGS_EXPORTS)
