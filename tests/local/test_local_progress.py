"""A local model's progress: llama.cpp on the embedded SmolLM2 moves the display input by input.

One batch of three prompts runs for a few seconds; the compact log line (every 0.2 s)
shows the rows and tokens it finished before the batch returns, and the summary
counts the model's requests and tokens like a remote provider's.
"""

import logging
import re
from pathlib import Path

import pytest

from distilabel.pipeline import Pipeline
from distilabel.pipeline.row_store import RowStore
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration


def test_llamacpp_progress_moves_during_a_batch_and_the_summary_counts_it(
    llamacpp_llm: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DISTILABEL_PROGRESS", "log")
    monkeypatch.setenv("DISTILABEL_PROGRESS_INTERVAL", "0.2")
    questions = ["Name a colour.", "Name a fruit.", "Name an animal."]
    with Pipeline(name="local-progress", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": q} for q in questions])
        task = TextGeneration(llm=llamacpp_llm, input_batch_size=3)
        load >> task
    with caplog.at_level(logging.INFO, logger="distilabel"):
        distiset = pipeline.run(
            use_cache=False, parameters={task.name: {"llm": {"generation_kwargs": {"max_new_tokens": 12}}}}
        )
    rows = distiset["default"]["train"]
    assert len(rows) == 3
    lines = [r.getMessage() for r in caplog.records if r.name == "distilabel.progress"]
    # Inside the one batch: 1 or 2 of 3 rows done, with tokens per second already counted.
    mid = [line for line in lines if re.search(r"text_generation_0 [12]/3 \(\d+%\)", line)]
    assert mid, lines
    assert any(re.search(r" [1-9]\d* tok/s", line) for line in mid), mid
    assert "text_generation_0 3/3 (100%) done" in lines[-1]
    summary = pipeline.last_run_summary
    stored = RowStore.read_sorted(pipeline.run_dir / "steps" / task.name)  # the rows with their metadata
    statistics = [row["distilabel_metadata"]["statistics_text_generation_0"] for row in stored]
    generated = sum(s["output_tokens"] for s in statistics)
    prompted = sum(s["input_tokens"] for s in statistics)
    assert generated > 0 and prompted > 0
    assert summary[task.name]["llm"]["requests"] == 3
    assert summary[task.name]["output_tokens"] == generated
    assert summary.totals["requests"] == 3
    assert summary.totals["output_tokens"] == generated and summary.totals["input_tokens"] == prompted
    assert "3 requests" in summary.text()
