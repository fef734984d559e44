"""Event-loop plumbing: the pipeline's one loop, and async models used from sync code.

``run_coroutine`` is how the local engine runs: one new event loop per pipeline
run, in the calling thread, or in a thread of its own when the caller already has
a running loop (a notebook), where ``asyncio.run`` would refuse to start. Every
step's async work happens on that loop; blocking work goes to worker threads.

``BackgroundLoop`` runs coroutines on a private event loop in a daemon thread, so
an async model's ``generate()`` works the same from a script, from a thread, and
from inside a running loop.

``LoopLocal`` keeps one value per event loop: SDK clients bind their connection
pools to the loop they first run on, so each loop needs its own client.
"""

import asyncio
import threading
import weakref
from typing import Any, Callable, Coroutine, Dict, Generic, Optional, TypeVar

_T = TypeVar("_T")


def run_coroutine(coro: Coroutine[Any, Any, _T], thread_name: str = "distilabel-pipeline") -> _T:
    """Run ``coro`` on a new event loop until it finishes and return its result.

    ``asyncio.run`` in the calling thread (so Ctrl-C reaches the coroutine as a
    cancellation and then raises ``KeyboardInterrupt`` here); from inside a running
    loop, the same in a new thread named ``thread_name``, joined before returning.
    An exception of ``coro`` is raised here either way.
    """
    if _running_loop() is None:
        return asyncio.run(coro)
    result: Dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as error:
            result["error"] = error

    thread = threading.Thread(target=target, name=thread_name)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")  # type: ignore[return-value]


class BackgroundLoop:
    """A private event loop running in a daemon thread, started on first use."""

    def __init__(self, name: str = "distilabel-loop") -> None:
        self._name = name
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name=self._name, daemon=True)
                self._thread.start()
            return self._loop

    @property
    def running_loop(self) -> Optional[asyncio.AbstractEventLoop]:
        """The loop if it was started and not closed, without starting it."""
        loop = self._loop
        return loop if loop is not None and not loop.is_closed() else None

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coro`` on the private loop and block until it finishes.

        If the caller is interrupted (Ctrl-C), the coroutine is cancelled too.
        """
        loop = self.loop
        if _running_loop() is loop:
            coro.close()
            raise RuntimeError("BackgroundLoop.run() called from its own loop; await the coroutine instead.")
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def close(self, cleanup: Optional[Callable[[], Coroutine[Any, Any, Any]]] = None) -> None:
        """Run ``cleanup`` on the loop (e.g. closing clients), then stop the loop and its thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or loop.is_closed():
            return
        if cleanup is not None and thread is not None and thread.is_alive() and thread is not threading.current_thread():
            try:
                asyncio.run_coroutine_threadsafe(cleanup(), loop).result(timeout=10)
            except Exception:
                pass
        loop.call_soon_threadsafe(loop.stop)
        if thread is threading.current_thread():
            return  # closed from a callback on the loop itself: it stops once the callback returns
        if thread is not None:
            thread.join(timeout=10)
        if not loop.is_running():
            loop.close()


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LoopLocal(Generic[_T]):
    """One value per event loop, made by ``factory`` the first time a loop asks.

    The factory is passed at each call instead of being stored, so a LoopLocal
    held by a finalizer does not keep its owner alive.
    """

    def __init__(self) -> None:
        self._values: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, factory: Callable[[], _T]) -> _T:
        loop = asyncio.get_running_loop()
        with self._lock:
            value = self._values.get(loop)
            if value is None:
                value = self._values[loop] = factory()
            return value

    def pop(self, loop: asyncio.AbstractEventLoop) -> Optional[_T]:
        with self._lock:
            return self._values.pop(loop, None)
