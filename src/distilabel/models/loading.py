"""What every model with local weights shares around loading them.

- ``ensure_loaded``: the check before using the weights.
- ``SharedLoad``: load once however many steps share the model. The engine calls
  ``load()`` of every step (at the same time, in worker threads) and ``unload()``
  of every step at the end; two tasks holding one LLM would otherwise load its
  weights twice, and the first ``unload()`` would free them under the other task.
"""

import threading
from typing import Any, Callable


def ensure_loaded(component: Any) -> None:
    """Raise a clear error when ``component._model`` was not created by ``load()``."""
    if getattr(component, "_model", None) is None:
        raise RuntimeError(f"{type(component).__name__} is not loaded: call load() first.")


class SharedLoad:
    """Counts the users of one loaded model: loads on the first, unloads after the last.

    Each ``acquire`` needs one ``release``. ``acquire`` calls from several threads at
    once load the model once; the others wait for it and share it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0

    @property
    def users(self) -> int:
        """How many ``acquire`` calls have not been released yet."""
        return self._users

    def acquire(self, load: Callable[[], None]) -> None:
        """Call ``load`` unless the model is loaded already; count one more user.

        When ``load`` raises, nothing is counted and the error goes to the caller.
        """
        with self._lock:
            if self._users == 0:
                load()
            self._users += 1

    def release(self, unload: Callable[[], None]) -> None:
        """Count one user less; call ``unload`` when none is left (or none was counted)."""
        with self._lock:
            if self._users > 1:
                self._users -= 1
                return
            self._users = 0
            unload()


__all__ = ["SharedLoad", "ensure_loaded"]
