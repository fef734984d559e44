"""The check every model with local weights makes before using them."""

from typing import Any


def ensure_loaded(component: Any) -> None:
    """Raise a clear error when ``component._model`` was not created by ``load()``."""
    if getattr(component, "_model", None) is None:
        raise RuntimeError(f"{type(component).__name__} is not loaded: call load() first.")
