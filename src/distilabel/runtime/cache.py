"""A per-request response cache that survives crashes: never pay twice for the same request.

Each entry maps a hash of *what was sent* (the LLM's class and request-shaping
fields such as ``model`` and ``base_url``, the input, the generation kwargs with
their defaults filled in, ``num_generations`` and the structured output) to the
``GenerateOutput`` that came back. Secrets (``distilabel.utils.secrets`` says what
is one) never enter the hash: ``SecretStr`` values, fields or kwargs named like a
credential (``api_key``, ``*_token``...) and ``*headers`` are dropped, and URLs lose
their user info and query string.
Outputs with a failed generation are not stored, so a re-run retries them.

The store is SQLite in WAL mode (stdlib ``sqlite3``): every thread reads through
its own connection, so a lookup costs a few microseconds and never waits for a
write. Stores go to a writer thread that commits them in small transactions at
least every ``flush_interval`` seconds (or at ``flush()``/``close()``): the event
loop never waits for the disk, and a crash (even ``kill -9``) loses at most the
last ``flush_interval`` of stores, never a committed one and never the file.
``write_behind=False`` commits each store before ``put`` returns instead, which is
what a pipeline does: a commit in WAL mode costs about as much as handing the store to
the writer (0.04 ms, measured), and then no answer that was paid for is lost to a crash.

How a pipeline uses it (one cache per pipeline, shared by its LLMs)::

    cache = ResponseCache.in_directory(pipeline_cache_dir, write_behind=False)  # <dir>/responses.sqlite
    for step in tasks:
        if use_cache and step.use_cache:
            step.llm.use_cache(cache)
    ...  # run
    cache.stats()              # {"hits": ..., "misses": ..., "stores": ...} for all LLMs
    step.llm.request_stats()   # per LLM: requests, retries, cache hits, tokens, ...
    cache.close()              # flushes pending stores

Keep the file *outside* any folder named after the pipeline's signature, so that
adding a step to the pipeline still finds the upstream responses. Standalone,
``llm.use_cache(ResponseCache("responses.sqlite"))`` caches ``generate()`` too;
without a cache attached nothing is cached.
"""

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union

from pydantic import BaseModel, SecretStr

from distilabel.utils.secrets import is_header_container, is_secret_name, strip_url_credentials

if TYPE_CHECKING:
    from distilabel.models.structured import StructuredOutput
    from distilabel.typing import GenerateOutput

CACHE_FILE_NAME = "responses.sqlite"
logger = logging.getLogger("distilabel.cache")
_SCHEMA_VERSION = 1

# --- keys -------------------------------------------------------------------------------------------


def _never_hashed(name: str) -> bool:
    """Credentials (``distilabel.utils.secrets``), and headers, which carry them and never shape an answer."""
    return is_secret_name(name) or is_header_container(name)


def scrub(value: Any) -> Any:
    """A JSON-compatible copy of ``value`` with every secret removed (see module docstring)."""
    if isinstance(value, str):
        return strip_url_credentials(value) if value.startswith(("http://", "https://")) else value
    if value is None or isinstance(value, (int, float)):  # bool is an int
        return value
    if isinstance(value, dict):
        return {
            str(key): scrub(item)
            for key, item in value.items()
            if not (isinstance(key, str) and _never_hashed(key)) and not isinstance(item, SecretStr)
        }
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    if isinstance(value, SecretStr):
        return None
    if isinstance(value, BaseModel):
        return scrub(value.model_dump(mode="json"))
    if isinstance(value, type) and issubclass(value, BaseModel):
        return value.model_json_schema()
    return repr(value)


def canonical_json(value: Any) -> str:
    """A stable JSON text for ``value``: sorted keys, no whitespace, secrets removed."""
    return _dumps(scrub(value))


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_fallback)


def _fallback(value: Any) -> Any:
    return scrub(value) if isinstance(value, (BaseModel, type)) else repr(value)


def structured_output_key(structured: Optional["StructuredOutput"]) -> Any:
    """The part of the key that says which structured output was asked for."""
    if structured is None:
        return None
    pattern = getattr(structured, "pattern", None)
    if pattern is not None:
        return {"regex": pattern}
    schema_json = getattr(structured, "schema_json", "") or canonical_json(structured.schema)  # type: ignore[union-attr]
    return {"json_schema": schema_json, "name": structured.name}  # type: ignore[union-attr]


def request_key_material(
    identity: str,
    input: Any,
    num_generations: int,
    generation_kwargs: Union[Dict[str, Any], str],
    structured: Optional["StructuredOutput"] = None,
) -> str:
    """The canonical text that is hashed into a request's key (never holds a secret).

    Args:
        identity: the LLM's identity (``canonical_json`` of its class and request-shaping fields).
        input: the conversation or prompt, without its structured output part (user
            content, encoded as is: scrubbing it would cost more than the lookup).
        num_generations: how many generations were asked for.
        generation_kwargs: the generation kwargs, defaults included (or their
            ``canonical_json``, when the caller keeps it for many requests).
        structured: the structured output that applied to the request.
    """
    # JSON texts never hold a raw \x1f, so joining with it is unambiguous.
    return "\x1f".join(
        (
            str(_SCHEMA_VERSION),
            identity,
            _dumps(input),
            str(num_generations),
            generation_kwargs if isinstance(generation_kwargs, str) else canonical_json(generation_kwargs),
            _dumps(structured_output_key(structured)),
        )
    )


def request_key(material: str) -> bytes:
    """The 32-byte key of a request, from ``request_key_material``."""
    # "surrogatepass": a prompt holding half an emoji still has a key (the same bytes otherwise).
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).digest()


# --- the store ---------------------------------------------------------------------------------------


class ResponseCache:
    """``GenerateOutput``s by request key, in a SQLite file (WAL mode) that survives crashes.

    Safe to share between threads, event loops and LLMs; processes may open the same
    file. Copies (``copy``/``deepcopy``) are the same cache; a pickled cache reopens
    its file on the other side.

    Args:
        path: the SQLite file; its folder is created if missing.
        write_behind: commit stores on a writer thread (the default) instead of before
            ``put`` returns.
        flush_interval: with ``write_behind``, the longest a store waits to be committed.
    """

    def __init__(
        self, path: Union[str, os.PathLike], *, write_behind: bool = True, flush_interval: float = 0.05
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.write_behind = write_behind
        self.flush_interval = flush_interval
        self._lock = threading.Lock()
        self._hits = self._misses = self._stores = 0
        self._pid = os.getpid()
        self._read_error_logged = False
        self._connections = _open_checked(self.path)
        self._writer = _Writer(self._connections, flush_interval)
        # Commits pending stores when the cache is collected or the interpreter exits.
        self._finalizer = weakref.finalize(self, _close, self._writer, self._connections)

    @classmethod
    def in_directory(cls, directory: Union[str, os.PathLike], **options: Any) -> "ResponseCache":
        """The cache file ``responses.sqlite`` inside ``directory``."""
        return cls(Path(directory) / CACHE_FILE_NAME, **options)

    # --- reading and writing ------------------------------------------------------------------

    def get(self, key: bytes) -> Optional["GenerateOutput"]:
        """The stored output for ``key`` (a fresh dict), or ``None``; counts a hit or a miss."""
        self._check_pid()
        text = self._writer.pending_value(key)
        if text is None:
            try:
                row = self._connections.get().execute(_SELECT, (key,)).fetchone()
            except sqlite3.DatabaseError as error:
                if not _is_corruption(error):
                    raise
                # Damaged after it was opened: answer without it rather than stop the run.
                self._log_read_error(error)
                row = None
            text = row[0] if row is not None else None
        with self._lock:
            if text is None:
                self._misses += 1
                return None
            self._hits += 1
        return json.loads(text)

    def put(self, key: bytes, output: "GenerateOutput") -> None:
        """Store a successful output for ``key`` (committed now, or by the writer thread)."""
        self._check_pid()
        text = json.dumps(output, separators=(",", ":"), ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (half an emoji) cannot go into SQLite as text, and would fail the
            # writer's whole batch: escaped, it is ASCII and reads back exactly as it was.
            text = json.dumps(output, separators=(",", ":"), ensure_ascii=True)
        if self.write_behind:
            self._writer.put(key, text)
        else:
            with self._connections.get() as connection:
                connection.execute(_UPSERT, (key, text, time.time()))
        with self._lock:
            self._stores += 1

    def flush(self, timeout: Optional[float] = None) -> None:
        """Wait until every store so far is committed to the file."""
        self._writer.flush(timeout)

    def close(self) -> None:
        """Commit pending stores and close every connection. Idempotent."""
        self._finalizer()

    def stats(self) -> Dict[str, int]:
        """Counters since this cache was opened: ``hits``, ``misses``, ``stores``, ``entries``.

        ``entries`` is how many responses the file holds, pending stores committed first.
        """
        self.flush()
        entries = self._connections.get().execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        with self._lock:
            return {"hits": self._hits, "misses": self._misses, "stores": self._stores, "entries": entries}

    def __len__(self) -> int:
        return self.stats()["entries"]

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.path)!r})"

    # A copy of an LLM shares its cache; a pickled one reopens the file.
    def __copy__(self) -> "ResponseCache":
        return self

    def __deepcopy__(self, memo: Dict[int, Any]) -> "ResponseCache":
        return self

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_reopen, (str(self.path), self.write_behind, self.flush_interval))

    def _log_read_error(self, error: sqlite3.DatabaseError) -> None:
        if not self._read_error_logged:
            self._read_error_logged = True
            logger.warning(
                "The response cache %s could not be read (%s): requests it cannot answer are sent again."
                " Delete the file (or move it aside) to start a fresh cache.",
                self.path,
                error,
            )

    def _check_pid(self) -> None:
        # After a fork the parent's connections and writer thread are not ours.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._lock = threading.Lock()
            self._connections = _open_checked(self.path)
            self._writer = _Writer(self._connections, self.flush_interval)
            self._finalizer = weakref.finalize(self, _close, self._writer, self._connections)


class _Connections:
    """One SQLite connection per thread: reads never wait on each other or on the writer."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()
        self._all: List[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.closed = False

    def get(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self.open()
        return connection

    def open(self) -> sqlite3.Connection:
        if self.closed:
            raise RuntimeError(f"the response cache {self._path} is closed")
        # Autocommit mode: each read sees the latest commit; writes use explicit transactions.
        connection = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL keeps every commit across a process crash; only a power
        # loss may drop the last commits (never corrupting the file).
        connection.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self._all.append(connection)
        return connection

    def close(self) -> None:
        with self._lock:
            self.closed = True
            connections, self._all = self._all, []
        for connection in connections:
            try:
                connection.close()
            except sqlite3.Error:
                pass


class _Writer:
    """Commits stores in small transactions on a daemon thread (started on first store).

    A store stays readable from ``pending``/``writing`` until its transaction is
    committed, so a lookup never misses a stored response.
    """

    def __init__(self, connections: _Connections, flush_interval: float) -> None:
        self._connections = connections
        self._interval = flush_interval
        self._cond = threading.Condition()
        self._pending: Dict[bytes, str] = {}
        self._writing: Dict[bytes, str] = {}
        self._thread: Optional[threading.Thread] = None
        self._closed = False
        self._flushing = 0  # callers waiting in flush(): commit now, do not gather
        self.error: Optional[BaseException] = None

    def pending_value(self, key: bytes) -> Optional[str]:
        # Lock-free: the writer publishes `_writing` before it empties `_pending`.
        return self._pending.get(key) or self._writing.get(key)

    def put(self, key: bytes, text: str) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("the response cache is closed")
            self._pending[key] = text
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="distilabel-cache-writer", daemon=True)
                self._thread.start()
            if len(self._pending) in (1, _MAX_BATCH):  # wake the writer: work to do, or a full batch
                self._cond.notify_all()

    def flush(self, timeout: Optional[float] = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while (self._pending or self._writing) and self._thread is not None and self._thread.is_alive():
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        break
                    self._cond.wait(remaining)
            finally:
                self._flushing -= 1
        if self.error is not None:
            raise RuntimeError("writing the response cache failed") from self.error

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)

    def _run(self) -> None:
        connection = self._connections.open()
        # Checkpoint the WAL into the file less often than every 4 MB: fewer, larger copies.
        connection.execute("PRAGMA wal_autocheckpoint=4000")
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._closed)
                # Gather more stores into this transaction, unless someone waits for it.
                self._cond.wait_for(
                    lambda: self._closed or self._flushing or len(self._pending) >= _MAX_BATCH, self._interval
                )
                self._writing = self._pending
                self._pending = {}
                batch, closing = self._writing, self._closed
            if batch:
                try:
                    now = time.time()
                    with connection:
                        connection.executemany(_UPSERT, [(key, text, now) for key, text in batch.items()])
                except BaseException as error:  # reported by flush()
                    self.error = error
            with self._cond:
                self._writing = {}
                self._cond.notify_all()
                if closing and not self._pending:
                    return


def _open_checked(path: Path) -> _Connections:
    """Connections to ``path``, checked readable; a corrupted file is moved aside for a fresh one.

    A cache only saves money: losing it costs the answers it held, while a damaged file
    that stops every run costs every run. So a file SQLite calls corrupt (a garbage
    header, a truncated file, a WAL that writes garbage pages) is renamed to
    ``<name>.corrupt-<timestamp>`` (its WAL beside it), with a warning, and a new one is made.
    """
    for attempt in range(2):
        before = _inode(path)
        connections = _Connections(path)
        try:
            _create_and_probe(connections.get())
            return connections
        except sqlite3.DatabaseError as error:
            connections.close()
            if attempt == 0 and _is_corruption(error):
                if _inode(path) == before:  # not replaced meanwhile by another process doing the same
                    moved = _move_aside(path)
                    logger.warning(
                        "The response cache %s is corrupted (%s): moved it to %s and started a fresh one."
                        " Answers it held will be requested again.",
                        path,
                        error,
                        moved,
                    )
                continue
            raise type(error)(f"Cannot open the response cache {path}: {error}") from error
    raise AssertionError("unreachable")


def _create_and_probe(connection: sqlite3.Connection) -> None:
    with connection:
        connection.execute(
            # Rows are appended in rowid order and found through the small key index:
            # 4x faster to write than a table clustered on random hash keys (measured).
            "CREATE TABLE IF NOT EXISTS responses ("
            " id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, value TEXT NOT NULL, created REAL NOT NULL)"
        )
    # Cheap reads that reach the schema, the table's last page and the key index: they find
    # a bad header, a truncated file or garbage pages, without reading the whole file.
    connection.execute("SELECT max(id) FROM responses").fetchone()
    connection.execute("SELECT value FROM responses ORDER BY id DESC LIMIT 1").fetchone()
    connection.execute(_SELECT, (b"",)).fetchone()


def _is_corruption(error: sqlite3.DatabaseError) -> bool:
    name = getattr(error, "sqlite_errorname", None)  # Python 3.11+
    if name is not None:
        return name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB"
    # Corruption is a plain DatabaseError; locks, I/O and permissions are OperationalError.
    return type(error) is sqlite3.DatabaseError


def _inode(path: Path) -> Optional[int]:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _move_aside(path: Path) -> Path:
    """Rename ``path`` (and its WAL) to ``<name>.corrupt-<timestamp>``; drop its shared-memory index."""
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    os.replace(path, target)
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        # Beside its database under SQLite's own naming, so opening the moved file reads it too.
        os.replace(wal, target.with_name(target.name + "-wal"))
    path.with_name(path.name + "-shm").unlink(missing_ok=True)
    return target


def _close(writer: _Writer, connections: _Connections) -> None:
    writer.close()
    connections.close()


_SELECT = "SELECT value FROM responses WHERE key = ?"
_UPSERT = "INSERT OR REPLACE INTO responses (key, value, created) VALUES (?, ?, ?)"
_MAX_BATCH = 256


def _reopen(path: str, write_behind: bool, flush_interval: float) -> ResponseCache:
    return ResponseCache(path, write_behind=write_behind, flush_interval=flush_interval)


__all__ = [
    "CACHE_FILE_NAME",
    "ResponseCache",
    "canonical_json",
    "is_secret_name",
    "request_key",
    "request_key_material",
    "scrub",
    "strip_url_credentials",
]
