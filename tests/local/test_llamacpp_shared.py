"""Two tasks sharing one LlamaCppLLM: the model is loaded once, and the process keeps its output.

llama-cpp-python quiets a model load by pointing file descriptors 1 and 2 at
/dev/null and back; two loads in two threads (the engine loads steps at the same
time) could leave the process writing to /dev/null for good, losing every later
log and print. The pipeline runs in a fresh process, so what it does to the
process's stdout/stderr is seen from outside.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.local.conftest import LLAMA_CPP_MISSING

pytest.importorskip("llama_cpp", reason=LLAMA_CPP_MISSING)

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, os, sys
import llama_cpp

facts = {"loads": 0, "stdio_redirections": 0}
original_init = llama_cpp.Llama.__init__

def counting_init(self, *args, **kwargs):
    facts["loads"] += 1
    original_init(self, *args, **kwargs)

llama_cpp.Llama.__init__ = counting_init
original_dup2 = os.dup2

def recording_dup2(fd, fd2, *args, **kwargs):
    if fd2 in (1, 2):
        facts["stdio_redirections"] += 1
    return original_dup2(fd, fd2, *args, **kwargs)

os.dup2 = recording_dup2

from distilabel.models.llms import LlamaCppLLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration

llm = LlamaCppLLM(n_ctx=512, seed=7, generation_kwargs={"max_new_tokens": 8, "temperature": 0.0})
with Pipeline(name="shared-llamacpp", cache_dir=sys.argv[1]) as pipeline:
    load = LoadDataFromDicts(data=[{"instruction": "Say hi."}, {"instruction": "Name a colour."}])
    load >> [TextGeneration(name="first", llm=llm), TextGeneration(name="second", llm=llm)]
distiset = pipeline.run(use_cache=False)
facts["first"] = list(distiset["first"]["train"]["generation"])
facts["second"] = list(distiset["second"]["train"]["generation"])
facts["loaded_after_run"] = llm._model is not None
with open(sys.argv[2], "w") as out:
    json.dump(facts, out)
print("user print after the run", flush=True)
print("user print to stderr after the run", file=sys.stderr, flush=True)
"""


def test_two_tasks_sharing_one_model_load_it_once_and_keep_the_output(tmp_path: Path) -> None:
    facts_file = tmp_path / "facts.json"
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "cache"), str(facts_file)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": pythonpath},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(facts_file.read_text())
    assert facts["loads"] == 1  # one model for both tasks
    assert facts["stdio_redirections"] == 0  # nothing pointed the process's stdout/stderr elsewhere
    assert facts["loaded_after_run"] is False  # freed once the last task unloaded it
    for task in ("first", "second"):
        assert len(facts[task]) == 2 and all(isinstance(text, str) and text for text in facts[task])
    # The user's prints and the run's log reached the terminal.
    assert "user print after the run" in result.stdout
    assert "user print to stderr after the run" in result.stderr
    assert "Pipeline finished" in result.stderr


def test_load_and_unload_are_counted(smollm2_path: str) -> None:
    from distilabel.models.llms import LlamaCppLLM

    llm = LlamaCppLLM(model_path=smollm2_path, n_ctx=256)
    llm.load()
    model = llm._model
    llm.load()  # a second user shares the model
    assert llm._model is model
    llm.unload()
    assert llm._model is model  # still in use by the first
    llm.unload()
    assert llm._model is None
    llm.unload()  # once more is harmless
    assert llm._model is None
