"""Names distilabel 1.5 users import, each imported from 1.5's path and exercised."""

import asyncio
import base64
import inspect
import io
import json
import logging
import typing
import warnings
from pathlib import Path
from queue import Queue
from typing import Any, Dict, List

import pytest

from distilabel.distiset import Distiset
from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import GlobalStep, KeepColumns, LoadDataFromDicts, Step, StepInput
from distilabel.steps.tasks import TextGeneration, UltraFeedback
from tests.servers.openai_server import OpenAIServer
from tests.servers.tgi_server import TGIServer
from tests.unit.pipeline.fakes import EchoAsyncLLM

# --- distilabel.constants, distilabel.envs ------------------------------------------------------------


def test_constants_have_1_5_values() -> None:
    from distilabel import constants
    from distilabel.steps.base import DISTILABEL_METADATA_KEY

    assert constants.DISTILABEL_METADATA_KEY == DISTILABEL_METADATA_KEY == "distilabel_metadata"
    assert constants.PIPELINE_CONFIG_FILENAME == "pipeline.yaml"
    assert constants.PIPELINE_LOG_FILENAME == "pipeline.log"
    assert constants.STEPS_ARTIFACTS_PATH == "steps_artifacts"
    assert constants.DISTISET_ARTIFACTS_FOLDER == "artifacts"
    assert constants.DISTISET_CONFIG_FOLDER == "distiset_configs"
    assert Path.home() / ".cache" / "distilabel" / "pipelines" == constants.PIPELINES_CACHE_DIR
    assert constants.ROUTING_BATCH_FUNCTION_ATTR_NAME == "routing_batch_function"
    assert set(constants.__all__) <= set(dir(constants))


def test_envs_read_the_environment_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from distilabel import envs

    monkeypatch.delenv("DISTILABEL_LOG_LEVEL", raising=False)
    assert envs.DISTILABEL_LOG_LEVEL == "INFO"
    monkeypatch.setenv("DISTILABEL_LOG_LEVEL", "debug")
    assert envs.DISTILABEL_LOG_LEVEL == "DEBUG"
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", "/somewhere")
    assert envs.DISTILABEL_CACHE_DIR == "/somewhere"
    with pytest.raises(AttributeError):
        envs.NOT_A_VARIABLE  # noqa: B018


# --- distilabel.models.base_clients ---------------------------------------------------------------------


def test_openai_base_client_makes_working_sdk_clients(openai_server: OpenAIServer) -> None:
    from distilabel.models.base_clients import OpenAIBaseClient
    from distilabel.models.image_generation import OpenAIImageGeneration
    from distilabel.models.llms import AzureOpenAILLM, OllamaLLM, OpenAILLM

    client = OpenAIBaseClient(model="gpt-4o-mini", base_url=openai_server.url + "/v1", api_key="sk-test")
    assert (client.model_name, client.max_retries, client.timeout) == ("gpt-4o-mini", 6, 120)
    client.load()
    try:
        sync = client._client.chat.completions.create(
            model=client.model, messages=[{"role": "user", "content": "sync hi"}]
        )

        async def ask() -> Any:
            return await client._aclient.chat.completions.create(
                model=client.model, messages=[{"role": "user", "content": "async hi"}]
            )

        asynchronous = asyncio.run(ask())
    finally:
        client.unload()
    assert sync.choices[0].message.content == "Echo: sync hi"
    assert asynchronous.choices[0].message.content == "Echo: async hi"
    assert client._client is None and client._aclient is None
    with pytest.raises(DistilabelUserError, match="OPENAI_API_KEY"):
        OpenAIBaseClient(model="m", api_key=None).load()
    # Our OpenAI models are OpenAIBaseClients, as in 1.5; others are not.
    assert isinstance(OpenAILLM(model="m", api_key="k"), OpenAIBaseClient)
    assert issubclass(AzureOpenAILLM, OpenAIBaseClient) and issubclass(OpenAIImageGeneration, OpenAIBaseClient)
    assert not issubclass(OllamaLLM, OpenAIBaseClient)


def test_inference_endpoints_base_client_talks_to_a_tgi_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from distilabel.models.base_clients import InferenceEndpointsBaseClient
    from distilabel.models.llms import InferenceEndpointsLLM, OpenAILLM

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with TGIServer() as server:
        client = InferenceEndpointsBaseClient(base_url=server.url, api_key="hf_test", model_display_name="tgi")
        client.load()

        async def generate() -> str:
            return await client._aclient.text_generation("ping", max_new_tokens=8)

        answer = asyncio.run(generate())
    assert answer == "Echo: ping" and client.model_name == "tgi"
    with pytest.raises(DistilabelUserError, match="one of `model_id`, `endpoint_name` or `base_url`"):
        InferenceEndpointsBaseClient().load()
    assert isinstance(InferenceEndpointsLLM(base_url="http://127.0.0.1:9"), InferenceEndpointsBaseClient)
    assert not isinstance(OpenAILLM(model="m", api_key="k"), InferenceEndpointsBaseClient)


# --- GenerateOutput / HiddenState, distilabel.embeddings ------------------------------------------------


def test_generate_output_and_hidden_state_are_where_1_5_has_them() -> None:
    from distilabel import typing as distilabel_typing
    from distilabel.models import GenerateOutput as FromModels
    from distilabel.models import HiddenState as HiddenFromModels
    from distilabel.models.llms import GenerateOutput, HiddenState

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from distilabel.llms import GenerateOutput as FromOldPath

    assert GenerateOutput is FromModels is FromOldPath is distilabel_typing.GenerateOutput
    assert HiddenState is HiddenFromModels is distilabel_typing.HiddenState is Any
    assert typing.get_type_hints(GenerateOutput).keys() >= {"generations", "statistics", "logprobs"}
    output: GenerateOutput = EchoAsyncLLM().generate_outputs([[{"role": "user", "content": "x"}]])[0]
    assert output["generations"] == ["Echo: x"]


def test_old_embeddings_path_warns_and_gives_the_same_classes() -> None:
    from distilabel.models.embeddings import Embeddings, SentenceTransformerEmbeddings

    with pytest.warns(DeprecationWarning, match="distilabel.embeddings"):
        from distilabel.embeddings import SentenceTransformerEmbeddings as Old
    with pytest.warns(DeprecationWarning):
        from distilabel.embeddings import Embeddings as OldBase
    assert Old is SentenceTransformerEmbeddings and OldBase is Embeddings
    import distilabel.embeddings

    assert {"Embeddings", "SentenceTransformerEmbeddings", "vLLMEmbeddings"} <= set(dir(distilabel.embeddings))
    with pytest.raises(AttributeError):
        distilabel.embeddings.NotAModel  # noqa: B018


# --- distilabel.typing -----------------------------------------------------------------------------


def test_typing_names_of_1_5() -> None:
    import distilabel.typing as t

    expected = {
        "ChatItem", "ChatType", "DownstreamConnectable", "DownstreamConnectableSteps", "FormattedInput",
        "GenerateOutput", "GeneratorStepOutput", "HiddenState", "ImageContent", "ImageUrl", "InputDataset",
        "InstructorStructuredOutputType", "LLMLogprobs", "LLMOutput", "LLMStatistics", "LoadGroups", "Logprob",
        "OutlinesStructuredOutputType", "PipelineRuntimeParametersInfo", "StandardInput", "StepColumns",
        "StepLoadStatus", "StepOutput", "StructuredInput", "StructuredOutputType", "TextContent", "TokenCount",
        "UpstreamConnectableSteps",
    }  # fmt: skip
    assert expected <= set(t.__all__)
    assert all(hasattr(t, name) for name in expected)
    assert typing.Literal["sequential_step_execution"] in typing.get_args(t.LoadGroups)
    assert typing.get_type_hints(t.StepLoadStatus) == {
        "name": str,
        "status": typing.Literal["loaded", "unloaded", "load_failed"],
    }
    assert isinstance(t.UpstreamConnectableSteps, typing.TypeVar) and t.DownstreamConnectableSteps.__covariant__
    from distilabel.typing.base import ChatItem

    assert ChatItem is t.ChatItem


# --- mixins ------------------------------------------------------------------------------------------


def test_requirements_of_steps_and_pipelines(tmp_path: Path) -> None:
    from distilabel.mixins.requirements import RequirementsMixin
    from distilabel.pipeline.base import MissingRequirementsError
    from distilabel.utils.requirements import requirements

    @requirements(["pydantic>=2", "not-a-distribution-we-have==1.0"])
    class NeedsPackages(Step):
        def process(self, inputs: StepInput) -> Any:
            yield inputs

    with Pipeline(name="needs", cache_dir=tmp_path, requirements=["datasets"]) as pipeline:
        step = NeedsPackages(name="needs")
        LoadDataFromDicts(name="load", data=[{"a": 1}]) >> step
    assert isinstance(step, RequirementsMixin) and isinstance(pipeline, RequirementsMixin)
    assert step.requirements == ["not-a-distribution-we-have==1.0", "pydantic>=2"]
    assert pipeline.requirements == ["datasets", "not-a-distribution-we-have==1.0", "pydantic>=2"]
    assert pipeline.requirements_to_install() == ["not-a-distribution-we-have==1.0"]
    assert pipeline.dump()["requirements"] == pipeline.requirements
    with pytest.raises(ModuleNotFoundError, match="not-a-distribution-we-have==1.0") as refused:
        pipeline.run()
    assert isinstance(refused.value, MissingRequirementsError)
    step.requirements = ["pydantic<1"]
    assert "pydantic<1" in pipeline.requirements_to_install()


def test_signature_mixin() -> None:
    from distilabel.mixins.signature import SignatureMixin

    first = KeepColumns(name="k", columns=["a"])
    assert isinstance(first, SignatureMixin) and len(first.signature) == 40
    assert first.signature == KeepColumns(name="k", columns=["a"], input_batch_size=7).signature
    assert first.signature != KeepColumns(name="k", columns=["b"]).signature
    assert "exclude_from_signature" not in first.dump()
    first.exclude_from_signature = {*first.exclude_from_signature, "columns"}
    assert first.signature == KeepColumns(name="k", columns=["b"], exclude_from_signature=first.exclude_from_signature).signature


def test_runtime_parameters_model_mixin() -> None:
    from distilabel.mixins.runtime_parameters import RuntimeParameter, RuntimeParametersModelMixin
    from distilabel.models.llms.base import LLM

    class Painter(RuntimeParametersModelMixin):
        size: RuntimeParameter[int] = 256
        generation_kwargs: RuntimeParameter[Dict[str, Any]] = {}

        def generate(self, inputs: List[str], num_generations: int = 1, style: str = "flat", seed: int = 0) -> Any:
            """Paint.

            Args:
                inputs: the prompts.
                style: the drawing style.
                seed: the random seed.
            """

    painter = Painter()
    assert painter.runtime_parameters_names == {"size": True, "generation_kwargs": {"style": True, "seed": True}}
    [kwargs] = [e for e in painter.get_runtime_parameters_info() if e["name"] == "generation_kwargs"]
    assert kwargs["keys"] == [
        {"name": "style", "optional": True, "description": "the drawing style."},
        {"name": "seed", "optional": True, "description": "the random seed."},
    ]
    assert [p.name for p in painter.generate_parameters] == ["inputs", "num_generations", "style", "seed"]
    assert painter.generate_parsed_docstring["short_description"] == "Paint."
    assert isinstance(EchoAsyncLLM(), RuntimeParametersModelMixin) and issubclass(LLM, RuntimeParametersModelMixin)


# --- Step(pipeline=p) --------------------------------------------------------------------------------


def test_step_with_a_pipeline_argument_joins_it(tmp_path: Path) -> None:
    pipeline = Pipeline(name="explicit", cache_dir=tmp_path)
    load = LoadDataFromDicts(data=[{"instruction": "hi"}], pipeline=pipeline)
    task = TextGeneration(llm=EchoAsyncLLM(), pipeline=pipeline)
    load >> task
    assert load.pipeline is pipeline and task.pipeline is pipeline
    assert list(pipeline.dag.steps) == ["load_data_from_dicts_0", "text_generation_0"]
    assert pipeline.run()["default"]["train"]["generation"] == ["Echo: hi"]
    with pytest.raises(DistilabelUserError, match="takes a Pipeline"):
        KeepColumns(columns=["a"], pipeline="not a pipeline")


# --- save_artifact, Distiset.artifacts_path ---------------------------------------------------------


class CountWords(GlobalStep):
    """Saves a word count of every row as an artifact."""

    @property
    def inputs(self) -> List[str]:
        return ["instruction"]

    def process(self, inputs: StepInput) -> Any:
        counts = {row["instruction"]: len(row["instruction"].split()) for row in inputs}
        self.save_artifact(
            "word-counts",
            lambda folder: (folder / "counts.json").write_text(json.dumps(counts)),
            metadata={"rows": len(inputs)},
        )
        yield inputs


def test_artifacts_reach_the_distiset_and_its_copies(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with Pipeline(name="artifacts", cache_dir=tmp_path / "cache") as pipeline:
        LoadDataFromDicts(data=[{"instruction": "one two"}, {"instruction": "three"}]) >> CountWords(name="count")
    distiset = pipeline.run()
    artifacts = distiset.artifacts_path
    assert artifacts == pipeline.run_dir / "steps_artifacts"
    folder = artifacts / "count" / "word-counts"
    assert json.loads((folder / "counts.json").read_text()) == {"one two": 2, "three": 1}
    assert json.loads((folder / "metadata.json").read_text()) == {"rows": 2}

    saved = tmp_path / "saved"
    distiset.save_to_disk(saved)
    assert json.loads((saved / "artifacts" / "count" / "word-counts" / "counts.json").read_text())["three"] == 1
    reloaded = Distiset.load_from_disk(saved)
    assert reloaded.artifacts_path == saved / "artifacts"
    paths = sorted(op.path_in_repo for op in reloaded._artifact_operations())
    assert paths == ["artifacts/count/word-counts/counts.json", "artifacts/count/word-counts/metadata.json"]

    # A step run on its own has no artifacts folder: nothing is written, it says so.
    alone = CountWords(name="alone")
    with caplog.at_level(logging.WARNING, logger="distilabel"):
        next(alone.process([{"instruction": "x"}]))
    assert alone.artifacts_directory is None and "is not saved" in caplog.text

    no_artifacts = Distiset()
    assert no_artifacts.artifacts_path is None and no_artifacts._artifact_operations() == []


# --- Task.print(), pipeline.draw(), get_load_stages ------------------------------------------------


def test_task_print_shows_the_prompt(capsys: pytest.CaptureFixture) -> None:
    TextGeneration(name="t", llm=EchoAsyncLLM(), system_prompt="Be brief.").print()
    shown = capsys.readouterr().out
    assert "Prompt: TextGeneration" in shown and "<PLACEHOLDER_INSTRUCTION>" in shown
    assert "System Message" in shown and "User Message" in shown

    UltraFeedback(name="u", llm=EchoAsyncLLM()).print()
    shown = capsys.readouterr().out
    assert "<PLACEHOLDER_GENERATIONS_0>" in shown and "<PLACEHOLDER_GENERATIONS_1>" in shown

    TextGeneration(name="t2", llm=EchoAsyncLLM()).print(sample_input=[{"role": "user", "content": "Hello there"}])
    assert "Hello there" in capsys.readouterr().out


def _branching_pipeline(tmp_path: Path) -> Pipeline:
    with Pipeline(name="drawn", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(name="load", data=[{"prompt": "x"}])
        a = TextGeneration(
            name="a", llm=EchoAsyncLLM(), input_mappings={"instruction": "prompt"}, output_mappings={"generation": "ga"}
        )
        b = TextGeneration(name="b", llm=EchoAsyncLLM(), input_mappings={"instruction": "prompt"})
        count = CountWords(name="count", input_mappings={"instruction": "ga"})
        keep = KeepColumns(name="keep", columns=["ga"])
        load >> [a, b]
        a >> count >> keep
    return pipeline


def test_draw_writes_a_mermaid_chart(tmp_path: Path) -> None:
    pipeline = _branching_pipeline(tmp_path)
    path = pipeline.draw(tmp_path / "chart.mmd", top_to_bottom=True)
    lines = path.read_text().splitlines()
    assert lines[0] == "flowchart TD"
    assert '    a["a<br/>TextGeneration"]' in lines
    assert "    load -->|prompt:instruction| a" in lines
    # generation is written as ga, which count reads as instruction.
    assert "    a -->|generation:ga:instruction, model_name| count" in lines
    assert "    count --> keep" in lines
    assert "    b --> distiset_0" in lines and "    keep --> distiset_1" in lines
    with pytest.warns(UserWarning, match="not an image"):
        written = pipeline.draw(tmp_path / "pipeline.png", show_edge_labels=False)
    assert written == tmp_path / "pipeline.mmd" and not (tmp_path / "pipeline.png").exists()
    assert "    load --> a" in written.read_text().splitlines()


def test_get_load_stages_as_1_5_computes_them(tmp_path: Path) -> None:
    pipeline = _branching_pipeline(tmp_path)
    # The global step is a stage of its own; the steps after it another.
    assert pipeline.get_load_stages() == (
        [["load", "a", "b"], ["count"], ["keep"]],
        [["a", "b"], ["count"], ["keep"]],
    )
    stages, _ = pipeline.get_load_stages(load_groups=[[pipeline.dag.get("a"), "b"]])
    assert stages == [["load"], ["a", "b"], ["count"], ["keep"]]
    stages, last = pipeline.get_load_stages(load_groups="sequential_step_execution")
    assert stages == last == [["load"], ["a"], ["b"], ["count"], ["keep"]]
    with pytest.raises(DistilabelUserError, match="not in the pipeline"):
        pipeline.get_load_stages(load_groups=[["nope"]])


# --- distilabel.utils.* --------------------------------------------------------------------------------


def test_utils_logging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from distilabel.utils.logging import log_level_from_env, setup_logging, stop_logging

    logger = logging.getLogger("distilabel")
    level_before = logger.level
    monkeypatch.setenv("DISTILABEL_LOG_LEVEL", "WARNING")
    assert log_level_from_env() == logging.WARNING
    log_file = tmp_path / "logs" / "run.log"
    queue: Queue[Any] = Queue()
    try:
        setup_logging(log_queue=queue, filename=str(log_file))
        assert logger.level == logging.WARNING and logging.getLogger("httpx").level == logging.CRITICAL
        logging.getLogger("distilabel.test").warning("kept")
        logging.getLogger("distilabel.test").info("dropped")
    finally:
        stop_logging()
        logger.setLevel(level_before)
    text = log_file.read_text()
    assert "kept" in text and "dropped" not in text
    monkeypatch.delenv("DISTILABEL_LOG_LEVEL")
    assert log_level_from_env() is None


def test_utils_serialization_names(tmp_path: Path) -> None:
    from distilabel.utils import serialization as s

    assert s.DISTILABEL_FILENAME == "distilabel-file.json" and s.TYPE_INFO_KEY == "type_info"
    s.write_json(tmp_path / "a" / "x.json", {"k": [1, 2]})
    assert s.read_json(tmp_path / "a" / "x.json") == {"k": [1, 2]}
    s.write_yaml(tmp_path / "b" / "x.yaml", {"k": (1, 2), "z": "last"})
    text = (tmp_path / "b" / "x.yaml").read_text()
    assert "python" not in text and text.index("k:") < text.index("z:")
    assert s.read_yaml(tmp_path / "b" / "x.yaml") == {"k": [1, 2], "z": "last"}

    dumped = {"steps": [KeepColumns(name="k", columns=["a"]).dump()], "other": 1}
    with Pipeline(name="lwti"):
        rebuilt = s.load_with_type_info(json.loads(json.dumps(dumped)))
    assert isinstance(rebuilt["steps"][0], KeepColumns) and rebuilt["steps"][0].columns == ["a"]
    assert rebuilt["other"] == 1
    with pytest.raises(DistilabelUserError, match="Refusing to load"):
        s.load_with_type_info({"type_info": {"module": "os", "name": "system"}})


def test_utils_dicts_lists_itertools() -> None:
    from distilabel.utils.dicts import flatten_dict, group_dicts, merge_dicts
    from distilabel.utils.itertools import batched, grouper
    from distilabel.utils.lists import flatten_responses

    assert group_dicts({"a": 1}, {"a": 2, "b": 3}) == {"a": [1, 2], "b": [3]}
    assert group_dicts({"a": [1]}, {"a": [2, 3]}, flatten=True) == {"a": [1, 2, 3]}
    assert flatten_dict({"a": {"b": 1}, "c": 2}) == {"a": '{"b": 1}', "c": 2}
    assert merge_dicts([{"a": 1}, {"a": 2}], [{"a": [3, 4]}, {"a": 5}]) == [{"a": [1, 3, 4]}, {"a": [2, 5]}]
    with pytest.raises(ValueError, match="same length"):
        merge_dicts([{"a": 1}], [])
    with pytest.raises(ValueError, match="same keys"):
        merge_dicts([{"a": 1}], [{"b": 1}])
    assert flatten_responses([["a", "b"], ["c"]]) == ["b", "c"]
    assert list(batched("ABCDE", 2)) == [("A", "B"), ("C", "D"), ("E",)]
    assert list(grouper("ABCDE", 2, fillvalue="x")) == [("A", "B"), ("C", "D"), ("E", "x")]
    assert list(grouper("ABCDE", 2, incomplete="ignore")) == [("A", "B"), ("C", "D")]
    with pytest.raises(ValueError):
        list(grouper("ABCDE", 2, incomplete="strict"))


def test_utils_files_chat_typing(tmp_path: Path) -> None:
    from pydantic import SecretStr

    from distilabel.mixins.runtime_parameters import RuntimeParameter
    from distilabel.utils.chat import is_openai_format
    from distilabel.utils.files import list_files_in_dir
    from distilabel.utils.typing_ import (
        extract_annotation_inner_type,
        is_parameter_annotated_with,
        is_type_pydantic_secret_field,
    )

    for name in ("10.parquet", "2.parquet", "1.parquet"):
        (tmp_path / name).write_text("")
    (tmp_path / "3").mkdir()
    assert [p.name for p in list_files_in_dir(tmp_path)] == ["1.parquet", "2.parquet", "10.parquet"]
    assert is_openai_format([{"role": "user", "content": "hi"}]) and not is_openai_format("hi")
    assert not is_openai_format([{"role": "user"}])

    def process(inputs: StepInput, other: int) -> None: ...

    parameters = inspect.signature(process).parameters
    assert is_parameter_annotated_with(parameters["inputs"], "StepInput")
    assert not is_parameter_annotated_with(parameters["other"], "StepInput")
    assert extract_annotation_inner_type(typing.Optional[RuntimeParameter[int]]) is int
    assert is_type_pydantic_secret_field(SecretStr) and not is_type_pydantic_secret_field(str)


def test_utils_notebook_ray_huggingface_image_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants
    from PIL import Image

    from distilabel.utils.huggingface import HF_TOKEN_ENV_VAR, get_hf_token
    from distilabel.utils.image import image_to_str
    from distilabel.utils.notebook import in_notebook
    from distilabel.utils.ray import script_executed_in_ray_cluster
    from distilabel.utils.template import check_column_in_template

    assert in_notebook() is False
    for name in ("RAY_NODE_TYPE_NAME", "RAY_CLUSTER_NAME", "RAY_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    assert script_executed_in_ray_cluster() is False
    for name in ("RAY_NODE_TYPE_NAME", "RAY_CLUSTER_NAME", "RAY_ADDRESS"):
        monkeypatch.setenv(name, "x")
    assert script_executed_in_ray_cluster() is True

    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "token"))
    monkeypatch.setenv(HF_TOKEN_ENV_VAR, "hf_env")
    assert get_hf_token("X", "api_key") == "hf_env"
    monkeypatch.delenv(HF_TOKEN_ENV_VAR)
    with pytest.raises(ValueError, match="provided via `api_key`"):
        get_hf_token("X", "api_key")
    (tmp_path / "token").write_text("hf_saved\n")
    assert get_hf_token("X", "api_key") == "hf_saved"

    encoded = image_to_str(Image.new("RGB", (4, 3), "red"), image_format="PNG")
    assert Image.open(io.BytesIO(base64.b64decode(encoded))).size == (4, 3)

    check_column_in_template("instruction", "Answer: {{ instruction }}")
    check_column_in_template("items", "{% for x in items %}{{ x }}{% endfor %}")
    with pytest.raises(DistilabelUserError, match="'context' is not used by the template"):
        check_column_in_template("context", "{{ instruction }}")


def test_utils_docstring_parse_google_docstring() -> None:
    from distilabel.utils.docstring import parse_google_docstring

    class Shout(Step):
        """Shout the text.

        Upper-cases every character.

        Attributes:
            times: how many exclamation marks
                to add.

        Runtime parameters:
            - `times`: the marks to add.

        Input columns:
            - text (`str`): the text to shout.

        Output columns:
            - shouted (`str`): the text,
                upper-cased.

        Categories:
            - text-manipulation

        Icon:
            `:material-bullhorn:`

        References:
            - [A paper](https://arxiv.org/abs/0000.00000)

        Examples:
            Shout a greeting:

            ```python
            step = Shout()
            ```
        """

        def process(self, inputs: StepInput) -> Any:
            yield inputs

    doc = parse_google_docstring(Shout)
    assert doc["short_description"] == "Shout the text."
    assert doc["description"] == "Upper-cases every character."
    assert doc["attributes"] == {"times": "how many exclamation marks to add."}
    assert doc["runtime_parameters"] == {"times": "the marks to add."}
    assert doc["input_columns"] == {"text": ("`str`", "the text to shout.")}
    assert doc["output_columns"] == {"shouted": ("`str`", "the text, upper-cased.")}
    assert doc["categories"] == ["text-manipulation"] and doc["icon"] == ":material-bullhorn:"
    assert doc["references"] == {"A paper": "https://arxiv.org/abs/0000.00000"}
    assert doc["examples"] == {"Shout a greeting": "step = Shout()"}
    assert parse_google_docstring(lambda: None)["short_description"] == ""


def test_small_helpers_at_their_1_5_paths() -> None:
    from distilabel.steps.generators.utils import make_generator_step
    from distilabel.utils.docstring import remove_leading_whitespaces

    with Pipeline(name="helpers"):
        step = make_generator_step([{"a": 1}, {"a": 2}], batch_size=1)
    assert [rows for rows, _ in step.process()] == [[{"a": 1}], [{"a": 2}]]
    assert remove_leading_whitespaces("        a\n    b\n        c") == "a\n    b\nc"
