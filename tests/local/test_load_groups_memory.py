"""Load groups free memory: two local models in sequence peak at about one model's memory.

Each measurement runs in a fresh Python process (peak RSS, ``VmHWM``, only grows), on
two ``TextGeneration`` steps, each with its own ``LlamaCppLLM`` on the embedded
SmolLM2. The weights are read into memory (``use_mmap=False``) so that RSS counts
each loaded copy.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict

import pytest

from distilabel.models.local_files import embedded_smollm2_path

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install 'distilabel[llama-cpp]')")

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from distilabel.models.llms import LlamaCppLLM
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts
    from distilabel.steps.tasks import TextGeneration

    def kib(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])

    steps, groups, cache = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
    with Pipeline(name="memory", cache_dir=cache) as pipeline:
        load = LoadDataFromDicts(name="load", data=[{"instruction": "Say hi."}, {"instruction": "Name a color."}])
        for i in range(steps):
            llm = LlamaCppLLM(n_ctx=256, seed=i, extra_kwargs={"use_mmap": False},
                              generation_kwargs={"max_new_tokens": 8, "temperature": 0.0})
            load >> TextGeneration(name=f"generate_{i}", llm=llm, output_mappings={"generation": f"g{i}"})
    base = kib("VmRSS")
    distiset = pipeline.run(use_cache=False, load_groups=groups)
    # One configuration per leaf (one per step).
    trains = [distiset[config]["train"] for config in distiset]
    answers = sum(1 for t in trains for c in t.column_names if c.startswith("g") for g in t[c] if g)
    print(json.dumps({"base_kib": base, "peak_kib": kib("VmHWM"), "rows": len(trains[0]), "answers": answers}))
    """
)


def measure(tmp_path: Path, steps: int, groups: object) -> Dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(steps), json.dumps(groups), str(tmp_path / f"{steps}-{bool(groups)}")],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    numbers["added_kib"] = numbers["peak_kib"] - numbers["base_kib"]
    return numbers


def test_two_models_in_sequence_peak_at_one_model(tmp_path: Path) -> None:
    one = measure(tmp_path, 1, None)
    together = measure(tmp_path, 2, None)
    in_turn = measure(tmp_path, 2, [["generate_0"], ["generate_1"]])
    # A loaded copy holds about the GGUF's size (use_mmap=False); a run's own peak also holds
    # transient buffers (reading, the dataset, the report) that vary between machines.
    model = embedded_smollm2_path().stat().st_size // 1024
    print(
        f"\nGGUF {model / 1024:.0f} MiB; peak RSS above the process before the run:"
        f" one model {one['added_kib'] / 1024:.0f} MiB;"
        f" two models loaded together {together['added_kib'] / 1024:.0f} MiB;"
        f" two models in load groups {in_turn['added_kib'] / 1024:.0f} MiB"
    )
    assert one["rows"] == together["rows"] == in_turn["rows"] == 2
    assert together["answers"] == in_turn["answers"] == 4
    assert one["added_kib"] > 0.8 * model  # the weights are in memory
    # Together, the second model adds most of a copy; in turn, under a quarter of one.
    assert together["added_kib"] - one["added_kib"] > 0.5 * model
    assert in_turn["added_kib"] - one["added_kib"] < 0.25 * model
