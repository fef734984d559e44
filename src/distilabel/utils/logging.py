"""Logging set-up (distilabel 1.5's ``distilabel.utils.logging``).

``DISTILABEL_LOG_LEVEL`` (``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``, ``CRITICAL``;
``INFO`` when unset) is the level of distilabel's loggers: a pipeline run sets it
(``Pipeline.run``), and so does ``setup_logging``.
"""

import logging
import os
import warnings
from logging.handlers import QueueHandler, QueueListener
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

if TYPE_CHECKING:
    from queue import Queue

LOG_LEVEL_ENV_VAR = "DISTILABEL_LOG_LEVEL"
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Libraries whose INFO/DEBUG records drown a pipeline's own.
_SILENT_LOGGERS = (
    "datasets",
    "httpx",
    "openai._base_client",
    "httpcore.http11",
    "httpcore.connection",
    "urllib3.connectionpool",
    "filelock",
    "fsspec",
    "asyncio",
    "sentence_transformers.SentenceTransformer",
    "faiss.loader",
    "argilla.sdk",
)

_listener: Optional[QueueListener] = None
_installed: List[logging.Handler] = []


def log_level_from_env() -> Optional[int]:
    """The level ``DISTILABEL_LOG_LEVEL`` asks for, or ``None`` when it is unset.

    An unknown value warns and reads as ``INFO``.
    """
    raw = os.environ.get(LOG_LEVEL_ENV_VAR, "").strip().upper()
    if not raw:
        return None
    if raw not in _LEVELS:
        warnings.warn(
            f"Invalid {LOG_LEVEL_ENV_VAR}={raw!r}: use one of {', '.join(_LEVELS)}; using INFO.", stacklevel=2
        )
        return logging.INFO
    return getattr(logging, raw)


def setup_logging(
    log_queue: Optional["Queue[Any]"] = None,
    filename: Optional[str] = None,
    logging_handlers: Optional[List[logging.Handler]] = None,
) -> None:
    """Send distilabel's log records to a file, to handlers, or through a queue.

    Noisy libraries are set to CRITICAL; the ``distilabel`` logger gets the level of
    ``DISTILABEL_LOG_LEVEL`` (``INFO`` by default).

    Args:
        log_queue: a queue (e.g. shared with worker processes): records are put on it,
            and a listener hands them to the file and the handlers.
        filename: a log file to append to (its folder is created).
        logging_handlers: more handlers for the records.
    """
    global _listener
    stop_logging()
    for name in _SILENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    handlers = list(logging_handlers or [])
    if filename:
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(filename, delay=True, encoding="utf-8")
        file_handler.setFormatter(
            logging.Formatter("[%(asctime)s] %(levelname)-8s %(name)s: %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
        )
        handlers.append(file_handler)
    logger = logging.getLogger("distilabel")
    if log_queue is not None:
        _listener = QueueListener(log_queue, *handlers, respect_handler_level=True)
        _listener.start()
        handlers = [QueueHandler(log_queue)]
    for handler in handlers:
        logger.addHandler(handler)
        _installed.append(handler)
    logger.setLevel(log_level_from_env() or logging.INFO)


def stop_logging() -> None:
    """Undo ``setup_logging``: stop its queue listener and remove (and close) its handlers."""
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None
    logger = logging.getLogger("distilabel")
    while _installed:
        handler = _installed.pop()
        logger.removeHandler(handler)
        handler.close()


__all__ = ["LOG_LEVEL_ENV_VAR", "log_level_from_env", "setup_logging", "stop_logging"]
