"""Module-level lazy exports, so ``import distilabel`` does not import every provider.

A package declares its exports once, as the imports of its ``if TYPE_CHECKING:``
block (which type checkers and IDEs read), and builds its ``__getattr__`` and
``__dir__`` from them::

    if TYPE_CHECKING:
        from distilabel.models.llms.openai import OpenAILLM

    _EXPORTS, __getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
"""

import ast
import importlib
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def type_checking_exports(init_file: str) -> Dict[str, str]:
    """The names a package's ``__init__`` imports under ``if TYPE_CHECKING:``.

    Args:
        init_file: the package's ``__file__``.

    Returns:
        Each imported name (its alias where it has one) mapped to the module it is
        imported from, in the order of the imports.
    """
    tree = ast.parse(Path(init_file).read_text(encoding="utf-8"), filename=init_file)
    exports: Dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and _is_type_checking(node.test)):
            continue
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom):
                module = "." * statement.level + (statement.module or "")
                for alias in statement.names:
                    exports[alias.asname or alias.name] = module
    return exports


def lazy_exports(
    package: str,
    exports: Dict[str, str],
    deprecated_in_favour_of: Optional[str] = None,
) -> Tuple[Callable[[str], Any], Callable[[], List[str]], List[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for a package whose names live in submodules.

    Args:
        package: the package's ``__name__``.
        exports: exported name mapped to the module defining it (absolute, or
            relative to ``package`` when it starts with a dot).
        deprecated_in_favour_of: for an old import path kept for compatibility, the
            package to import from instead; each name looked up here then warns
            (``DeprecationWarning``) and is taken from that package.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if deprecated_in_favour_of is not None:
            warnings.warn(
                f"Importing {name} from {package!r} is deprecated; import it from"
                f" {deprecated_in_favour_of!r}.",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(importlib.import_module(deprecated_in_favour_of), name)
        return getattr(importlib.import_module(module, package), name)

    def __dir__() -> List[str]:
        return sorted(exports)

    return __getattr__, __dir__, sorted(exports)


def lazy_package(
    package: str, init_file: str
) -> Tuple[Dict[str, str], Callable[[str], Any], Callable[[], List[str]], List[str]]:
    """A package's exports (``type_checking_exports``), with its ``__getattr__``,
    ``__dir__`` and ``__all__`` (``lazy_exports``).

    Args:
        package: the package's ``__name__``.
        init_file: the package's ``__file__``.
    """
    exports = type_checking_exports(init_file)
    return (exports, *lazy_exports(package, exports))
