"""An append-only store of the rows a step has finished, one JSON line per row.

Each line is ``{"k": key, "r": row}``. The key is the row's position in the
pipeline's input (a list of ints: generator row index, then the index of each
row a step made out of one input), so rows can be put back in input order, and a
later run can tell which inputs a step already finished (resume). Rows are
written as they finish and flushed after each write, so an interrupted run keeps
everything it finished; a torn last line (a crash mid-write) is skipped on read.
"""

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence, Set, Tuple

RowKey = Tuple[int, ...]
KeyedRow = Tuple[RowKey, Dict[str, Any]]

_ROWS_FILE = "rows.jsonl"


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
        self._file = open(self.path, "w" if fresh else "a", encoding="utf-8")  # noqa: SIM115
        self.count = 0

    def append(self, rows: Sequence[KeyedRow]) -> None:
        """Write finished rows; they are on disk (in the OS) when this returns."""
        if not rows:
            return
        lines = [json.dumps({"k": key, "r": row}, ensure_ascii=False, default=_default) for key, row in rows]
        self._file.write("\n".join(lines) + "\n")
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

    @staticmethod
    def read(directory: Path) -> Iterator[KeyedRow]:
        """The rows stored under ``directory``, in the order they finished."""
        path = Path(directory) / _ROWS_FILE
        if not path.exists():
            return
        with open(path, encoding="utf-8") as file:
            for line in file:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # torn last line of an interrupted write
                yield tuple(record["k"]), record["r"]

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
