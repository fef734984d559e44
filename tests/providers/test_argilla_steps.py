"""TextGenerationToArgilla and PreferenceToArgilla through the real `argilla` SDK (2.x) against
a loopback Argilla server: the dataset, its settings and the records that arrive."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts, PreferenceToArgilla, TextGenerationToArgilla
from tests.servers.argilla_server import ARGILLA_TEST_KEY, ArgillaServer

rg = pytest.importorskip("argilla")


@pytest.fixture
def argilla() -> Iterator[ArgillaServer]:
    with ArgillaServer(workspaces=["argilla", "team"]) as server:
        yield server


@pytest.fixture
def argilla_env(argilla: ArgillaServer, monkeypatch: pytest.MonkeyPatch) -> ArgillaServer:
    monkeypatch.setenv("ARGILLA_API_URL", argilla.url)
    monkeypatch.setenv("ARGILLA_API_KEY", ARGILLA_TEST_KEY)
    return argilla


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def process(step: Any, rows: List[dict]) -> List[dict]:
    return [row for batch in step.process_applying_mappings(rows) for row in batch]


def suggestions_of(record: dict) -> dict:
    return {s["question_name"]: s["value"] for s in record["suggestions"]}


def test_text_generation_dataset_settings_and_records(argilla_env: ArgillaServer) -> None:
    step = TextGenerationToArgilla(dataset_name="generations")  # url and key from the environment
    step.load()
    dataset = argilla_env.dataset_named("generations")
    assert dataset["status"] == "ready"
    assert [(f["name"], f["title"], f["required"], f["settings"]["type"]) for f in dataset["fields"]] == [
        ("id", "id", True, "text"),
        ("instruction", "instruction", True, "text"),
        ("generation", "generation", True, "text"),
    ]
    [question] = dataset["questions"]
    assert question["name"] == "quality"
    assert question["title"] == "What's the quality of the generation for the given instruction?"
    assert question["settings"]["type"] == "label_selection"
    assert question["settings"]["options"] == [{"value": "bad", "text": "👎"}, {"value": "good", "text": "👍"}]

    rows = [
        {"instruction": "Name a colour.", "generation": "Teal.", "model_name": "m"},
        {"instruction": "Name a fruit.", "generation": ["Fig.", "Fig.", "Kiwi."]},  # one record per distinct one
        {"instruction": "Name a tree.", "generation": None},  # a failed row: nothing to review
    ]
    assert process(step, rows) == rows  # the rows pass through unchanged
    records = dataset["records"]
    assert [r["fields"] for r in records] == [
        {"id": sha("Name a colour."), "instruction": "Name a colour.", "generation": "Teal."},
        {"id": sha("Name a fruit."), "instruction": "Name a fruit.", "generation": "Fig."},
        {"id": sha("Name a fruit."), "instruction": "Name a fruit.", "generation": "Kiwi."},
    ]
    assert all(r["suggestions"] == [] and r["status"] == "pending" for r in records)
    assert argilla_env.unknown() == []


def test_preference_dataset_settings_and_suggestions(argilla_env: ArgillaServer) -> None:
    step = PreferenceToArgilla(num_generations=2, dataset_name="preferences", dataset_workspace="team")
    step.load()
    dataset = argilla_env.dataset_named("preferences", workspace="team")
    assert [(f["name"], f["required"]) for f in dataset["fields"]] == [
        ("id", True),
        ("instruction", True),
        ("generations-0", True),
        ("generations-1", False),
    ]
    questions = {q["name"]: q for q in dataset["questions"]}
    assert list(questions) == [
        "generations-0-rating", "generations-0-rationale", "generations-1-rating", "generations-1-rationale"
    ]
    first, second = questions["generations-0-rating"], questions["generations-1-rating"]
    assert first["settings"]["type"] == "rating"
    assert [o["value"] for o in first["settings"]["options"]] == [1, 2, 3, 4, 5]
    assert (first["title"], first["required"], first["description"]) == (
        "Rate generations-0 given instruction.", True, None
    )
    assert (second["required"], second["description"]) == (
        False, "Ignore this question if the corresponding `generations-1` field is not available."
    )
    rationale = questions["generations-1-rationale"]
    assert (rationale["settings"]["type"], rationale["title"], rationale["required"]) == (
        "text", "Specify the rationale for generations-1's rating.", False
    )

    rows = [
        {
            "instruction": "Name a colour.",
            "generations": ["Teal.", "Blue, or maybe green."],
            "ratings": [5, 3.0],
            "rationales": ["Short and right.", "Hesitant."],
        },
        # Out-of-range, missing and non-numeric ratings make no suggestion; one generation is enough.
        {"instruction": "Name a fruit.", "generations": ["Fig."], "ratings": [7], "rationales": [None]},
        {"instruction": "Name a tree.", "generations": ["Oak.", None], "ratings": [None, None]},
        {"instruction": "Name a bird.", "generations": [None, "Wren."]},  # no first generation: not sent
    ]
    assert process(step, rows) == rows
    records = dataset["records"]
    assert [r["fields"] for r in records] == [
        {"id": sha("Name a colour."), "instruction": "Name a colour.", "generations-0": "Teal.",
         "generations-1": "Blue, or maybe green."},
        {"id": sha("Name a fruit."), "instruction": "Name a fruit.", "generations-0": "Fig."},
        {"id": sha("Name a tree."), "instruction": "Name a tree.", "generations-0": "Oak."},
    ]
    assert suggestions_of(records[0]) == {
        "generations-0-rating": 5,
        "generations-1-rating": 3,
        "generations-0-rationale": "Short and right.",
        "generations-1-rationale": "Hesitant.",
    }
    assert suggestions_of(records[1]) == {} and suggestions_of(records[2]) == {}
    ids = {q["name"]: q["id"] for q in dataset["questions"]}
    assert all(s["question_id"] == ids[s["question_name"]] for s in records[0]["suggestions"])
    assert argilla_env.unknown() == []


def test_input_mappings_name_the_fields(argilla_env: ArgillaServer) -> None:
    step = TextGenerationToArgilla(
        dataset_name="mapped", input_mappings={"instruction": "prompt", "generation": "answer"}
    )
    step.load()
    dataset = argilla_env.dataset_named("mapped")
    assert [f["name"] for f in dataset["fields"]] == ["id", "prompt", "answer"]
    assert dataset["questions"][0]["title"] == "What's the quality of the answer for the given prompt?"
    rows = [{"prompt": "Say hi.", "answer": "Hi."}]
    assert process(step, rows) == rows
    assert dataset["records"][0]["fields"] == {"id": sha("Say hi."), "prompt": "Say hi.", "answer": "Hi."}

    preference = PreferenceToArgilla(
        num_generations=1, dataset_name="mapped-pref", input_mappings={"instruction": "prompt", "generations": "answers"}
    )
    preference.load()
    process(preference, [{"prompt": "Say hi.", "answers": ["Hi."], "ratings": [4]}])
    dataset = argilla_env.dataset_named("mapped-pref")
    assert [f["name"] for f in dataset["fields"]] == ["id", "prompt", "answers-0"]
    assert dataset["records"][0]["fields"] == {"id": sha("Say hi."), "prompt": "Say hi.", "answers-0": "Hi."}
    assert suggestions_of(dataset["records"][0]) == {"answers-0-rating": 4}


def test_a_dataset_that_exists_is_reused(argilla_env: ArgillaServer) -> None:
    first = TextGenerationToArgilla(dataset_name="shared")
    first.load()
    process(first, [{"instruction": "One?", "generation": "1"}])
    second = TextGenerationToArgilla(dataset_name="shared")
    second.load()
    process(second, [{"instruction": "Two?", "generation": "2"}])
    assert len(argilla_env.datasets) == 1
    assert [r["fields"]["generation"] for r in argilla_env.dataset_named("shared")["records"]] == ["1", "2"]

    # One with a required field the step does not fill is refused, saying which.
    client = rg.Argilla(api_url=argilla_env.url, api_key=ARGILLA_TEST_KEY)
    settings = rg.Settings(fields=[rg.TextField(name="context")], questions=[rg.TextQuestion(name="notes")])
    rg.Dataset(name="other", workspace="argilla", settings=settings, client=client).create()
    with pytest.raises(DistilabelUserError, match=r"required fields \['context'\] that TextGenerationToArgilla"):
        TextGenerationToArgilla(dataset_name="other").load()


def test_in_a_pipeline_with_runtime_parameters(argilla: ArgillaServer, tmp_path: Path) -> None:
    with Pipeline(name="to-argilla", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": f"Q{i}?", "generation": f"A{i}."} for i in range(5)], batch_size=2)
        to_argilla = TextGenerationToArgilla(name="to_argilla", input_batch_size=2)
        load >> to_argilla
    distiset = pipeline.run(
        parameters={
            "to_argilla": {"api_url": argilla.url, "api_key": ARGILLA_TEST_KEY, "dataset_name": "from-pipeline"}
        },
        use_cache=False,
    )
    records = argilla.dataset_named("from-pipeline")["records"]
    assert sorted(r["fields"]["generation"] for r in records) == [f"A{i}." for i in range(5)]
    assert distiset["default"]["train"]["generation"] == [f"A{i}." for i in range(5)]
    dump = json.dumps(to_argilla.dump())
    assert ARGILLA_TEST_KEY not in dump
    assert ARGILLA_TEST_KEY not in (pipeline.run_dir / "pipeline.yaml").read_text()


def test_missing_settings_name_the_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARGILLA_API_URL", raising=False)
    monkeypatch.delenv("ARGILLA_API_KEY", raising=False)
    with pytest.raises(DistilabelUserError) as caught:
        TextGenerationToArgilla(dataset_name="x").load()
    assert "api_url (ARGILLA_API_URL), api_key (ARGILLA_API_KEY)" in str(caught.value)
    with pytest.raises(DistilabelUserError, match="needs dataset_name"):
        PreferenceToArgilla(num_generations=2, api_url="http://127.0.0.1:1", api_key="k").load()


def test_server_errors_are_one_line(argilla: ArgillaServer) -> None:
    with pytest.raises(DistilabelUserError) as caught:
        TextGenerationToArgilla(dataset_name="x", api_url=argilla.url, api_key="not-the-key-at-all").load()
    message = caught.value.message
    assert message.startswith(f"Argilla at {argilla.url} refused the API key while connecting")
    assert "not-the-key-at-all" not in message and "\n" not in message

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(DistilabelUserError) as caught:
        TextGenerationToArgilla(dataset_name="x", api_url=dead, api_key=ARGILLA_TEST_KEY).load()
    assert caught.value.message.startswith(f"cannot reach Argilla at {dead} while connecting")

    with pytest.raises(DistilabelUserError, match=r"no workspace 'nowhere'.*\['argilla', 'team'\]"):
        TextGenerationToArgilla(
            dataset_name="x", dataset_workspace="nowhere", api_url=argilla.url, api_key=ARGILLA_TEST_KEY
        ).load()
    assert argilla.datasets == {}
