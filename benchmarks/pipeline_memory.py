"""Peak memory of 200 000 rows through ``LoadDataFromDicts >> KeepColumns``.

Rows are written to each step's row store as they finish and inboxes are bounded,
so the engine holds only what is in flight; the input list itself and the final
``Distiset`` are the big items. Prints the wall time, the rows out and the peak
memory (max RSS) of the process, measured in a fresh child process (target < 1 GB).

    .venv/bin/python benchmarks/pipeline_memory.py [--rows 200000]
"""

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run(rows: int) -> Tuple[float, int, float, float]:
    import logging

    import datasets  # noqa: F401 - counted in the baseline, not in the run

    from distilabel.pipeline import Pipeline
    from distilabel.steps import KeepColumns, LoadDataFromDicts

    logging.getLogger("distilabel").setLevel(logging.WARNING)
    data = [{"id": i, "instruction": f"Instruction number {i}", "extra": "x" * 20} for i in range(rows)]
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as cache_dir:
        with Pipeline(name="memory", cache_dir=cache_dir) as pipeline:
            LoadDataFromDicts(data=data, batch_size=500) >> KeepColumns(
                columns=["id", "instruction"], input_batch_size=500
            )
        start = time.perf_counter()
        distiset = pipeline.run()
        elapsed = time.perf_counter() - start
        out = len(distiset["default"]["train"])
    return elapsed, out, baseline, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(rows: int, queue: "multiprocessing.Queue") -> None:
    queue.put(run(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(args.rows, queue))
    process.start()
    elapsed, out, baseline, peak = queue.get(timeout=600)
    process.join(timeout=60)
    assert out == args.rows, f"expected {args.rows} rows out, got {out}"
    print(f"{args.rows} rows through LoadDataFromDicts >> KeepColumns in {elapsed:.1f} s ({out} rows out)")
    print(f"peak memory (max RSS): {peak:.0f} MB (before the run, with the input list built: {baseline:.0f} MB)")
    print(f"target: < 1024 MB -> {'OK' if peak < 1024 else 'OVER'}")


if __name__ == "__main__":
    main()
