"""Shared bits of the security tests: a fake LLM with ``trust_remote_code``, and reading a run's files."""

import json
from pathlib import Path
from typing import Any, Dict, List

from tests.unit.pipeline.fakes import EchoAsyncLLM

THIS_MODULE = "tests.unit.security.helpers"
FAKES_MODULE = "tests.unit.pipeline.fakes"


class RemoteCodeEchoLLM(EchoAsyncLLM):
    """``EchoAsyncLLM`` with the ``trust_remote_code`` field local engines have (it runs nothing)."""

    trust_remote_code: bool = False


def run_files_text(cache_dir: Path) -> str:
    """Everything a run wrote under ``cache_dir`` (rows, pipeline.yaml, log, summary), as one text."""
    return "\n".join(
        path.read_text(errors="replace") for path in sorted(cache_dir.rglob("*")) if path.is_file() and path.suffix != ".sqlite"
    )


def stored_rows(cache_dir: Path, step: str) -> List[Dict[str, Any]]:
    """The rows a step stored in its ``rows.jsonl`` (every run folder under ``cache_dir``)."""
    rows = []
    for path in sorted(cache_dir.rglob(f"steps/{step}/rows.jsonl")):
        rows.extend(json.loads(line)["r"] for line in path.read_text().splitlines() if line.strip())
    return rows
