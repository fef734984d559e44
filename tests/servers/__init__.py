"""Loopback fake provider servers for tests and benchmarks.

`from tests.servers import OpenAIServer` works, but the submodules are only
imported on first attribute access so `python -m tests.servers.<module>` does
not import its own module twice.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LoopbackServer": "tests.servers.base",
    "AdminError": "tests.servers.base",
    "OpenAIServer": "tests.servers.openai_server",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
