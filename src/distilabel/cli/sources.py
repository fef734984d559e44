"""Where ``distilabel pipeline run`` gets a pipeline: a file or URL of a dump, or a script.

A URL is downloaded (with ``HF_TOKEN`` for huggingface.co, whose ``/blob/`` page
URLs are read as the ``/resolve/`` file URLs) into a temporary folder. A script is
run as a module (not as ``__main__``, so its ``if __name__ == "__main__":`` block
does not run) and the pipeline is the variable it defines, ``pipeline`` by default.
"""

import os
import runpy
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

from distilabel.errors import DistilabelUserError
from distilabel.utils.serialization import MAX_YAML_BYTES

if TYPE_CHECKING:
    from distilabel.pipeline.base import BasePipeline

_DOWNLOAD_TIMEOUT_SECONDS = 60
_CONFIG_SUFFIXES = (".json", ".yaml", ".yml")


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _url_suffix(url: str) -> str:
    return Path(urllib.parse.urlparse(url).path).suffix.lower()


def _request(url: str) -> urllib.request.Request:
    parsed = urllib.parse.urlparse(url)
    host = parsed.hostname or ""
    headers = {"User-Agent": "distilabel-cli"}
    if host == "huggingface.co" or host.endswith(".huggingface.co"):
        # A page URL (/blob/) shows HTML around the file; /resolve/ serves the file itself.
        url = url.replace("/blob/", "/resolve/", 1)
        if os.environ.get("HF_TOKEN"):
            headers["Authorization"] = f"Bearer {os.environ['HF_TOKEN']}"
    return urllib.request.Request(url, headers=headers)


def download(url: str, folder: Path) -> Path:
    """Download ``url`` into ``folder`` under its own file name; returns the file.

    Raises:
        DistilabelUserError: the server cannot be reached, answers an error, or sends
            more than a pipeline file may hold.
    """
    name = Path(urllib.parse.urlparse(url).path).name or "download"
    target = folder / name
    try:
        with urllib.request.urlopen(_request(url), timeout=_DOWNLOAD_TIMEOUT_SECONDS) as response:
            data = response.read(MAX_YAML_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise DistilabelUserError(f"Cannot download {url}: the server answered HTTP {error.code} ({error.reason}).") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DistilabelUserError(f"Cannot download {url}: {reason}.") from None
    if len(data) > MAX_YAML_BYTES:
        raise DistilabelUserError(f"Cannot download {url}: it is larger than {MAX_YAML_BYTES:,} bytes.")
    target.write_bytes(data)
    return target


@contextmanager
def local_copy(location: str, suffixes: tuple) -> Iterator[Path]:
    """A local path for ``location`` (a path, or a URL downloaded for the duration of the block)."""
    if not is_url(location):
        path = Path(location)
        if not path.is_file():
            raise DistilabelUserError(f"No file at {location!r}.")
        yield path
        return
    if _url_suffix(location) not in suffixes:
        raise DistilabelUserError(f"Cannot tell what {location} holds: the URL must end with {' or '.join(suffixes)}.")
    with tempfile.TemporaryDirectory(prefix="distilabel-cli-") as folder:
        yield download(location, Path(folder))


def pipeline_from_script(location: str, variable_name: str = "pipeline") -> "BasePipeline":
    """Run the script at ``location`` (a ``.py`` path or URL) and return its pipeline.

    Raises:
        DistilabelUserError: not a ``.py`` file, no variable ``variable_name``, or it is not a pipeline.
    """
    from distilabel.pipeline.base import BasePipeline

    if (_url_suffix(location) if is_url(location) else Path(location).suffix.lower()) != ".py":
        raise DistilabelUserError(f"--script takes a Python file (.py), got {location!r}.")
    with local_copy(location, (".py",)) as path:
        folder = str(path.resolve().parent)
        # Like `python script.py`: modules beside the script can be imported.
        sys.path.insert(0, folder)
        try:
            namespace = runpy.run_path(str(path), run_name=path.stem)
        finally:
            if sys.path and sys.path[0] == folder:
                sys.path.pop(0)
    pipeline: Optional[object] = namespace.get(variable_name)
    if pipeline is None:
        found = sorted(name for name, value in namespace.items() if isinstance(value, BasePipeline))
        hint = f" It defines {', '.join(found)}: pass --pipeline-variable-name." if found else ""
        raise DistilabelUserError(f"The script {location} has no variable {variable_name!r}.{hint}")
    if not isinstance(pipeline, BasePipeline):
        raise DistilabelUserError(
            f"{variable_name!r} in the script {location} is a {type(pipeline).__name__}, not a Pipeline."
        )
    return pipeline


__all__ = ["download", "is_url", "local_copy", "pipeline_from_script"]
