"""A reusable loopback HTTP server harness for provider fakes.

`LoopbackServer` owns everything that is *not* provider specific: binding to
127.0.0.1 on an ephemeral port, running in a background thread or in a child
process, injecting latency and faults, checking credentials, and recording what
clients sent. Subclasses (see `openai_server.py`) only provide routes, an error
body format and, if needed, a different authentication scheme.

The Python-side control API (`stats()`, `configure()`, `reset()`, ...) always
talks to the server through the `/__admin/` HTTP endpoints. That keeps both
modes identical from the caller's point of view and means all server state is
only ever touched from the server's own event loop, so no locks are needed.

Admin endpoints (never recorded, never faulted, never authenticated):

- `GET  /__admin/health`
- `GET  /__admin/stats`
- `GET  /__admin/requests?path=...`
- `GET  /__admin/timestamps?path=...`
- `GET  /__admin/config`, `POST /__admin/config` (JSON object of config keys)
- `POST /__admin/reset` (JSON `{"clear_state": bool}`)
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import math
import os
import random
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ADMIN_PREFIX = "/__admin/"
_HOST = "127.0.0.1"
# Repository root: the directory that contains the `tests` package, so the
# child process can `import tests.servers...` whatever the caller's cwd is.
_REPO_ROOT = Path(__file__).resolve().parents[2]
_REDACTED_HEADERS = frozenset({"authorization", "x-api-key", "api-key"})
# Large enough for JSON bodies of big batch inputs; uploads are bounded per
# provider (e.g. `max_file_bytes`) by streaming multipart readers instead.
_CLIENT_MAX_SIZE = 1024**3
# The benchmark opens hundreds of connections at once; a small accept backlog
# would drop SYNs and add whole-second TCP retransmit delays.
_BACKLOG = 2048

_MISSING = object()
_ServerT = TypeVar("_ServerT", bound="LoopbackServer")

JSON_KEY = web.RequestKey("json", object)
"""Where the middleware stores the parsed JSON body (None if not JSON)."""
_RECORD_KEY = web.RequestKey("loopback_record", dict)


class AdminError(RuntimeError):
    """An admin call was rejected by the server (bad config key, unknown id...)."""


class Recorder:
    """Cheap, append-only bookkeeping of the traffic a server received.

    Everything is O(1) per request so the recorder never becomes the
    bottleneck of a benchmark.
    """

    def __init__(self, max_requests: int, max_timestamps: int = 1_000_000) -> None:
        self.max_timestamps = max_timestamps
        self.requests: collections.deque[dict[str, Any]] = collections.deque(maxlen=max_requests)
        # Not part of clear(): requests in flight during a reset still finish
        # and decrement it.
        self.in_flight = 0
        self.clear()

    def clear(self) -> None:
        self.total = 0
        self.by_path: collections.Counter[str] = collections.Counter()
        self.by_route: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.by_path_status: dict[str, collections.Counter[int]] = collections.defaultdict(
            collections.Counter
        )
        self.timestamps: collections.deque[tuple[float, str]] = collections.deque(
            maxlen=self.max_timestamps
        )
        self.requests.clear()
        self.max_in_flight = self.in_flight
        self.faults_injected = 0
        # The current fixed window of the `rate_limit_requests` limit.
        self.window_start: float | None = None
        self.window_count = 0

    def resize(self, max_requests: int) -> None:
        if max_requests != self.requests.maxlen:
            self.requests = collections.deque(self.requests, maxlen=max_requests)

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_path": dict(self.by_path),
            "by_route": dict(self.by_route),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "by_path_status": {
                p: {str(k): v for k, v in c.items()} for p, c in self.by_path_status.items()
            },
            "timestamps": [t for t, _ in self.timestamps],
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "faults_injected": self.faults_injected,
        }


class LoopbackServer:
    """Base class of fake provider servers bound to 127.0.0.1 on an ephemeral port.

    Subclasses implement `routes()` and usually `error_body()`; they may extend
    `DEFAULT_CONFIG`, `authenticate()`, `admin_routes()` and `reset_state()`.

    Config keys understood by the base class (pass them to the constructor or
    to `configure()`):

    - `api_key` (str | None): expected credential; None disables auth.
    - `latency`: None, seconds as float, `("uniform", lo, hi)` or
      `("loguniform", lo, hi)`; slept with `asyncio.sleep` per request.
    - `seed` (int): seeds the RNG used for latency and fault injection.
    - `fault_rate` (float in [0, 1]) and `fault_statuses` (statuses to pick
      from): randomly answer requests with an error.
    - `retry_after` (str | float | None): `Retry-After` header value sent with 429s
      (None: no header, as many providers do).
    - `fail_all_until` (unix time | None) / `fail_all_for` (seconds from now):
      answer every request with `fail_all_status` until then.
    - `fail_all_status` (int): status used during a `fail_all_*` window.
    - `rate_limit_requests` (int | None) / `rate_limit_window` (seconds): an account
      limit of that many requests per fixed window, counted on arrival; every answer
      carries OpenAI's `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`
      and `x-ratelimit-reset-requests` headers, and requests over the limit get 429.
    - `max_recorded_requests` (int): how many full request bodies to keep.
    - `record_bodies` (bool): keep full request records at all.

    In thread mode `server.recorder` (and a subclass's stores) may also be
    read directly from the test; only the server's loop thread writes them.

    Args:
        mode: "thread" runs aiohttp on its own loop in a daemon thread of this
            process; "process" runs it in a child Python process so it does not
            compete with the client for the GIL.
        startup_timeout: seconds to wait for the server to accept requests.
        **config: initial values of the config keys above (and of the
            subclass's keys).
    """

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {
        "api_key": None,
        "latency": None,
        "seed": 0,
        "fault_rate": 0.0,
        "fault_statuses": (429, 500),
        "retry_after": "0",
        "fail_all_until": None,
        "fail_all_for": None,
        "fail_all_status": 429,
        "rate_limit_requests": None,
        "rate_limit_window": 1.0,
        "max_recorded_requests": 10_000,
        "record_bodies": True,
    }

    def __init__(
        self,
        *,
        mode: Literal["thread", "process"] = "thread",
        startup_timeout: float = 30.0,
        **config: Any,
    ) -> None:
        if mode not in ("thread", "process"):
            raise ValueError(f"mode must be 'thread' or 'process', got {mode!r}")
        self._check_config_keys(config)
        self.mode = mode
        self.startup_timeout = startup_timeout
        self.config: dict[str, Any] = dict(self.DEFAULT_CONFIG)
        # Kept separately so the child process receives exactly what the
        # caller asked for (e.g. `fail_all_for` measured from its own start).
        self._initial_config = dict(config)
        self._apply_config(config)
        self.recorder = Recorder(self.config["max_recorded_requests"])
        self._rng = random.Random(self.config["seed"])
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._process: subprocess.Popen[str] | None = None
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # ------------------------------------------------------------------ hooks

    def routes(self) -> list[web.RouteDef]:
        """Provider endpoints. Subclasses must override."""
        return []

    def admin_routes(self) -> list[web.RouteDef]:
        """Control endpoints under `/__admin/`; subclasses extend this list."""
        return [
            web.get("/__admin/health", self._admin_health),
            web.get("/__admin/stats", self._admin_stats),
            web.get("/__admin/requests", self._admin_requests),
            web.get("/__admin/timestamps", self._admin_timestamps),
            web.get("/__admin/config", self._admin_get_config),
            web.post("/__admin/config", self._admin_set_config),
            web.post("/__admin/reset", self._admin_reset),
        ]

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        """JSON body of an error response in the provider's format."""
        return {"error": {"status": status, "message": message, "code": code}}

    def authenticate(self, request: web.Request) -> bool:
        """Whether the request carries the configured credential.

        The default checks `Authorization: Bearer <api_key>`; providers that
        use another header override this.
        """
        expected = self.config["api_key"]
        if expected is None:
            return True
        return request.headers.get("Authorization", "") == f"Bearer {expected}"

    def auth_error_body(self, request: web.Request) -> dict[str, Any]:
        """Body of the 401 sent when `authenticate` fails."""
        return self.error_body(401, "Invalid or missing API key.", code="invalid_api_key")

    def reset_state(self) -> None:
        """Drop provider state (stored objects). Called by `reset(clear_state=True)`."""

    # ------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:43567` (no trailing slash)."""
        if self._port is None:
            raise RuntimeError("server is not running; call start() first")
        return f"http://{_HOST}:{self._port}"

    @property
    def port(self) -> int:
        """The bound port (only valid while running)."""
        if self._port is None:
            raise RuntimeError("server is not running; call start() first")
        return self._port

    @property
    def running(self) -> bool:
        return self._port is not None

    def start(self: _ServerT) -> _ServerT:
        """Start serving; returns self so `srv = Server().start()` works."""
        if self.running:
            raise RuntimeError("server already started")
        if self.mode == "thread":
            self._start_thread()
        else:
            self._start_process()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread/process to end (idempotent)."""
        try:
            if self.mode == "thread":
                self._stop_thread(timeout)
            else:
                self._stop_process(timeout)
        finally:
            self._port = None

    def __enter__(self: _ServerT) -> _ServerT:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"{type(self).__name__}(mode={self.mode!r}, {where})"

    # ------------------------------------------------------ control (admin)

    def configure(self, **config: Any) -> dict[str, Any]:
        """Change behaviour; works before `start()` and while running.

        Returns:
            The full effective config after the change.
        """
        self._check_config_keys(config)
        if not self.running:
            self._initial_config.update(config)
            self._apply_config(config)
            return dict(self.config)
        return self._admin("POST", "config", config)

    def get_config(self) -> dict[str, Any]:
        """The effective config as the running server sees it."""
        if not self.running:
            return dict(self.config)
        return self._admin("GET", "config")

    def stats(self) -> dict[str, Any]:
        """Counters of the traffic received since start or the last `reset()`.

        Returns:
            A dict with `total`, `by_path`, `by_route` (aiohttp route pattern),
            `statuses` ({status: count}), `by_path_status`, `timestamps` (unix
            receive times of every request), `in_flight`, `max_in_flight` and
            `faults_injected`. Admin calls are never counted.
        """
        raw = self._admin("GET", "stats")
        raw["statuses"] = {int(k): v for k, v in raw["statuses"].items()}
        raw["by_path_status"] = {
            p: {int(k): v for k, v in c.items()} for p, c in raw["by_path_status"].items()
        }
        return raw

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """The last `max_recorded_requests` requests, oldest first.

        Each record has `method`, `path`, `query`, `headers` (credentials
        removed), `json` (parsed body or None), `time` and `status`.
        """
        return self._admin("GET", "requests" + self._path_query(path))

    def timestamps(self, path: str | None = None) -> list[float]:
        """Unix receive times of the requests (optionally only for `path`)."""
        return self._admin("GET", "timestamps" + self._path_query(path))

    def reset(self, *, clear_state: bool = False) -> None:
        """Clear counters and recorded requests; `clear_state` also drops provider state."""
        self._admin("POST", "reset", {"clear_state": clear_state})

    def _admin(self, method: str, name: str, payload: Any = _MISSING) -> Any:
        """Call an admin endpoint of the running server and decode its JSON."""
        data = None if payload is _MISSING else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.url}{ADMIN_PREFIX}{name}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=60) as response:
                body = response.read()
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            raise AdminError(f"{method} {ADMIN_PREFIX}{name} -> {err.code}: {detail}") from None
        return json.loads(body) if body else None

    @staticmethod
    def _path_query(path: str | None) -> str:
        return "" if path is None else "?" + urllib.parse.urlencode({"path": path})

    # ------------------------------------------------------------- config

    def _check_config_keys(self, config: dict[str, Any]) -> None:
        unknown = set(config) - set(self.DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"unknown config keys for {type(self).__name__}: {sorted(unknown)}")

    def _apply_config(self, changes: dict[str, Any]) -> None:
        """Validate and merge `changes` into `self.config` (server side)."""
        self._check_config_keys(changes)
        new = dict(self.config)
        new.update(changes)
        new["latency"] = _normalize_latency(new["latency"])
        new["fault_statuses"] = tuple(int(s) for s in new["fault_statuses"])
        if not 0.0 <= float(new["fault_rate"]) <= 1.0:
            raise ValueError("fault_rate must be within [0, 1]")
        if new["fault_rate"] and not new["fault_statuses"]:
            raise ValueError("fault_rate > 0 needs at least one fault status")
        # `fail_all_for` is relative to the moment the server applies it.
        if changes.get("fail_all_for") is not None:
            new["fail_all_until"] = time.time() + float(changes["fail_all_for"])
        new["fail_all_for"] = None
        self.config = new
        if "seed" in changes and hasattr(self, "_rng"):
            self._rng.seed(new["seed"])
        if hasattr(self, "recorder"):
            self.recorder.resize(int(new["max_recorded_requests"]))

    # ----------------------------------------------------- request pipeline

    def build_app(self) -> web.Application:
        """The aiohttp application: admin routes, provider routes, middleware."""
        app = web.Application(client_max_size=_CLIENT_MAX_SIZE, middlewares=[self._middleware])
        app.add_routes(self.admin_routes())
        app.add_routes(self.routes())
        return app

    def json_error(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        """An error response with the provider's body format."""
        if status == 429 and headers is None and self.config["retry_after"] is not None:
            headers = {"Retry-After": str(self.config["retry_after"])}
        return web.json_response(
            self.error_body(status, message, code), status=status, headers=headers
        )

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await self._run_admin(request, handler)
        rec = self.recorder
        rec.in_flight += 1
        if rec.in_flight > rec.max_in_flight:
            rec.max_in_flight = rec.in_flight
        status = 500
        try:
            response = await self._handle(request, handler)
            status = response.status
            return response
        finally:
            rec.in_flight -= 1
            rec.statuses[status] += 1
            rec.by_path_status[request.path][status] += 1
            record = request.get(_RECORD_KEY)
            if record is not None:
                record["status"] = status

    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        now = time.time()
        rec = self.recorder
        rec.total += 1
        rec.by_path[request.path] += 1
        route = request.match_info.route.resource
        rec.by_route[route.canonical if route is not None else request.path] += 1
        rec.timestamps.append((now, request.path))

        payload, parse_error = await self._read_json(request)
        request[JSON_KEY] = payload
        if self.config["record_bodies"]:
            record = {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "headers": {
                    k: v for k, v in request.headers.items() if k.lower() not in _REDACTED_HEADERS
                },
                "json": payload,
                "time": now,
                "status": None,
            }
            request[_RECORD_KEY] = record
            rec.requests.append(record)

        window_headers = self._count_in_window(now)  # on arrival, as providers count
        await self._sleep_latency()
        if not self.authenticate(request):
            return web.json_response(self.auth_error_body(request), status=401)
        until = self.config["fail_all_until"]
        if until is not None and now < until:
            return self.json_error(
                self.config["fail_all_status"], "Simulated outage, please retry later."
            )
        if window_headers is not None:
            if int(window_headers["x-ratelimit-remaining-requests"]) < 0:
                window_headers["x-ratelimit-remaining-requests"] = "0"
                return self.json_error(429, "Rate limit reached for requests.", headers=window_headers)
            response = await self._respond(request, handler, parse_error)
            response.headers.update(window_headers)
            return response
        return await self._respond(request, handler, parse_error)

    def _count_in_window(self, now: float) -> dict[str, str] | None:
        """Count a request against `rate_limit_requests`; the headers to answer with, or None."""
        limit = self.config["rate_limit_requests"]
        if not limit:
            return None
        rec, window = self.recorder, float(self.config["rate_limit_window"])
        if rec.window_start is None or now >= rec.window_start + window:
            rec.window_start, rec.window_count = now, 0
        rec.window_count += 1
        reset_ms = max(0.0, (rec.window_start + window - now) * 1000)
        return {
            "x-ratelimit-limit-requests": str(limit),
            "x-ratelimit-remaining-requests": str(limit - rec.window_count),
            "x-ratelimit-reset-requests": f"{reset_ms:.0f}ms",
        }

    async def _respond(self, request: web.Request, handler: Handler, parse_error: str | None) -> web.StreamResponse:
        rec = self.recorder
        if self.config["fault_rate"] and self._rng.random() < self.config["fault_rate"]:
            rec.faults_injected += 1
            status = self._rng.choice(self.config["fault_statuses"])
            return self.json_error(status, f"Simulated fault ({status}).")
        if parse_error is not None:
            return self.json_error(400, parse_error)
        try:
            return await handler(request)
        except web.HTTPException as exc:
            # Unknown routes / wrong methods get the provider's error format.
            if exc.status == 404:
                message = f"Unknown request URL: {request.method} {request.path}."
            else:
                message = exc.reason
            return self.json_error(exc.status, message)

    @staticmethod
    async def _read_json(request: web.Request) -> tuple[Any, str | None]:
        """Parse a JSON body once so recording and handlers share it.

        Multipart and other bodies are left unread: uploads may be large and
        handlers stream them.
        """
        if not request.can_read_body or request.content_type != "application/json":
            return None, None
        raw = await request.read()
        if not raw:
            return None, None
        try:
            return json.loads(raw), None
        except ValueError:
            return None, "We could not parse the JSON body of your request."

    async def _sleep_latency(self) -> None:
        delay = sample_latency(self.config["latency"], self._rng)
        if delay > 0:
            await asyncio.sleep(delay)

    async def _run_admin(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"error": f"{type(exc).__name__}: {exc}"}, status=400)

    # ------------------------------------------------------ admin handlers

    async def _admin_health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "server": type(self).__name__})

    async def _admin_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.recorder.snapshot())

    async def _admin_requests(self, request: web.Request) -> web.Response:
        path = request.query.get("path")
        records = [r for r in self.recorder.requests if path is None or r["path"] == path]
        return web.json_response(records, dumps=_dumps_lenient)

    async def _admin_timestamps(self, request: web.Request) -> web.Response:
        path = request.query.get("path")
        stamps = [t for t, p in self.recorder.timestamps if path is None or p == path]
        return web.json_response(stamps)

    async def _admin_get_config(self, request: web.Request) -> web.Response:
        return web.json_response(self.config, dumps=_dumps_lenient)

    async def _admin_set_config(self, request: web.Request) -> web.Response:
        changes = await request.json()
        if not isinstance(changes, dict):
            raise TypeError("config must be a JSON object")
        self._apply_config(changes)
        return web.json_response(self.config, dumps=_dumps_lenient)

    async def _admin_reset(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        self.recorder.clear()
        if body.get("clear_state"):
            self.reset_state()
        return web.json_response({"ok": True})

    # ------------------------------------------------------------ serving

    async def _open(self, sock: socket.socket) -> None:
        """Start the aiohttp runner on an already bound socket (server loop)."""
        # Access logging per request would dominate CPU in benchmarks.
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock, backlog=_BACKLOG).start()

    async def _close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        server = runner.server
        await runner.cleanup()
        # A connection accepted while shutting down registers with the server
        # only after cleanup enumerated the open ones; close stragglers too so
        # no socket is left for the garbage collector (ResourceWarning).
        await _yield_to_loop()
        for handler in server.connections if server is not None else []:
            handler.force_close()
        await _yield_to_loop()

    def _start_thread(self) -> None:
        sock = _bind_socket()
        self._port = sock.getsockname()[1]
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open(sock))
            except BaseException as exc:  # surfaced to the caller of start()
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                # Cleanup runs here, on the loop's own thread, after stop().
                try:
                    loop.run_until_complete(self._close())
                    _cancel_pending(loop)
                finally:
                    loop.close()

        self._thread = threading.Thread(
            target=serve, name=f"{type(self).__name__}-{self._port}", daemon=True
        )
        self._thread.start()
        if not ready.wait(self.startup_timeout) or failure:
            self._stop_thread(5.0)
            self._port = None
            raise RuntimeError(f"{type(self).__name__} failed to start") from (
                failure[0] if failure else None
            )

    def _stop_thread(self, timeout: float) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        # The loop may already be closed if start() failed.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError(f"{type(self).__name__} thread did not stop within {timeout}s")

    def _process_command(self) -> list[str]:
        cls = type(self)
        if cls.__module__ == "__main__":
            raise RuntimeError(
                "process mode needs the server class to live in an importable module"
            )
        # `-c` instead of `-m` so subclasses need no `__main__` block and the
        # module is not imported twice (as `__main__` and by its real name).
        code = f"import importlib; importlib.import_module({cls.__module__!r}).{cls.__qualname__}.main()"
        config = json.dumps(self._initial_config, default=list)
        return [sys.executable, "-c", code, "--port", "0", "--config", config, "--exit-with-parent"]

    def _start_process(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_REPO_ROOT), env.get("PYTHONPATH")) if p
        )
        env["PYTHONUNBUFFERED"] = "1"
        self._process = subprocess.Popen(
            self._process_command(),
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=str(_REPO_ROOT),
            env=env,
            text=True,
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], self.startup_timeout)
        line = self._process.stdout.readline().strip() if ready else ""
        if not line.startswith("http://"):
            self._stop_process(5.0)
            raise RuntimeError(
                f"{type(self).__name__} child process failed to start (first line: {line!r})"
            )
        self._port = int(line.rsplit(":", 1)[1])
        # Keep draining stdout so a chatty child can never block on a full pipe.
        threading.Thread(target=_drain, args=(self._process.stdout,), daemon=True).start()

    def _stop_process(self, timeout: float) -> None:
        proc, self._process = self._process, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if proc.stdout is not None:
            proc.stdout.close()

    # ---------------------------------------------------- standalone entry

    @classmethod
    def main(cls, argv: Sequence[str] | None = None) -> None:
        """Serve in the foreground until SIGTERM/SIGINT.

        Prints the base URL as the first stdout line (the parent of a
        process-mode server reads it to learn the port).
        """
        parser = argparse.ArgumentParser(description=f"Run {cls.__name__} on 127.0.0.1.")
        parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
        parser.add_argument("--latency", type=float, default=None, help="fixed latency in seconds")
        parser.add_argument("--api-key", default=None, help="expected API key")
        parser.add_argument("--config", default="{}", help="JSON object of config keys")
        parser.add_argument(
            "--exit-with-parent",
            action="store_true",
            help="exit when the parent process dies (used by process mode)",
        )
        args = parser.parse_args(argv)
        config = json.loads(args.config)
        if args.latency is not None:
            config["latency"] = args.latency
        if args.api_key is not None:
            config["api_key"] = args.api_key
        server = cls(**config)
        asyncio.run(server._serve_forever(args.port, exit_with_parent=args.exit_with_parent))

    async def _serve_forever(self, port: int, exit_with_parent: bool = False) -> None:
        sock = _bind_socket(port)
        self._port = sock.getsockname()[1]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        watchdog = asyncio.create_task(_watch_parent(stop)) if exit_with_parent else None
        await self._open(sock)
        print(self.url, flush=True)
        try:
            await stop.wait()
        finally:
            if watchdog is not None:
                watchdog.cancel()
            await self._close()


def sample_latency(spec: Any, rng: random.Random) -> float:
    """Draw one latency in seconds from a normalized latency spec."""
    if spec is None:
        return 0.0
    if isinstance(spec, (int, float)):
        return float(spec)
    kind, lo, hi = spec
    if kind == "uniform":
        return rng.uniform(lo, hi)
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _normalize_latency(spec: Any) -> Any:
    """Validate a latency spec; JSON turns tuples into lists, so accept both."""
    if spec is None or (isinstance(spec, (int, float)) and not isinstance(spec, bool)):
        if spec is not None and spec < 0:
            raise ValueError("latency must be >= 0")
        return spec
    if isinstance(spec, (list, tuple)) and len(spec) == 3 and spec[0] in ("uniform", "loguniform"):
        kind, lo, hi = spec[0], float(spec[1]), float(spec[2])
        if lo < 0 or hi < lo or (kind == "loguniform" and lo <= 0):
            raise ValueError(f"invalid latency bounds: {spec!r}")
        return (kind, lo, hi)
    raise ValueError(
        f"latency must be None, seconds, ('uniform', lo, hi) or ('loguniform', lo, hi); got {spec!r}"
    )


def _bind_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((_HOST, port))
    sock.setblocking(False)
    return sock


async def _watch_parent(stop: asyncio.Event, interval: float = 1.0) -> None:
    """Set `stop` once the parent dies, so a crashed test run leaks no server."""
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(interval)
    stop.set()


async def _yield_to_loop(rounds: int = 3) -> None:
    """Let already scheduled callbacks (connection_made/lost) run."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and await leftover tasks so closing the loop warns about nothing."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())


def _drain(stream: Any) -> None:
    try:
        for _ in stream:
            pass
    except (OSError, ValueError):  # closed by stop()
        pass


def _dumps_lenient(obj: Any) -> str:
    # Recorded bodies and config may hold tuples or other non-JSON values.
    return json.dumps(obj, default=repr)
