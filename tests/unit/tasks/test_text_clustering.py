"""TextClustering: one LLM prompt per cluster, labels on every text, failures, the figure, dumps."""

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any, List, Optional

import pytest
from pydantic import PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.models.llms.base import LLM, AsyncLLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts, TextClustering
from distilabel.steps.clustering.text_clustering import FIGURE_FILENAME

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


class ClusterLLM(LLM):
    """Names a cluster after the first word of its first example (``"Example 1:\\n<word> ..."``).

    Prompts whose examples contain ``garbled`` get a non-JSON answer.
    """

    n: int = 1
    _sent: List[Any] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "cluster-namer"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for input in inputs:
            self._sent.append(input)
            prompt = (input[0] if isinstance(input, tuple) else input)[-1]["content"]
            word = prompt.split("Example 1:\n", 1)[1].split()[0]
            if "garbled" in prompt:
                answer = "I think these are about many things"
            elif self.n == 1:
                answer = json.dumps({"labels": word})
            else:
                answer = json.dumps({"labels": [f"{word}-{i}" for i in range(self.n)]})
            outputs.append(prepare_output([answer] * num_generations, [20], [6]))
        return outputs


def rows(*clusters: int, word: Optional[str] = None) -> List[dict]:
    """One row per cluster label given; the text starts with a word naming its cluster."""
    return [
        {
            "text": f"{word or f'topic{c}'} text number {i}",
            "projection": [float(i), float(c)],
            "cluster_label": c,
        }
        for i, c in enumerate(clusters)
    ]


def prompts(llm: ClusterLLM) -> List[str]:
    return [(i[0] if isinstance(i, tuple) else i)[-1]["content"] for i in llm._sent]


@pytest.mark.parametrize("n", [1, 3])
def test_each_cluster_is_labelled_once_and_every_text_gets_its_label(n: int) -> None:
    llm = ClusterLLM(n=n)
    step = TextClustering(llm=llm, n=n, samples_per_cluster=2, savefig=False)
    step.load()
    data = rows(-1, -1, 0, 0, 0, 1, 1, 2, 2)
    out = next(step.process(data))
    assert step.is_global
    assert step.get_inputs() == {"text": True, "projection": True, "cluster_label": True}
    assert step.outputs == ["summary_label", "model_name"]
    assert len(llm._sent) == 3  # clusters 0, 1 and 2; -1 is not sent
    for row in out:
        cluster = row["cluster_label"]
        if cluster == -1:
            assert row["summary_label"] == json.dumps("Unclassified")
        elif n == 1:
            assert row["summary_label"] == json.dumps(f"topic{cluster}")
        else:
            assert row["summary_label"] == json.dumps([f"topic{cluster}-{i}" for i in range(n)])
        assert row["model_name"] == "cluster-namer"
    labelled = out[2]["distilabel_metadata"][f"raw_output_{step.name}"]
    assert json.loads(labelled)["labels"] == (
        "topic0" if n == 1 else ["topic0-0", "topic0-1", "topic0-2"]
    )
    assert "distilabel_metadata" not in out[0]


def test_prompts_sample_only_their_cluster_and_repeat_across_runs() -> None:
    data = rows(*([0] * 6), *([1] * 2))
    first, second = ClusterLLM(), ClusterLLM()
    for llm in (first, second):
        step = TextClustering(llm=llm, samples_per_cluster=4, savefig=False, query_title="Examples")
        step.load()
        next(step.process([dict(r) for r in data]))
    assert prompts(first) == prompts(second)
    cluster0, cluster1 = prompts(first)
    assert cluster0.count("topic0 text") == 4 and "topic1" not in cluster0
    assert cluster1.count("topic1 text") == 2 and "Example 3:" not in cluster1
    assert "## Examples\n```\nExample 1:\ntopic0 text" in cluster0


def test_cluster_ids_need_not_be_contiguous_nor_include_noise() -> None:
    llm = ClusterLLM()
    step = TextClustering(llm=llm, savefig=False, input_batch_size=1)
    step.load()
    out = next(step.process(rows(7, 3, 7, 3)))
    assert [r["summary_label"] for r in out] == ['"topic7"', '"topic3"', '"topic7"', '"topic3"']
    assert len(llm._sent) == 2


def test_an_unparsed_cluster_answer_gives_none_for_its_texts() -> None:
    data = rows(0, 0, 1, 1)
    for row in data[:2]:
        row["text"] = "garbled " + row["text"]
    step = TextClustering(llm=ClusterLLM(), savefig=False)
    step.load()
    out = next(step.process(data))
    assert [r["summary_label"] for r in out] == [None, None, '"topic1"', '"topic1"']
    assert (
        out[0]["distilabel_metadata"][f"raw_output_{step.name}"]
        == "I think these are about many things"
    )


def test_default_structured_output_and_available_labels_apply() -> None:
    llm = ClusterLLM()
    step = TextClustering(
        llm=llm, available_labels=["topic0", "topic1"], default_label="None", savefig=False
    )
    step.load()
    out = next(step.process(rows(0, -1)))
    chat, spec = llm._sent[0]
    assert spec["schema"]["properties"]["labels"]["enum"] == ["topic0", "topic1", "None"]
    assert '"topic0",' in chat[-1]["content"]
    assert [r["summary_label"] for r in out] == ['"topic0"', '"None"']


def test_bad_cluster_label_is_a_clear_error() -> None:
    step = TextClustering(llm=ClusterLLM(), savefig=False)
    step.load()
    with pytest.raises(DistilabelUserError, match="'cluster_label' must be an integer"):
        next(step.process([{"text": "a", "projection": [0, 0], "cluster_label": "zero"}]))


def test_savefig_outside_a_pipeline_warns_and_saves_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not HAS_MATPLOTLIB:
        pytest.skip("matplotlib is not installed")
    step = TextClustering(llm=ClusterLLM(), savefig=True)
    step.load()
    with caplog.at_level("WARNING"):
        out = next(step.process(rows(0, 0)))
    assert out[0]["summary_label"] == '"topic0"'
    assert step.figure_path is None
    assert "not part of a pipeline" in caplog.text


def test_savefig_needs_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"distilabel\[text-clustering\]"):
        TextClustering(llm=ClusterLLM(), savefig=True).load()
    TextClustering(llm=ClusterLLM(), savefig=False).load()


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed")
def test_pipeline_saves_the_figure_under_the_cache_dir(tmp_path: Path) -> None:
    with Pipeline(name="clusters", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=rows(-1, 0, 0, 1, 1, 1))
        step = TextClustering(llm=ClusterLLM(), samples_per_cluster=2)
        load >> step
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["summary_label"] == [
        '"Unclassified"',
        '"topic0"',
        '"topic0"',
        '"topic1"',
        '"topic1"',
        '"topic1"',
    ]
    assert train["model_name"] == ["cluster-namer"] * 6
    figure = tmp_path / "clusters" / "artifacts" / step.name / FIGURE_FILENAME
    assert step.figure_path == figure
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_savefig_needs_two_dimensional_projections(tmp_path: Path) -> None:
    if not HAS_MATPLOTLIB:
        pytest.skip("matplotlib is not installed")
    with Pipeline(name="clusters", cache_dir=tmp_path):
        step = TextClustering(llm=ClusterLLM())
    step.load()
    with pytest.raises(DistilabelUserError, match="at least two numbers"):
        next(step.process([{"text": "a b", "projection": [0.5], "cluster_label": 0}]))


def test_dump_and_load_round_trip() -> None:
    step = TextClustering(
        name="tc",
        llm=ClusterLLM(n=2),
        n=2,
        samples_per_cluster=3,
        savefig=False,
        query_title="Personas",
    )
    dump = step.dump()
    assert dump["type_info"] == {
        "module": "distilabel.steps.clustering.text_clustering",
        "name": "TextClustering",
    }
    assert (dump["samples_per_cluster"], dump["savefig"], dump["n"]) == (3, False, 2)
    loaded = TextClustering.from_dict(dump, allowed_modules=[ClusterLLM.__module__])
    assert loaded.dump() == dump
    assert loaded.llm.n == 2
    assert "savefig" in loaded.runtime_parameters_names


class NamingAsyncLLM(AsyncLLM):
    """An async LLM that calls every cluster ``"shared"``."""

    @property
    def model_name(self) -> str:
        return "async-namer"

    async def agenerate(self, input: Any, num_generations: int = 1) -> Any:
        return prepare_output(['{"labels": "shared"}'] * num_generations, [4], [2])


def test_pipeline_with_an_async_llm_sends_cluster_prompts_as_one_global_step(
    tmp_path: Path,
) -> None:
    with Pipeline(name="clusters-async", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        load = LoadDataFromDicts(data=rows(0, -1, 0), batch_size=1)
        step = TextClustering(llm=NamingAsyncLLM(), savefig=False)
        load >> step
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["summary_label"] == ['"shared"', '"Unclassified"', '"shared"']
    assert train["model_name"] == ["async-namer"] * 3
    assert train["distilabel_metadata"][0] == {f"raw_output_{step.name}": '{"labels": "shared"}'}
    assert train["distilabel_metadata"][1] is None
    assert pipeline.last_run_summary[step.name]["rows"] == 3
