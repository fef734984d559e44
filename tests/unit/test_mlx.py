"""MlxLLM: import paths, fields, dumps, the clear failure off Apple silicon, and its generation glue
(driven through stand-in ``mlx`` / ``mlx_lm`` modules, since MLX itself runs only on Apple silicon)."""

import sys
import types
import warnings
from typing import Any, Dict, List

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.models.llms import MlxLLM
from distilabel.models.llms import mlx as mlx_module


def test_import_paths() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from distilabel.llms import MlxLLM as OldPath
    assert OldPath is MlxLLM
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    import distilabel.llms
    import distilabel.models.llms

    assert "MlxLLM" in distilabel.models.llms.__all__ and "MlxLLM" in distilabel.llms.__all__


def test_fields_defaults_and_dump_round_trip() -> None:
    llm = MlxLLM(path_or_hf_repo="mlx-community/SmolLM2-135M-Instruct", mlx_model_config={"rope_theta": 1.0}, adapter_path="lora")
    assert llm.model_name == "mlx-community/SmolLM2-135M-Instruct"
    assert (llm.tokenizer_config, llm.mlx_model_config, llm.adapter_path) == ({}, {"rope_theta": 1.0}, "lora")
    assert (llm.use_magpie_template, llm.magpie_pre_query_template) == (False, None)
    dumped = llm.dump()
    assert dumped["mlx_model_config"] == {"rope_theta": 1.0} and dumped["tokenizer_config"] == {}
    assert dumped["type_info"] == {"module": "distilabel.models.llms.mlx", "name": "MlxLLM"}
    again = MlxLLM.from_dict(dumped)
    assert again.mlx_model_config == {"rope_theta": 1.0} and again.path_or_hf_repo == llm.path_or_hf_repo


def test_generation_kwargs_are_those_of_mlx_lm() -> None:
    names = set(MlxLLM(path_or_hf_repo="m").get_generation_kwargs())
    assert names == {
        "max_tokens", "logits_processors", "max_kv_size", "prompt_cache", "prefill_step_size", "kv_bits",
        "kv_group_size", "quantized_kv_start", "prompt_progress_callback", "temp", "top_p", "min_p",
        "min_tokens_to_keep", "top_k",
    }


@pytest.mark.skipif(mlx_module.on_apple_silicon(), reason="this machine is Apple silicon")
def test_load_off_apple_silicon_says_so() -> None:
    with pytest.raises(DistilabelUserError, match="MlxLLM needs Apple silicon") as raised:
        MlxLLM(path_or_hf_repo="mlx-community/SmolLM2-135M-Instruct").load()
    assert sys.platform in str(raised.value)


class StandInTokenizer:
    """Just enough of mlx-lm's tokenizer wrapper: a chat template and word counts."""

    chat_template = "{chat}"
    eos_token = "</s>"
    pad_token = None

    def apply_chat_template(self, messages: List[Dict[str, str]], tokenize: bool, add_generation_prompt: bool) -> str:
        text = "".join(f"<{m['role']}>{m['content']}" for m in messages)
        return text + ("<assistant>" if add_generation_prompt else "")

    def encode(self, text: str) -> List[int]:
        return list(range(len(text.split())))


@pytest.fixture
def stand_in_mlx(monkeypatch: pytest.MonkeyPatch) -> Dict[str, Any]:
    """``mlx`` and ``mlx_lm`` stand-ins that record what MlxLLM asks of them."""
    calls: Dict[str, Any] = {"load": [], "generate": [], "sampler": []}
    mlx_lm = types.ModuleType("mlx_lm")
    sample_utils = types.ModuleType("mlx_lm.sample_utils")

    def load(path: str, **kwargs: Any) -> Any:
        calls["load"].append((path, kwargs))
        return "model-weights", StandInTokenizer()

    def generate(model: Any, tokenizer: Any, prompt: str, **kwargs: Any) -> str:
        calls["generate"].append((model, prompt, kwargs))
        return '{"answer": 42}' if "json" in prompt else f"reply {len(calls['generate'])}"

    def make_sampler(**kwargs: Any) -> str:
        calls["sampler"].append(kwargs)
        return "sampler"

    mlx_lm.load, mlx_lm.generate = load, generate  # type: ignore[attr-defined]
    sample_utils.make_sampler = make_sampler  # type: ignore[attr-defined]
    mlx_lm.sample_utils = sample_utils  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mlx", types.ModuleType("mlx"))
    monkeypatch.setitem(sys.modules, "mlx_lm", mlx_lm)
    monkeypatch.setitem(sys.modules, "mlx_lm.sample_utils", sample_utils)
    monkeypatch.setattr(mlx_module, "on_apple_silicon", lambda: True)
    return calls


def test_generate_through_mlx_lm(stand_in_mlx: Dict[str, Any]) -> None:
    llm = MlxLLM(path_or_hf_repo="local/model", tokenizer_config={"trust_remote_code": True}, mlx_model_config={"x": 1})
    llm.load()
    assert stand_in_mlx["load"] == [
        ("local/model", {"tokenizer_config": {"trust_remote_code": True}, "model_config": {"x": 1}, "adapter_path": None})
    ]
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"}]
    def bias(tokens: Any, logits: Any) -> Any:
        return logits

    [output] = llm.generate_outputs([chat], num_generations=2, max_tokens=16, temp=0.7, logits_processors=[bias])
    assert output["generations"] == ["reply 1", "reply 2"]
    assert output["statistics"]["output_tokens"] == [2, 2]
    _, prompt, kwargs = stand_in_mlx["generate"][0]
    assert prompt == "<system>Be brief.<user>Hi there<assistant>"
    assert kwargs["max_tokens"] == 16 and kwargs["sampler"] == "sampler" and kwargs["logits_processors"] == [bias]
    assert kwargs["prefill_step_size"] == 512 and kwargs["kv_group_size"] == 64
    assert stand_in_mlx["sampler"] == [{"temp": 0.7, "top_p": 0.0, "min_p": 0.0, "min_tokens_to_keep": 1, "top_k": -1}]


def test_structured_output_is_checked(stand_in_mlx: Dict[str, Any]) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    llm = MlxLLM(path_or_hf_repo="local/model")
    llm.load()
    good, bad = llm.generate_outputs(
        [([{"role": "user", "content": "json please"}], {"format": "json", "schema": schema}),
         ([{"role": "user", "content": "anything"}], {"format": "json", "schema": schema})]
    )
    assert good["generations"] == ['{"answer": 42}']
    assert bad["generations"] == [None] and "JSON schema" in bad["errors"][0]


def test_magpie_ends_the_prompt_with_the_pre_query_template(stand_in_mlx: Dict[str, Any]) -> None:
    llm = MlxLLM(path_or_hf_repo="local/model", use_magpie_template=True, magpie_pre_query_template="qwen2")
    llm.load()
    llm.generate_outputs([[{"role": "system", "content": "You write questions."}]])
    assert stand_in_mlx["generate"][0][1] == "<system>You write questions.<|im_start|>user\n"
