"""File helpers (distilabel 1.5's ``distilabel.utils.files``)."""

from pathlib import Path
from typing import Callable, List, Optional


def list_files_in_dir(dir_path: Path, key: Optional[Callable] = lambda x: int(x.stem)) -> List[Path]:
    """The files (not folders) directly in ``dir_path``, sorted by ``key``.

    Args:
        dir_path: the folder.
        key: the sort key of a path; by default the number a file is named with
            (``0.parquet``, ``1.parquet``, ... ``10.parquet`` in numeric order).
    """
    return [path for path in sorted(Path(dir_path).iterdir(), key=key) if path.is_file()]


__all__ = ["list_files_in_dir"]
