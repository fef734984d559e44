"""Module-level lazy exports, so ``import distilabel`` does not import every provider."""

import importlib
from typing import Any, Callable, Dict, List, Tuple


def lazy_exports(package: str, exports: Dict[str, str]) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose names live in submodules.

    Args:
        package: the package's ``__name__``.
        exports: exported name mapped to the module defining it (absolute, or
            relative to ``package`` when it starts with a dot).
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    def __dir__() -> List[str]:
        return sorted(exports)

    return __getattr__, __dir__
