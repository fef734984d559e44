"""A banded locality-sensitive hash index of MinHash signatures, in memory or in a SQLite file.

A signature of ``num_perm`` hash values is cut into ``bands`` bands of ``rows`` values;
two signatures are candidate duplicates when any band is identical. The band layout
is the one ``datasketch.MinHashLSH`` chooses for a Jaccard ``threshold`` (it weighs
false positives and false negatives equally), so this index flags the same pairs as
datasketch's. On disk the bands live in one SQLite table: no extra dependency, and
indexes larger than memory work.
"""

import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any, List, Literal, Optional, Set, Tuple


def band_layout(threshold: float, num_perm: int) -> Tuple[int, int]:
    """``(bands, rows)`` for a Jaccard ``threshold`` and ``num_perm`` permutations, as datasketch picks them."""
    from datasketch import MinHashLSH

    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    layout = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return layout.b, layout.r


class BandIndex:
    """Signatures by band: ``seen`` asks whether a signature shares a band with one added before.

    Args:
        threshold: the Jaccard similarity above which signatures should collide.
        num_perm: the length of the signatures.
        storage: ``"dict"`` keeps the bands in memory; ``"disk"`` in a SQLite file
            in a temporary folder, removed by ``close``.
    """

    def __init__(
        self, threshold: float, num_perm: int, storage: Literal["dict", "disk"] = "dict"
    ) -> None:
        self.bands, self.rows = band_layout(threshold, num_perm)
        self._lock = threading.Lock()
        self._memory: List[Set[bytes]] = [set() for _ in range(self.bands)]
        self._folder: Optional[Path] = None
        self._db: Optional[sqlite3.Connection] = None
        if storage == "disk":
            self._folder = Path(tempfile.mkdtemp(prefix="distilabel-minhash-"))
            self._db = sqlite3.connect(self._folder / "bands.sqlite", check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=OFF")
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.execute(
                "CREATE TABLE bands (band INTEGER NOT NULL, key BLOB NOT NULL, PRIMARY KEY (band, key)) WITHOUT ROWID"
            )

    def _keys(self, hashvalues: Any) -> List[bytes]:
        return [
            hashvalues[b * self.rows : (b + 1) * self.rows].tobytes() for b in range(self.bands)
        ]

    def _seen(self, keys: List[bytes]) -> bool:
        if self._db is None:
            return any(key in table for key, table in zip(keys, self._memory, strict=True))
        query = "SELECT 1 FROM bands WHERE band = ? AND key = ? LIMIT 1"
        return any(self._db.execute(query, (b, key)).fetchone() for b, key in enumerate(keys))

    def _add(self, keys: List[bytes]) -> None:
        if self._db is None:
            for key, table in zip(keys, self._memory, strict=True):
                table.add(key)
        else:
            self._db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", list(enumerate(keys)))

    def add_if_new(self, hashvalues: Any) -> bool:
        """Add a signature unless it shares a band with one added before; whether it was added."""
        keys = self._keys(hashvalues)
        with self._lock:
            if self._seen(keys):
                return False
            self._add(keys)
            return True

    def close(self) -> None:
        """Drop the index (and its file, on disk)."""
        with self._lock:
            self._memory = [set() for _ in range(self.bands)]
            if self._db is not None:
                self._db.close()
                self._db = None
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None
