"""ClientvLLM against a real OpenAI-compatible server (llama-cpp-python's, serving SmolLM2
on 127.0.0.1), and the in-process vLLM where vllm and a CUDA device exist."""

import re
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Iterator

import pytest
from pydantic import BaseModel

from distilabel.models.llms import ClientvLLM, vLLM

CHAT = [{"role": "user", "content": "Name a colour."}]


class User(BaseModel):
    name: str
    last_name: str
    id: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def llamacpp_server(smollm2_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install 'distilabel[llama-cpp]')")
    pytest.importorskip("uvicorn", reason="llama-cpp-python's server needs its [server] extras")
    pytest.importorskip("sse_starlette", reason="llama-cpp-python's server needs its [server] extras")
    pytest.importorskip("starlette_context", reason="llama-cpp-python's server needs its [server] extras")
    port = _free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", smollm2_path, "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "1024", "--model_alias", "smollm2"]
    # Logs go to a file: a pipe nobody reads fills up and blocks the server.
    log_path = tmp_path_factory.mktemp("llamacpp_server") / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log_path.read_text(errors='replace')[-2000:]}")
            try:
                urllib.request.urlopen(url + "/models", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not start within 60 s")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_client_vllm_chat(llamacpp_server: str) -> None:
    llm = ClientvLLM(base_url=llamacpp_server)
    llm.load()
    try:
        assert llm.model_name == "smollm2"  # learnt from the server's model list
        outputs = llm.generate_outputs([CHAT, "The sky is"], max_new_tokens=8)
    finally:
        llm.unload()
    for output in outputs:
        assert isinstance(output["generations"][0], str) and output["generations"][0]
        assert output["statistics"]["output_tokens"][0] > 0
    assert "api_key" not in llm.dump()


def test_client_vllm_regex_through_the_servers_grammar(llamacpp_server: str) -> None:
    pattern = r"(yes|no)"
    llm = ClientvLLM(base_url=llamacpp_server, structured_output={"format": "regex", "schema": pattern})
    llm.load()
    try:
        outputs = llm.generate_outputs([[{"role": "user", "content": "Is water wet?"}]] * 3, max_new_tokens=8)
    finally:
        llm.unload()
    for output in outputs:
        assert re.fullmatch(pattern, output["generations"][0] or ""), output


def _cuda_available() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:
        return False


def test_vllm_in_process() -> None:
    pytest.importorskip("vllm", reason="vllm is not installed (it needs a CUDA GPU: pip install 'distilabel[vllm]')")
    if not _cuda_available():
        pytest.skip("vLLM needs a CUDA device; none here")
    llm = vLLM(model="HuggingFaceTB/SmolLM2-135M-Instruct", extra_kwargs={"gpu_memory_utilization": 0.3})
    llm.load()
    try:
        outputs = llm.generate_outputs(
            [CHAT, (CHAT, {"format": "json", "schema": User})], num_generations=2, max_new_tokens=64, logprobs=2
        )
    finally:
        llm.unload()
    assert len(outputs[0]["generations"]) == 2
    for text in outputs[1]["generations"]:
        User.model_validate_json(text)
    assert outputs[0]["logprobs"]


def test_vllm_refuses_a_bad_regex() -> None:
    with pytest.raises(ValueError, match="does not compile"):
        vLLM(model="x", structured_output={"format": "regex", "schema": "(["})
