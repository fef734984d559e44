"""Import an optional SDK, or fail with the ``pip install`` that provides it."""

import importlib
from types import ModuleType


def require(module: str, extra: str, user: str) -> ModuleType:
    """Import ``module`` for ``user``; if missing, name the distilabel extra to install.

    Args:
        module: the module to import, e.g. ``"openai"``.
        extra: the distilabel extra that installs it, e.g. ``"openai"``.
        user: the component that needs it, e.g. ``"OpenAILLM"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{user} needs the {module!r} package, which is not installed."
            f" Install it with: pip install 'distilabel[{extra}]'"
        ) from error
