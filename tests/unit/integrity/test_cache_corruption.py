"""A corrupted response cache is moved aside with a warning naming it, and the run goes on."""

import logging
import os
import shutil
import sqlite3
import struct
from pathlib import Path
from typing import List

import pytest

from distilabel.pipeline import Pipeline
from distilabel.runtime.cache import CACHE_FILE_NAME, ResponseCache
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM

_OUTPUT = {"generations": ["kept"], "statistics": {"input_tokens": [1], "output_tokens": [1]}}


def _filled_cache(directory: Path, entries: int = 300) -> Path:
    cache = ResponseCache.in_directory(directory, write_behind=False)
    for i in range(entries):
        cache.put(i.to_bytes(32, "big"), {**_OUTPUT, "generations": [f"answer {i} " + "x" * 200]})
    cache.close()
    return directory / CACHE_FILE_NAME


def _garbage_header(path: Path) -> None:
    with open(path, "r+b") as file:
        file.write(b"this is not an SQLite file at all" * 4)


def _truncated(path: Path) -> None:
    os.truncate(path, os.path.getsize(path) // 3)


def _wal_checksum(data: bytes, big_endian: bool, s0: int = 0, s1: int = 0) -> tuple:
    words = struct.unpack((">" if big_endian else "<") + f"{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def _garbage_wal(path: Path, tmp: Path) -> None:
    """Leave a WAL whose frames are well-formed (valid checksums) but hold garbage pages,
    as a crash in the middle of a write on bad hardware would: SQLite trusts and reads them."""
    live = tmp / "live"
    live.mkdir()
    shutil.copy(path, live / CACHE_FILE_NAME)
    connection = sqlite3.connect(live / CACHE_FILE_NAME, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute(
        "INSERT INTO responses (key, value, created) VALUES (?, ?, 0)", (b"w" * 32, "{}")
    )
    # Copied while the connection is open: the files a crash leaves behind.
    wal = bytearray((live / (CACHE_FILE_NAME + "-wal")).read_bytes())
    connection.close()
    (path.parent / (CACHE_FILE_NAME + "-shm")).unlink(missing_ok=True)
    big_endian = struct.unpack(">I", wal[:4])[0] & 1 == 1
    page_size = struct.unpack(">I", wal[8:12])[0]
    s0, s1 = struct.unpack(">II", wal[24:32])
    offset = 32
    garbage = bytes(range(256)) * (page_size // 256)
    while offset + 24 + page_size <= len(wal):
        wal[offset + 24 : offset + 24 + page_size] = garbage
        s0, s1 = _wal_checksum(bytes(wal[offset : offset + 8]) + garbage, big_endian, s0, s1)
        wal[offset + 16 : offset + 24] = struct.pack(">II", s0, s1)
        offset += 24 + page_size
    assert offset > 32
    (path.parent / (CACHE_FILE_NAME + "-wal")).write_bytes(bytes(wal))


def _damaged_before(path: Path) -> None:
    """The original code (and plain sqlite3) fails on the file: this is a real corruption."""
    with pytest.raises(sqlite3.DatabaseError):
        connection = sqlite3.connect(path)
        try:
            connection.execute("SELECT max(id) FROM responses").fetchone()
            connection.execute("SELECT count(*) FROM responses").fetchone()
        finally:
            connection.close()


@pytest.mark.parametrize("damage", ["garbage_header", "truncated", "garbage_wal"])
def test_a_corrupted_cache_is_moved_aside_and_replaced(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "cache"
    path = _filled_cache(directory)
    if damage == "garbage_header":
        _garbage_header(path)
    elif damage == "truncated":
        _truncated(path)
    else:
        _garbage_wal(path, tmp_path)
    probe = tmp_path / "probe"
    probe.mkdir()
    shutil.copy(path, probe / CACHE_FILE_NAME)
    if (directory / (CACHE_FILE_NAME + "-wal")).exists():
        shutil.copy(directory / (CACHE_FILE_NAME + "-wal"), probe / (CACHE_FILE_NAME + "-wal"))
    _damaged_before(probe / CACHE_FILE_NAME)

    with caplog.at_level(logging.WARNING, logger="distilabel.cache"):
        cache = ResponseCache.in_directory(directory)
    try:
        moved = sorted(p.name for p in directory.iterdir() if ".corrupt-" in p.name)
        assert moved and moved[0].startswith(CACHE_FILE_NAME + ".corrupt-")
        [record] = [r for r in caplog.records if "corrupted" in r.getMessage()]
        assert str(path) in record.getMessage() and moved[0] in record.getMessage()
        # A fresh, working cache.
        assert cache.get((0).to_bytes(32, "big")) is None
        cache.put(b"k" * 32, _OUTPUT)
        cache.flush()
        assert cache.get(b"k" * 32) == _OUTPUT
        assert len(cache) == 1
    finally:
        cache.close()
    reopened = ResponseCache.in_directory(directory)
    assert reopened.get(b"k" * 32) == _OUTPUT
    reopened.close()


def test_a_pipeline_runs_on_a_corrupted_cache(tmp_path: Path) -> None:
    seen: List[str] = []

    async def record(text: str) -> None:
        seen.append(text)

    def run() -> Pipeline:
        llm = EchoAsyncLLM()
        llm._hook = record
        with Pipeline(name="corrupt", cache_dir=tmp_path) as pipeline:
            LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(4)]) >> TextGeneration(
                llm=llm
            )
        pipeline.run()
        return pipeline

    first = run()
    _garbage_header(first.cache_root / CACHE_FILE_NAME)
    # Another version of the pipeline (no rows to reuse) has to go through the cache.
    shutil.rmtree(first.run_dir)
    seen.clear()
    second = run()
    assert second.last_run_summary.status == "finished"
    assert sorted(seen) == [f"q{i}" for i in range(4)]  # asked again: the old answers were lost
    assert any(".corrupt-" in p.name for p in second.cache_root.iterdir())


def test_an_unreadable_cache_names_its_file(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    (directory / CACHE_FILE_NAME).mkdir()  # not a file at all: not corruption, nothing is moved
    with pytest.raises(sqlite3.Error) as caught:
        ResponseCache.in_directory(directory)
    assert str(directory / CACHE_FILE_NAME) in str(caught.value)
    assert sorted(p.name for p in directory.iterdir()) == [CACHE_FILE_NAME]


def test_corruption_found_mid_run_answers_without_the_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _filled_cache(tmp_path)
    cache = ResponseCache.in_directory(tmp_path)
    try:
        # Garbage over every page but the first, while the cache is open.
        size = os.path.getsize(path)
        with open(path, "r+b") as file:
            file.seek(4096)
            file.write(b"\xab" * (size - 4096))
        with caplog.at_level(logging.WARNING, logger="distilabel.cache"):
            assert cache.get((5).to_bytes(32, "big")) is None
            assert cache.get((6).to_bytes(32, "big")) is None
        warnings = [r for r in caplog.records if "could not be read" in r.getMessage()]
        assert len(warnings) == 1 and str(path) in warnings[0].getMessage()
    finally:
        cache.close()


def test_moving_aside_keeps_the_wal_beside_its_database(tmp_path: Path) -> None:
    from distilabel.runtime.cache import _move_aside

    path = tmp_path / CACHE_FILE_NAME
    for suffix, content in (("", b"db"), ("-wal", b"wal"), ("-shm", b"shm")):
        (tmp_path / (CACHE_FILE_NAME + suffix)).write_bytes(content)
    moved = _move_aside(path)
    assert moved.name.startswith(CACHE_FILE_NAME + ".corrupt-")
    assert moved.read_bytes() == b"db"
    assert (tmp_path / (moved.name + "-wal")).read_bytes() == b"wal"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([moved.name, moved.name + "-wal"])
