"""Run the functions of a user's library in a child process, one call at a time, each with a timeout.

Why a child process: a generated call may loop forever, call ``sys.exit``, crash the
interpreter or print to the terminal. In a child, a call that overruns is ended by
killing the process (a thread cannot be killed, and ``signal.alarm`` only works in
the main thread, while pipeline steps run in worker threads); a crash costs one
row, not the pipeline. The child imports nothing but the standard library and the
user's files, so it starts in milliseconds.

Only functions *defined* in the files of ``libpath`` are callable, by a plain
identifier: not names they import (``os``, ``system``), not private names, and in
folder mode only ``<libpath>/<name>.py``, so a generated name cannot reach outside
the folder the user gave.

Protocol: JSON lines. The parent writes ``{"name": ..., "arguments": ...}`` to the
child's stdin; the child answers ``{"keep": bool, "execution_result": str}`` on a
duplicate of its original stdout (its own stdin, stdout and stderr are pointed at
the null device, so the functions cannot read or garble the protocol). The first
line the child writes says whether the library loaded.

This module must stay importable with the standard library alone: the child runs it as a script.
"""

import ast
import importlib.util
import inspect
import json
import keyword
import os
import queue
import re
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from types import ModuleType
from typing import IO, Any, Callable, Dict, Optional, Tuple, TypedDict


class FunctionResult(TypedDict):
    """The result of running one function call."""

    keep: bool
    execution_result: str


TIMED_OUT = "Function execution timed out"

# Code that starts processes, touches the OS, reads the terminal, ends the interpreter
# or reconfigures logging has no place in a function-calling dataset.
_DANGEROUS = re.compile(
    r"\bsubprocess\.|\bos\.(system|popen|exec\w*|spawn\w*|fork\w*|kill\w*|remove|unlink|rmdir|removedirs)\b"
    r"|\bshutil\.rmtree\b|\binput\(|\bthreading\.Thread\(|\bmultiprocessing\b|\bexec\(|\beval\("
    r"|\b__import__\(|\bexit\(|\bquit\(|\bSystemExit\b|\bargparse\.ArgumentParser\(|\bunittest\.main\("
    r"|\.setLevel\("
)


def dangerous_reason(function: Callable[..., Any]) -> Optional[str]:
    """What makes ``function``'s source unsafe to run, or ``None`` when nothing does."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return "its source code cannot be read to check it"
    match = _DANGEROUS.search(source)
    return f"its source uses {match.group(0)!r}" if match else None


def coerce_arguments(arguments: Any) -> Any:
    """Turn string values that spell Python literals (``"[1, 2]"``, ``"3.5"``) into those values.

    Models often quote every argument; ``ast.literal_eval`` builds only literals, so a
    string such as ``"__import__('os')"`` stays a string.
    """

    def coerce(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return ast.literal_eval(value)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                return value
        return value

    if isinstance(arguments, dict):
        return {key: coerce(value) for key, value in arguments.items()}
    if isinstance(arguments, (list, tuple)):
        return [coerce(value) for value in arguments]
    return arguments


def call_function(function: Callable[..., Any], arguments: Any) -> FunctionResult:
    """Call ``function`` with a model's ``arguments`` (a dict by name, a list by position, or nothing)."""
    arguments = coerce_arguments(arguments)
    try:
        if isinstance(arguments, dict):
            result = function(**arguments)
        elif isinstance(arguments, list):
            result = function(*arguments)
        else:
            result = function()
        return FunctionResult(keep=True, execution_result=str(result))
    except SystemExit as error:
        return FunctionResult(
            keep=False, execution_result=f"The function tried to exit (SystemExit: {error})"
        )
    except Exception as error:
        return FunctionResult(keep=False, execution_result=str(error))


def load_module(path: Path, module_name: str) -> ModuleType:
    """Import the Python file at ``path`` as a module named ``module_name``."""
    spec = importlib.util.spec_from_file_location(module_name, str(path))
    if spec is None or spec.loader is None:
        raise ImportError(f"{str(path)!r} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def is_callable_name(name: Any) -> bool:
    """Whether ``name`` may name a library function: a public identifier, not a keyword."""
    return (
        isinstance(name, str)
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("_")
    )


class Library:
    """The functions of ``libpath``: one ``.py`` file, or a folder of ``<function>.py`` files."""

    def __init__(self, libpath: str, check_is_dangerous: bool = True) -> None:
        self.path = Path(libpath)
        self.check_is_dangerous = check_is_dangerous
        self._modules: Dict[str, Optional[ModuleType]] = {}
        self._verdicts: Dict[str, Optional[str]] = {}
        if self.path.is_file():
            self._module: Optional[ModuleType] = load_module(
                self.path, f"_apigen_library_{self.path.stem}"
            )
        elif self.path.is_dir():
            self._module = None
        else:
            raise FileNotFoundError(f"libpath {libpath!r} is neither a Python file nor a folder")

    def find(self, name: str) -> Optional[Callable[..., Any]]:
        """The function ``name`` defined in the library, or ``None``."""
        if not is_callable_name(name):
            return None
        module = self._module if self._module is not None else self._folder_module(name)
        if module is None:
            return None
        function = getattr(module, name, None)
        if not inspect.isfunction(function) or function.__module__ != module.__name__:
            return None
        return function

    def _folder_module(self, name: str) -> Optional[ModuleType]:
        if name not in self._modules:
            path = self.path / f"{name}.py"
            self._modules[name] = (
                load_module(path, f"_apigen_library_{name}") if path.is_file() else None
            )
        return self._modules[name]

    def run(self, name: Any, arguments: Any) -> FunctionResult:
        try:
            function = self.find(name)
        except Exception as error:
            return FunctionResult(
                keep=False, execution_result=f"Function '{name}' could not be loaded: {error}"
            )
        if function is None:
            return FunctionResult(keep=False, execution_result=f"Function '{name}' not found.")
        if self.check_is_dangerous:
            if name not in self._verdicts:
                self._verdicts[name] = dangerous_reason(function)
            reason = self._verdicts[name]
            if reason is not None:
                return FunctionResult(
                    keep=False,
                    execution_result=f"Function '{name}' was not run: {reason} (check_is_dangerous).",
                )
        return call_function(function, arguments)


# --- the child ------------------------------------------------------------------------------------


def _serve(libpath: str, check_is_dangerous: bool) -> None:
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115

    def reply(message: Dict[str, Any]) -> None:
        replies.write(json.dumps(message) + "\n")
        replies.flush()

    try:
        library = Library(libpath, check_is_dangerous)
    except BaseException as error:
        reply({"ready": False, "error": f"{type(error).__name__}: {error}"})
        return
    reply({"ready": True})
    for line in requests:
        request = json.loads(line)
        reply(dict(library.run(request.get("name"), request.get("arguments"))))


# --- the parent -----------------------------------------------------------------------------------


class FunctionRunner:
    """Runs calls against a library in a child process, restarting it after a timeout or a crash.

    Calls are serialised (a lock), so one runner may be shared by threads.

    Args:
        libpath: a ``.py`` file, or a folder of ``<function>.py`` files.
        check_is_dangerous: refuse functions whose source looks unsafe (see ``_DANGEROUS``).
        timeout: seconds one call may take before the child is killed.
        start_timeout: seconds the child may take to start and import the library.
    """

    def __init__(
        self,
        libpath: str,
        check_is_dangerous: bool = True,
        timeout: float = 5.0,
        start_timeout: float = 60.0,
    ) -> None:
        self.libpath = libpath
        self.check_is_dangerous = check_is_dangerous
        self.timeout = timeout
        self.start_timeout = start_timeout
        self._lock = threading.Lock()
        self._process: Optional[subprocess.Popen] = None
        self._replies: queue.Queue[Optional[Dict[str, Any]]] = queue.Queue()
        self._finalizer: Optional[weakref.finalize] = None

    def start(self) -> None:
        """Start the child and load the library.

        Raises:
            RuntimeError: the library could not be imported, or the child did not start.
        """
        with self._lock:
            self._start()

    def run(self, name: Any, arguments: Any) -> FunctionResult:
        """Run one call; never raises: failures are a result with ``keep=False``."""
        with self._lock:
            try:
                if self._process is None or self._process.poll() is not None:
                    self._start()
                process, replies = self._process, self._replies
                assert process is not None and process.stdin is not None
                process.stdin.write(
                    json.dumps({"name": name, "arguments": arguments}, default=str) + "\n"
                )
                process.stdin.flush()
            except (OSError, RuntimeError, ValueError) as error:
                self._stop()
                return FunctionResult(
                    keep=False, execution_result=f"The function runner failed: {error}"
                )
            try:
                reply = replies.get(timeout=self.timeout)
            except queue.Empty:
                self._stop(force=True)
                return FunctionResult(
                    keep=False, execution_result=f"{TIMED_OUT} (after {self.timeout:g} s)"
                )
            if reply is None:
                code = process.wait()
                self._stop()
                return FunctionResult(
                    keep=False,
                    execution_result=f"The process running '{name}' exited with code {code}",
                )
            return FunctionResult(
                keep=bool(reply["keep"]), execution_result=str(reply["execution_result"])
            )

    def close(self) -> None:
        """Stop the child."""
        with self._lock:
            self._stop()

    def _start(self) -> None:
        self._stop()
        command = [
            sys.executable,
            "-u",
            str(Path(__file__).resolve()),
            self.libpath,
            str(int(self.check_is_dangerous)),
        ]
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            encoding="utf-8",
            bufsize=1,
        )
        replies: queue.Queue[Optional[Dict[str, Any]]] = queue.Queue()
        threading.Thread(target=_read_replies, args=(process.stdout, replies), daemon=True).start()
        self._process, self._replies = process, replies
        self._finalizer = weakref.finalize(self, _kill, process)
        try:
            hello = replies.get(timeout=self.start_timeout)
        except queue.Empty:
            self._stop(force=True)
            raise RuntimeError(
                f"the process loading {self.libpath!r} did not start within {self.start_timeout:g} s"
            ) from None
        if hello is None or not hello.get("ready"):
            self._stop()
            reason = hello.get("error") if hello else "the process exited"
            raise RuntimeError(f"could not load the functions in {self.libpath!r}: {reason}")

    def _stop(self, force: bool = False) -> None:
        if force and self._process is not None and self._process.poll() is None:
            self._process.kill()
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        self._process = None


def _read_replies(stream: IO[str], replies: "queue.Queue[Optional[Dict[str, Any]]]") -> None:
    # This thread owns the child's stdout: it reads until the child is gone, then closes it.
    try:
        for line in stream:
            try:
                replies.put(json.loads(line))
            except ValueError:
                continue
    except (OSError, ValueError):
        pass
    finally:
        stream.close()
        replies.put(None)


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
    else:
        process.wait()
    if process.stdin is not None:
        try:
            process.stdin.close()
        except OSError:
            pass


def _main(argv: Tuple[str, ...]) -> None:
    # Run as a script, Python puts this file's folder first on sys.path: the user's
    # functions must not import our sibling modules by accident.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if p and str(Path(p).resolve()) != here]
    _serve(argv[0], argv[1] == "1")


if __name__ == "__main__":
    _main(tuple(sys.argv[1:]))
