"""One run at a time per run folder: a lock file held for the whole run.

Two runs of the same pipeline (say, the second with another
``max_concurrent_requests``, which does not change the run folder) would write
the same ``rows.jsonl`` files: the second truncates them under the first, and both
end with a short dataset while saying they finished. So a run takes an exclusive
lock on ``<run folder>/run.lock`` before it writes anything there, and a second
run stops at once with an error naming the process that holds it.

The lock is ``fcntl.flock`` (``msvcrt.locking`` on Windows): the operating system
drops it when its process ends, even on ``kill -9``, so a crash never leaves a
folder locked. The file keeps the pid of the last holder, for the error message.
"""

import os
import socket
from pathlib import Path
from typing import Any, Optional, Union

from distilabel.errors import DistilabelUserError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

LOCK_FILE = "run.lock"


class RunFolderLockedError(DistilabelUserError):
    """Another run (this process or another) is using the same run folder."""


class RunLock:
    """The exclusive lock of one run folder; release it with ``release()`` (or ``with``).

    Args:
        directory: the run folder.

    Raises:
        RunFolderLockedError: another run holds the folder.
    """

    def __init__(self, directory: Union[str, os.PathLike]) -> None:
        self._fd: Optional[int] = None
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self.directory.mkdir(parents=True, exist_ok=True)
        # Opened without truncating: the holder's pid stays readable until we own the lock.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise RunFolderLockedError(
                f"Another run of this pipeline is using its run folder {str(self.directory)!r}"
                f" ({holder}). Two runs of the same pipeline on the same cache dir would overwrite"
                " each other's rows; wait for that run to end (or stop it), or give this run another"
                " `cache_dir`."
            ) from None
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let another run use the folder. Idempotent."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    def __del__(self) -> None:
        # A lock nobody released (an error between taking and handing it over) must not
        # keep the folder locked for as long as the process lives.
        try:
            self.release()
        except Exception:
            pass

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.release()


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("utf-8", "replace").split()
    except OSError:
        text = []
    if not text:
        return "a process that has not written its pid yet"
    pid = text[0]
    host = f" on {text[1]}" if len(text) > 1 and text[1] != socket.gethostname() else ""
    own = " (this process)" if pid == str(os.getpid()) and not host else ""
    return f"held by process {pid}{host}{own}"


__all__ = ["LOCK_FILE", "RunFolderLockedError", "RunLock"]
