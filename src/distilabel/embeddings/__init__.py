"""The old import path ``distilabel.embeddings``: same classes as ``distilabel.models.embeddings``.

Importing a name from here works but warns: use ``distilabel.models`` (or
``distilabel.models.embeddings``) instead.
"""

from distilabel.models.embeddings import EMBEDDINGS_EXPORTS
from distilabel.utils.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, EMBEDDINGS_EXPORTS, deprecated_in_favour_of="distilabel.models")
