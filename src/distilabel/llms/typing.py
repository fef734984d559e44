"""The old import path ``distilabel.llms.typing``."""

from distilabel.models.llms.typing import *  # noqa: F403
from distilabel.models.llms.typing import __all__  # noqa: F401
