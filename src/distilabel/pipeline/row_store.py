"""An append-only store of the rows a step has finished, one JSON line per row.

Each line is ``{"k": key, "r": row}``. The key is the row's position in the
pipeline's input (a list of ints: generator row index, then the index of each
row a step made out of one input), so rows can be put back in input order.

Rows are written in groups: what the step made of some inputs, in one write. The
last line of a group also carries ``"d"``, the keys of the inputs it finished, and
``"to"``, the successors its rows were sent to (a group with no rows is a line
with only those). So a later run can tell exactly which inputs a step finished
(resume): a group whose last line is missing (a crash mid-write) never counts, and
its rows were never sent on, because a group is written before it is sent. Rows
are flushed after each write, so an interrupted run keeps everything it finished.
A torn last line (invalid JSON, or bytes that are not UTF-8 because the write
stopped inside a character, e.g. on a full disk) is left out when reading, so its
group is redone. Text that cannot be encoded (a lone surrogate: half an emoji cut
at ``max_tokens``) is stored with U+FFFD in its place instead of stopping the run.

Beside ``rows.jsonl``: ``signature`` (the step's signature when its rows were
written) and ``done`` (written when the step finished every input).
"""

import json
import logging
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple

from distilabel.utils.unicode import clean_text

RowKey = Tuple[int, ...]
KeyedRow = Tuple[RowKey, Dict[str, Any]]

_ROWS_FILE = "rows.jsonl"
SIGNATURE_FILE = "signature"
DONE_FILE = "done"

logger = logging.getLogger("distilabel.pipeline")


class Group(NamedTuple):
    """Rows a step wrote together, with the inputs they finished.

    Attributes:
        inputs: the keys of the inputs this group finished.
        rows: the rows, with their keys.
        to: the successors the rows were sent to (``None``: all of them).
        lines: the group's lines as stored, to copy them without re-encoding.
    """

    inputs: List[RowKey]
    rows: List[KeyedRow]
    to: Optional[List[str]]
    lines: List[str]


def _default(value: Any) -> Any:
    # numpy arrays/scalars (embeddings, hidden states) and other array-likes.
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        return tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    return repr(value)


class RowStore:
    """The finished rows of one step, on disk under ``directory``.

    Args:
        directory: where the step's rows live.
        fresh: start empty (drop rows of a previous run) instead of appending.
    """

    def __init__(self, directory: Path, fresh: bool = True) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / _ROWS_FILE
        self._file = open(self.path, "wb" if fresh else "ab")  # noqa: SIM115
        self.count = 0

    def append(
        self, rows: Sequence[KeyedRow], inputs: Optional[Sequence[RowKey]] = None, to: Optional[List[str]] = None
    ) -> None:
        """Write the rows made of ``inputs`` (default: the rows' own keys) as one group.

        They are on disk (in the OS) when this returns.
        """
        done = [list(key) for key in (inputs if inputs is not None else [key for key, _ in rows])]
        marker: Dict[str, Any] = {"d": done}
        if to is not None:
            marker["to"] = to
        lines = [json.dumps({"k": key, "r": row}, ensure_ascii=False, default=_default) for key, row in rows]
        tail = json.dumps(marker)
        # The marker rides on the last row's line: a group is committed by one complete line.
        lines = [*lines[:-1], lines[-1][:-1] + "," + tail[1:]] if lines else [tail]
        text = "\n".join(lines) + "\n"
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            logger.warning(
                "Step %r: a row holds text that cannot be encoded (a lone surrogate, e.g. an emoji cut"
                " at max_tokens); it is stored with U+FFFD in its place.",
                self.directory.name,
            )
            # Only inside JSON strings can such a code point be: replacing it keeps the JSON valid.
            data = clean_text(text).encode("utf-8")
        self._file.write(data)
        self._file.flush()
        self.count += len(rows)

    def sync(self) -> None:
        """Force the rows written so far to the disk itself (survives a power cut)."""
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            self._file.close()

    def __enter__(self) -> "RowStore":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # --- reading ------------------------------------------------------------------------------

    @staticmethod
    def read(directory: Path) -> Iterator[KeyedRow]:
        """The rows stored under ``directory``, in the order they finished."""
        path = Path(directory) / _ROWS_FILE
        if not path.exists():
            return
        with open(path, "rb") as file:
            for raw in file:
                record = _parse(raw)
                if record is None:
                    continue  # torn last line of an interrupted write
                if "k" in record:
                    yield tuple(record["k"]), record["r"]

    @staticmethod
    def groups(directory: Path, limit: Optional[int] = None) -> Iterator[Group]:
        """The committed groups stored under ``directory`` (the first ``limit`` bytes only, if given).

        Rows after the last complete group (an interrupted write) are left out.
        """
        path = Path(directory) / _ROWS_FILE
        if not path.exists():
            return
        rows: List[KeyedRow] = []
        lines: List[str] = []
        read = 0
        with open(path, "rb") as file:
            for raw in file:
                read += len(raw)
                if limit is not None and read > limit:
                    return
                record = _parse(raw)
                if record is None:
                    return  # a torn line can only be the last one
                # A complete last line may lack its newline (a write cut just before it).
                lines.append(raw.decode("utf-8") + ("" if raw.endswith(b"\n") else "\n"))
                if "k" in record:
                    rows.append((tuple(record["k"]), record["r"]))
                if "d" in record:
                    yield Group([tuple(key) for key in record["d"]], rows, record.get("to"), lines)
                    rows, lines = [], []

    @staticmethod
    def read_sorted(directory: Path) -> List[Dict[str, Any]]:
        """The rows stored under ``directory``, in input order."""
        records = list(RowStore.read(directory))
        records.sort(key=lambda record: record[0])
        return [row for _, row in records]

    @staticmethod
    def keys(directory: Path) -> Set[RowKey]:
        """The keys of the rows stored under ``directory``."""
        return {key for key, _ in RowStore.read(directory)}


def _parse(raw: bytes) -> Optional[Dict[str, Any]]:
    """The record on one stored line, or ``None`` for a torn line (cut JSON or a cut character)."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) else None
