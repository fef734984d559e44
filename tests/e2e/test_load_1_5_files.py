"""Files in distilabel 1.5's format load here, and the pipelines in them run.

The fixtures (``tests/fixtures/pipelines_1_5/``) are written in 1.5.3's
``pipeline.yaml`` layout: ``yaml.dump`` output with ``!!python/tuple`` tags (and an
anchor where a tuple is shared), 1.5's routing-batch-function entries, its
``LoadDataFromFileSystem`` / ``LoadDataFromDisk`` fields, ``CombineOutputs`` at
``distilabel.steps.columns.combine``, default step names such as ``c_l_a_i_r_0``,
and a ``SecretStr`` that 1.5 wrote in plain text. Each pipeline runs against the
loopback OpenAI server.
"""

import json
import shutil
import warnings
from pathlib import Path
from typing import Any, Dict, List

import pytest
from datasets import Dataset, DatasetDict

from distilabel.distiset import Distiset
from distilabel.errors import DistilabelUserError
from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.pipeline.routing_batch_function import RoutingBatchFunction
from distilabel.steps import CombineOutputs, FormatTextGenerationSFT
from distilabel.steps.columns.combine import CombineOutputs as CombineOutputsAt15Path
from distilabel.steps.columns.group import CombineOutputs as CombineOutputsAtGroup
from distilabel.steps.tasks import CLAIR, URIAL, TextGeneration
from distilabel.utils.ignored import IgnoredParameterWarning, reset_ignored_warnings
from distilabel.utils.serialization import load_yaml
from tests.servers.openai_server import OpenAIServer
from tests.unit.pipeline.fakes import EchoAsyncLLM

FIXTURES = Path(__file__).parent.parent / "fixtures" / "pipelines_1_5"
INSTRUCTIONS = [json.loads(line)["instruction"] for line in (FIXTURES / "instructions.jsonl").read_text().splitlines()]


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))


def _base_url(server: OpenAIServer) -> str:
    return server.url + "/v1"


def _chat_requests(server: OpenAIServer) -> List[Dict[str, Any]]:
    return [request["json"] for request in server.requests("/v1/chat/completions")]


# --- !!python/tuple and other Python tags --------------------------------------------------------


def test_python_tuple_tags_load_as_tuples_and_nothing_else_is_built(tmp_path: Path) -> None:
    data = load_yaml((FIXTURES / "routing_sample_n_steps.yaml").read_text())
    steps = {entry["name"]: entry["step"] for entry in data["pipeline"]["steps"]}
    stop = steps["text_generation_0"]["llm"]["generation_kwargs"]["stop"]
    assert stop == ("###", "\n\n\n") and isinstance(stop, tuple)
    # The three generators share one tuple in the file (an anchor and two aliases).
    assert steps["text_generation_2"]["llm"]["generation_kwargs"]["stop"] == stop

    marker = tmp_path / "made-by-yaml"
    for payload in (
        f"x: !!python/object/apply:os.mkdir [{str(marker)!r}]",
        "x: !!python/name:os.system",
        f"x: !!python/tuple [!!python/object/apply:os.mkdir [{str(marker)!r}]]",
        "x: !!python/object/new:builtins.dict {}",
    ):
        with pytest.raises(DistilabelUserError, match="only !!python/tuple is read"):
            load_yaml(payload)
    assert not marker.exists()


def test_a_secret_1_5_wrote_in_plain_text_is_dropped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """1.5 dumped ``TransformersLLM.token`` as a SecretStr object; it loads, without the secret.

    This file is only loaded, not run: its model would have to be downloaded.
    """
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.warns(UserWarning, match="secret in plain text"):
        pipeline = Pipeline.from_yaml(FIXTURES / "transformers_token_in_plain_text.yaml")
    llm = pipeline.dag.get("text_generation_0").llm
    assert type(llm).__name__ == "TransformersLLM"
    assert llm.token is None
    assert llm.model == "HuggingFaceTB/SmolLM2-135M-Instruct" and llm.generation_kwargs == {"max_new_tokens": 32}
    assert "hf_not_a_real_token" not in json.dumps(pipeline.dump())

    monkeypatch.setenv("HF_TOKEN", "hf_from_the_environment")
    with pytest.warns(UserWarning, match="secret in plain text"):
        llm = Pipeline.from_yaml(FIXTURES / "transformers_token_in_plain_text.yaml").dag.get("text_generation_0").llm
    assert llm.token.get_secret_value() == "hf_from_the_environment"


# --- sample_n_steps routing, LoadDataFromFileSystem -----------------------------------------------


def test_routing_pipeline_from_1_5_runs(openai_env: OpenAIServer) -> None:
    pipeline = Pipeline.from_yaml(FIXTURES / "routing_sample_n_steps.yaml")
    assert list(pipeline.dag.steps) == [
        "load_data_from_file_system_0",
        "text_generation_0",
        "text_generation_1",
        "text_generation_2",
        "group_columns_0",
    ]
    [(routed, function)] = pipeline.routing_batch_functions.items()
    assert routed == "load_data_from_file_system_0" and isinstance(function, RoutingBatchFunction)
    assert function.factory_name == "sample_n_steps" and function.routing_kwargs == {"n": 2}
    assert function.description == "Sample 2 steps from the list of downstream steps."
    loader = pipeline.dag.get("load_data_from_file_system_0")
    assert (loader.split, loader.config, loader.streaming, loader.batch_size) == ("train", None, False, 2)

    tasks = [f"text_generation_{i}" for i in range(3)]
    distiset = pipeline.run(
        parameters={
            "load_data_from_file_system_0": {"data_files": str(FIXTURES / "instructions.jsonl")},
            **{name: {"llm": {"base_url": _base_url(openai_env)}} for name in tasks},
        }
    )
    train = distiset["default"]["train"]
    assert train["instruction"] == INSTRUCTIONS
    # Each row went to two of the three generators, and both answered it.
    assert [len(g) for g in train["grouped_generation"]] == [2] * len(INSTRUCTIONS)
    assert train["grouped_generation"] == [[f"Echo: {i}"] * 2 for i in INSTRUCTIONS]
    assert all(names == ["gpt-4o-mini"] * 2 for names in train["grouped_model_name"])
    requests = _chat_requests(openai_env)
    assert len(requests) == 2 * len(INSTRUCTIONS)
    # The tuple from the file is sent as the stop list; 1.5's max_new_tokens is max_tokens.
    assert {json.dumps(r["stop"]) for r in requests} == {json.dumps(["###", "\n\n\n"])}
    assert {(r["temperature"], r["max_tokens"]) for r in requests} == {(0.7, 64)}


# --- LoadDataFromDisk of a distiset saved as 1.5 saves them, CombineOutputs ----------------------


def _save_distiset_as_1_5_does(path: Path, pipeline_file: Path) -> None:
    """``<path>/default`` (a DatasetDict) and ``<path>/distiset_configs/pipeline.yaml``."""
    DatasetDict({"train": Dataset.from_list([{"instruction": i} for i in INSTRUCTIONS[:3]])}).save_to_disk(
        str(path / "default")
    )
    (path / "distiset_configs").mkdir()
    shutil.copyfile(pipeline_file, path / "distiset_configs" / "pipeline.yaml")


def test_combine_outputs_pipeline_from_1_5_reads_a_saved_distiset_and_runs(
    openai_env: OpenAIServer, tmp_path: Path
) -> None:
    saved = tmp_path / "saved-distiset"
    _save_distiset_as_1_5_does(saved, FIXTURES / "routing_sample_n_steps.yaml")
    # 1.5 keeps pipeline.yaml in distiset_configs/: the distiset finds it there.
    loaded = Distiset.load_from_disk(saved)
    assert list(loaded) == ["default"] and loaded.pipeline_path == saved / "distiset_configs" / "pipeline.yaml"

    pipeline = Pipeline.from_yaml(FIXTURES / "combine_outputs_from_disk.yaml")
    combine = pipeline.dag.get("combine_outputs_0")
    assert type(combine) is CombineOutputs is CombineOutputsAt15Path is CombineOutputsAtGroup
    disk = pipeline.dag.get("load_data_from_disk_0")
    assert (disk.is_distiset, disk.config, disk.split, disk.keep_in_memory) == (True, "default", None, None)

    distiset = pipeline.run(
        parameters={
            "load_data_from_disk_0": {"dataset_path": str(saved)},
            "text_generation_0": {"llm": {"base_url": _base_url(openai_env)}},
            "text_generation_1": {"llm": {"base_url": _base_url(openai_env)}},
        }
    )
    train = distiset["default"]["train"]
    assert train.column_names == ["instruction", "answer_a", "answer_b"]
    assert train["answer_a"] == [f"Echo: {i}" for i in INSTRUCTIONS[:3]]
    assert train["answer_b"] == [f"Echo: {i}" for i in INSTRUCTIONS[:3]]
    with_system = [r for r in _chat_requests(openai_env) if r["messages"][0]["role"] == "system"]
    assert len(with_system) == 3
    assert {r["messages"][0]["content"] for r in with_system} == {"Answer in one sentence."}
    assert {r.get("temperature") for r in with_system} == {0.2}

    # A new dump names CombineOutputs by 1.5's module path.
    [entry] = [s["step"] for s in pipeline.dump()["pipeline"]["steps"] if s["name"] == "combine_outputs_0"]
    assert entry["type_info"] == {"module": "distilabel.steps.columns.combine", "name": "CombineOutputs"}


def test_group_module_path_still_loads_combine_outputs() -> None:
    data = CombineOutputs(name="c").dump()
    data["type_info"]["module"] = "distilabel.steps.columns.group"
    with Pipeline(name="old-path") as pipeline:
        from distilabel.utils.serialization import _Serializable

        step = _Serializable._from_dump(data, ("distilabel",))
    assert type(step) is CombineOutputs and list(pipeline.dag.steps) == ["c"]


# --- default step names -----------------------------------------------------------------------


def test_clair_pipeline_from_1_5_runs_under_its_default_name(openai_server: OpenAIServer) -> None:
    openai_server.configure(
        reply_template="{{teacher_reasoning}}: the sum is wrong.\n{{corrected_student_solution}}: 2 + 2 = 4"
    )
    pipeline = Pipeline.from_yaml(FIXTURES / "clair_default_names.yaml")
    assert list(pipeline.dag.steps) == ["load_data_from_file_system_0", "c_l_a_i_r_0"]
    distiset = pipeline.run(
        parameters={
            "load_data_from_file_system_0": {"data_files": str(FIXTURES / "clair_rows.jsonl")},
            "c_l_a_i_r_0": {"llm": {"base_url": _base_url(openai_server), "api_key": "sk-test"}},
        }
    )
    train = distiset["default"]["train"]
    assert train["task"] == ["Add 2 and 2.", "Spell 'cat'."]
    assert train["revision"] == ["2 + 2 = 4", "2 + 2 = 4"]
    assert train["rational"] == ["the sum is wrong.", "the sum is wrong."]
    [first, _] = _chat_requests(openai_server)
    assert first["messages"][0]["content"].startswith("You are a teacher.")
    assert first["max_tokens"] == 256


def test_unnamed_steps_get_1_5_default_names() -> None:
    with Pipeline(name="names") as pipeline:
        TextGeneration(name="text_generation_1", llm=EchoAsyncLLM())
        second = TextGeneration(llm=EchoAsyncLLM())
        third = TextGeneration(llm=EchoAsyncLLM())
        clair = CLAIR(llm=EchoAsyncLLM())
        urial = URIAL(llm=EchoAsyncLLM())
        sft = FormatTextGenerationSFT()
    # 1.5 puts an underscore before every capital, and takes the first free number.
    assert (second.name, third.name) == ("text_generation_0", "text_generation_2")
    assert (clair.name, urial.name, sft.name) == ("c_l_a_i_r_0", "u_r_i_a_l_0", "format_text_generation_s_f_t_0")
    assert list(pipeline.dag.steps)[-3:] == ["c_l_a_i_r_0", "u_r_i_a_l_0", "format_text_generation_s_f_t_0"]


# --- keys a 1.5 dump has that a class here does not ----------------------------------------------


def test_keys_this_version_lacks_are_left_out_with_a_warning() -> None:
    reset_ignored_warnings()
    data = TextGeneration(name="t", llm=EchoAsyncLLM(), input_batch_size=7).dump()
    data["inputs"] = ["instruction"]  # a field some 1.5 classes had
    data["outputs"] = None  # empty values are dropped silently
    data["llm"]["structured_output"] = None
    with Pipeline(name="extra-keys") as pipeline:
        from distilabel.utils.serialization import _Serializable

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            step = _Serializable._from_dump(data, ("distilabel", "tests.unit.pipeline.fakes"))
    messages = [str(w.message) for w in caught if issubclass(w.category, IgnoredParameterWarning)]
    assert messages == [
        "TextGeneration.inputs (set to ['instruction'] in the file) is ignored: TextGeneration has no field"
        " 'inputs' in this version of distilabel."
    ]
    assert step.input_batch_size == 7 and step.get_inputs() == {"instruction": True, "system_prompt": False}
    assert list(pipeline.dag.steps) == ["t"]


# --- a component saved on its own -------------------------------------------------------------


def test_an_llm_saved_as_json_by_1_5_loads_and_generates(openai_env: OpenAIServer) -> None:
    llm = OpenAILLM.from_json(FIXTURES / "openai_llm.json")
    assert (llm.model, llm.max_retries, llm.timeout) == ("gpt-4o-mini", 6, 120)
    assert llm.generation_kwargs == {"temperature": 0.3, "stop": ["END"]}
    llm.base_url = _base_url(openai_env)
    llm.load()
    try:
        [output] = llm.generate_outputs([[{"role": "user", "content": "Say hi. END of text"}]])
    finally:
        llm.unload()
    assert output["generations"] == ["Echo: Say hi. "]
    [request] = _chat_requests(openai_env)
    assert (request["temperature"], request["stop"]) == (0.3, ["END"])


def test_a_mixture_of_agents_dumped_by_1_5_loads_and_generates(openai_env: OpenAIServer) -> None:
    from distilabel.models.llms import MixtureOfAgentsLLM

    moa = MixtureOfAgentsLLM.from_json(FIXTURES / "moa_llm.json")
    assert [llm.model for llm in moa.proposers_llms] == ["gpt-4o-mini", "gpt-3.5-turbo-instruct"]
    assert moa.aggregator_llm.model == "gpt-4o"
    for llm in (*moa.proposers_llms, moa.aggregator_llm):
        llm.base_url = _base_url(openai_env)
    moa.load()
    try:
        [output] = moa.generate_outputs([[{"role": "user", "content": "Name a colour."}]])
    finally:
        moa.unload()
    assert output["generations"] == ["Echo: Name a colour."]
    assert sorted(r["model"] for r in _chat_requests(openai_env)) == ["gpt-3.5-turbo-instruct", "gpt-4o", "gpt-4o-mini"]
