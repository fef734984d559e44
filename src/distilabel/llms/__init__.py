"""The old import path ``distilabel.llms``: same classes as ``distilabel.models.llms``.

Importing a name from here works but warns: use ``distilabel.models.llms`` instead.
"""

from distilabel.models.llms import LLM_EXPORTS
from distilabel.utils.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, LLM_EXPORTS, deprecated_in_favour_of="distilabel.models.llms")
