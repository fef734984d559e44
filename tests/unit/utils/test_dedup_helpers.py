"""The helpers that hold what several modules used to repeat: lazy package exports,
fixed step columns, the clustering steps' estimator base, local embedding models,
the 0.x LLMs' generation kwargs and the URL splitting of ``utils.secrets``."""

import sys
import textwrap
from typing import Any, List

import pytest

from distilabel.models.embeddings.base import LocalEmbeddings
from distilabel.models.structured import as_conversation
from distilabel.steps.clustering.base import EstimatorStep
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.evol_instruct.utils import Chain, evolution_columns
from distilabel.utils.lazy import lazy_exports, type_checking_exports
from distilabel.utils.secrets import redact_url, strip_url_credentials


def test_type_checking_exports_maps_each_imported_name_to_its_module(tmp_path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text(
        textwrap.dedent(
            """
            from typing import TYPE_CHECKING
            import typing

            from json import dumps  # an eager import: not an export

            if TYPE_CHECKING:
                from json import JSONDecoder, loads as parse
                from .sub import Thing

            if typing.TYPE_CHECKING:
                from os.path import join
            """
        )
    )
    assert type_checking_exports(str(init)) == {
        "JSONDecoder": "json",
        "parse": "json",
        "Thing": ".sub",
        "join": "os.path",
    }


def test_lazy_package_imports_on_first_use_and_lists_the_names(tmp_path, monkeypatch) -> None:
    package = tmp_path / "lazy_pkg_for_test"
    package.mkdir()
    (package / "heavy.py").write_text("VALUE = 41 + 1\n")
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            from typing import TYPE_CHECKING

            from distilabel.utils.lazy import lazy_package

            if TYPE_CHECKING:
                from lazy_pkg_for_test.heavy import VALUE

            _EXPORTS, __getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazy_pkg_for_test

    try:
        assert lazy_pkg_for_test.__all__ == ["VALUE"]
        assert "lazy_pkg_for_test.heavy" not in sys.modules
        assert lazy_pkg_for_test.VALUE == 42
        assert dir(lazy_pkg_for_test) == ["VALUE"]
        with pytest.raises(AttributeError, match="has no attribute 'MISSING'"):
            lazy_pkg_for_test.MISSING  # noqa: B018
    finally:
        sys.modules.pop("lazy_pkg_for_test", None)
        sys.modules.pop("lazy_pkg_for_test.heavy", None)


def test_lazy_exports_of_an_old_path_warn_and_take_the_name_from_the_new_one() -> None:
    getattr_, dir_, all_ = lazy_exports("old.place", {"dumps": "json"}, deprecated_in_favour_of="json")
    with pytest.warns(DeprecationWarning, match="Importing dumps from 'old.place' is deprecated; import it from 'json'"):
        import json

        assert getattr_("dumps") is json.dumps
    assert dir_() == all_ == ["dumps"]


def test_the_old_import_paths_still_warn_and_resolve() -> None:
    with pytest.warns(DeprecationWarning, match="'distilabel.llms'"):
        from distilabel.llms import OpenAILLM as Old
    from distilabel.models.llms import OpenAILLM

    assert Old is OpenAILLM


def test_column_property_returns_a_fresh_copy_and_can_be_overridden() -> None:
    class Columns:
        inputs = column_property(["text"])
        outputs = column_property({"label": True, "score": False})

    class Override(Columns):
        @property
        def inputs(self) -> List[str]:
            return ["other"]

    first = Columns().inputs
    first.append("changed")
    assert Columns().inputs == ["text"]
    assert Columns().outputs == {"label": True, "score": False}
    assert Override().inputs == ["other"] and Override().outputs == {"label": True, "score": False}


def test_estimator_step_fits_once_loaded_and_passes_empty_input_through() -> None:
    class Doubler(EstimatorStep):
        def _make_estimator(self) -> Any:
            return 2

        def _fit(self, rows: Any) -> None:
            for row in rows:
                row["doubled"] = row["n"] * self._estimator

    step = Doubler()
    with pytest.raises(RuntimeError, match="Doubler is not loaded: call load\\(\\) first."):
        next(step.process([{"n": 1}]))
    step.load()
    assert next(step.process([{"n": 1}, {"n": 3}])) == [{"n": 1, "doubled": 2}, {"n": 3, "doubled": 6}]
    assert next(step.process([])) == []
    step.unload()
    assert step._estimator is None


def test_local_embeddings_load_encode_and_close_through_the_shared_template() -> None:
    closed: List[Any] = []

    class Echo(LocalEmbeddings):
        @property
        def model_name(self) -> str:
            return "echo"

        def _load_model(self) -> Any:
            return "model"

        def _encode(self, inputs: List[str]) -> List[List[float]]:
            return [[float(len(text))] for text in inputs]

        def _close_model(self, model: Any) -> None:
            closed.append(model)

    embeddings = Echo()
    with pytest.raises(RuntimeError, match="Echo is not loaded"):
        embeddings.encode(["a"])
    embeddings.load()
    assert embeddings.encode(["ab", "abc"]) == [[2.0], [3.0]]
    embeddings.unload()
    assert closed == ["model"] and embeddings._model is None


def test_as_conversation_wraps_only_plain_prompts() -> None:
    conversation = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    assert as_conversation("hi") == [{"role": "user", "content": "hi"}]
    assert as_conversation(conversation) is conversation


def test_evolution_columns_and_chain_metadata() -> None:
    assert evolution_columns(["a", "b"], "all", "last", store_evolutions=True) == {"all": ["a", "b"]}
    assert evolution_columns(["a", "b"], "all", "last", store_evolutions=False) == {"last": "b"}
    assert evolution_columns([], "all", "last", store_evolutions=False) == {"last": None}
    chain = Chain("start")
    chain.record({"generations": [None], "errors": ["timeout"], "statistics": {"input_tokens": [3], "output_tokens": [0]}})
    metadata: dict = {}
    chain.write_metadata(metadata, "statistics_evol", "evol", add_raw_output=True)
    assert metadata == {
        "statistics_evol": {"input_tokens": [3], "output_tokens": [0]},
        "error_evol": "timeout",
        "raw_output_evol": [None],
    }


@pytest.mark.parametrize(
    ("url", "stripped", "redacted"),
    [
        ("https://user:pw@host:8443/v1?api_key=s&x=1#f", "https://host:8443/v1", "https://host:8443/v1?x=1#f"),
        ("http://host/path", "http://host/path", "http://host/path"),
        ("http://[broken", "http://[broken", "http://[broken"),
    ],
)
def test_url_credentials_are_removed_the_same_way(url: str, stripped: str, redacted: str) -> None:
    assert strip_url_credentials(url) == stripped
    assert redact_url(url) == redacted


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_0x_llm_passes_on_the_fields_its_1x_engine_takes() -> None:
    from distilabel.llm import OpenAILLM
    from distilabel.tasks import TextGenerationTask

    llm = OpenAILLM(task=TextGenerationTask(), model="gpt-4o-mini", openai_api_key="sk-test", temperature=0.3)
    assert llm._generation_kwargs() == {
        "max_new_tokens": 128,
        "frequency_penalty": 0.0,
        "presence_penalty": 0.0,
        "temperature": 0.3,
        "top_p": 1.0,
    }
