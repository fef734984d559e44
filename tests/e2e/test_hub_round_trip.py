"""Push a distiset to the Hub and read it back, with the real `huggingface_hub` and `datasets`.

The Hub is `tests/servers/hub_server.py` on 127.0.0.1. `huggingface_hub` and `datasets`
read `HF_ENDPOINT` when they are imported, so the round trip runs in a child Python
process started with `HF_ENDPOINT` pointing at the server: a real script, which is
also what `include_script=True` uploads. The error cases run in this process with
`huggingface_hub.constants` patched (distilabel reads the endpoint and the token at
call time, before `datasets` is involved).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from distilabel.distiset import Distiset
from distilabel.errors import DistilabelUserError
from distilabel.steps import PushToHub
from distilabel.utils.card import read_metadata
from distilabel.utils.hub import NO_TOKEN_MESSAGE, scrub_secrets
from tests.servers.hub_server import HUB_TEST_TOKEN, HubServer

pytest.importorskip("huggingface_hub")
datasets = pytest.importorskip("datasets")

REPO_ROOT = Path(__file__).resolve().parents[2]
OPENAI_KEY = "sk-proj-Zx81hdk2LmQpw0RtYv3nBc7e"
LITERAL_SECRET = "very-secret-value-42"

# The user's script: a pipeline with two leaf steps (one of them PushToHub), then a push
# of its distiset and a read back of everything pushed, printed as JSON on the last line.
SCRIPT = textwrap.dedent(
    f'''
    import json
    import os

    from datasets import load_dataset

    from distilabel.pipeline import Pipeline
    from distilabel.steps import KeepColumns, LoadDataFromDicts, LoadDataFromHub, PushToHub
    from distilabel.steps.tasks import TextGeneration
    from tests.unit.pipeline.fakes import EchoAsyncLLM

    os.environ["OPENAI_API_KEY"] = "{OPENAI_KEY}"
    settings = {{"api_key": "{LITERAL_SECRET}"}}

    with Pipeline(name="hub-round-trip") as pipeline:
        load = LoadDataFromDicts(data=[{{"instruction": f"Say {{word}}"}} for word in ["one", "two", "three"]])
        generate = TextGeneration(llm=EchoAsyncLLM())
        keep = KeepColumns(columns=["instruction"])
        push = PushToHub(repo_id="tester/from-step", split="train")
        load >> generate >> [keep, push]

    if __name__ == "__main__":
        distiset = pipeline.run(use_cache=False)
        distiset.push_to_hub(
            "tester/round-trip",
            private=True,
            token="{HUB_TEST_TOKEN}",
            include_script=True,
            commit_message="Round trip",
        )
        made = {{name: splits["train"].to_list() for name, splits in distiset.items()}}
        read = {{name: load_dataset("tester/round-trip", name, split="train").to_list() for name in made}}
        hub_step = LoadDataFromHub(repo_id="tester/round-trip", config="push_to_hub_0", split="train")
        hub_step.load()
        from_step = [row for batch, _ in hub_step.process() for row in batch]
        pushed_by_step = load_dataset("tester/from-step", split="train").to_list()
        print(json.dumps({{"made": made, "read": read, "from_step": from_step, "pushed_by_step": pushed_by_step}}))
    '''
)


@pytest.fixture(autouse=True)
def _online(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests choose offline mode themselves, whatever HF_HUB_OFFLINE the shell has."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def hub() -> Iterator[HubServer]:
    with HubServer() as server:
        yield server


@pytest.fixture
def no_saved_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import huggingface_hub.constants

    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))


@pytest.fixture
def small_distiset() -> Distiset:
    distiset = Distiset()
    distiset["default"] = datasets.DatasetDict({"train": datasets.Dataset.from_list([{"a": 1}])})
    return distiset


def run_script(hub: HubServer, tmp_path: Path) -> dict[str, Any]:
    script = tmp_path / "make_data.py"
    script.write_text(SCRIPT)
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_TOKEN": HUB_TEST_TOKEN,
        "HF_HOME": str(tmp_path / "hf-home"),
        # The server speaks git LFS, not Xet (see tests/servers/hub_server.py).
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "DISTILABEL_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    env.pop("HF_HUB_OFFLINE", None)
    result = subprocess.run(
        [sys.executable, str(script)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_push_to_hub_round_trip(hub: HubServer, tmp_path: Path) -> None:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    out = run_script(hub, tmp_path)
    assert hub.unknown() == []

    # What the pipeline made is what load_dataset and LoadDataFromHub read back.
    made = out["made"]
    assert set(made) == {"keep_columns_0", "push_to_hub_0"}
    assert made["keep_columns_0"] == [{"instruction": f"Say {w}"} for w in ["one", "two", "three"]]
    assert [row["generation"] for row in made["push_to_hub_0"]] == [f"Echo: Say {w}" for w in ["one", "two", "three"]]
    assert out["read"] == made
    assert out["from_step"] == made["push_to_hub_0"]
    # The PushToHub step pushed the rows it saw, as the train split of its own dataset: as in
    # distilabel 1.5 they hold `distilabel_metadata`, which the distiset leaves out by default.
    pushed = out["pushed_by_step"]
    assert [row.pop("distilabel_metadata")["raw_output_text_generation_0"] for row in pushed] == [
        f"Echo: Say {w}" for w in ["one", "two", "three"]
    ]
    assert pushed == made["push_to_hub_0"]

    files = hub.files("tester/round-trip")
    assert {"README.md", "pipeline.yaml", "pipeline.log", "make_data.py"} <= set(files)
    assert "keep_columns_0/train-00000-of-00001.parquet" in files
    assert "push_to_hub_0/train-00000-of-00001.parquet" in files
    assert "data/train-00000-of-00001.parquet" in hub.files("tester/from-step")

    # The card keeps the configs datasets wrote, adds distilabel's tags, and tells how to reproduce.
    card = files["README.md"].decode()
    metadata = read_metadata(card)
    assert [c["config_name"] for c in metadata["configs"]] == ["keep_columns_0", "push_to_hub_0"]
    assert metadata["configs"][1]["data_files"] == [{"split": "train", "path": "push_to_hub_0/train-*"}]
    assert {info["config_name"] for info in metadata["dataset_info"]} == {"keep_columns_0", "push_to_hub_0"}
    assert metadata["tags"][:3] == ["synthetic", "distilabel", "rlaif"]
    assert metadata["size_categories"] == "n<1K"
    assert "[`make_data.py`](make_data.py)" in card
    assert "hf download tester/round-trip pipeline.yaml --repo-type dataset" in card
    assert 'load_dataset("tester/round-trip", "push_to_hub_0")' in card
    assert '"generation": "Echo: Say one"' in card

    pipeline = yaml.safe_load(files["pipeline.yaml"])
    assert pipeline["pipeline"]["name"] == "hub-round-trip"

    # The script is there, still valid Python, without a single secret.
    script = files["make_data.py"].decode()
    compile(script, "make_data.py", "exec")
    assert 'PushToHub(repo_id="tester/from-step", split="train")' in script
    for secret in (OPENAI_KEY, LITERAL_SECRET, HUB_TEST_TOKEN):
        for name, content in files.items():
            if not name.endswith(".parquet"):
                assert secret.encode() not in content, (secret, name)
    assert script.count("**********") == 3

    # The data commits and the card's commit carry the message; the repository is private.
    titles = [commit.title for commit in hub.commits("tester/round-trip")]
    assert titles[0] == "initial commit" and titles[1:] == ["Round trip"] * 3
    assert hub.repos[("datasets", "tester/round-trip")].private
    assert not hub.repos[("datasets", "tester/from-step")].private
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.url).repo_info("tester/round-trip", repo_type="dataset", token=False)


def test_no_token_is_a_one_line_error(
    hub: HubServer, no_saved_token: None, small_distiset: Distiset, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", hub.url)
    with pytest.raises(DistilabelUserError) as caught:
        small_distiset.push_to_hub("tester/anything")
    assert str(caught.value) == NO_TOKEN_MESSAGE
    assert_short_traceback(caught.value)
    with pytest.raises(DistilabelUserError, match="no Hugging Face token: set HF_TOKEN or pass token="):
        PushToHub(repo_id="tester/anything").load()
    assert hub.stats()["total"] == 0  # nothing was sent anywhere


def test_cli_push_without_token_exits_2_with_the_message(
    no_saved_token: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from distilabel.cli.app import app
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts

    with Pipeline(name="cli-push", cache_dir=tmp_path / "cache") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "hi"}])
    pipeline.save(tmp_path / "pipeline.yaml")
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(
        app, ["pipeline", "run", "--config", str(tmp_path / "pipeline.yaml"), "--repo-id", "tester/cli"]
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"Error: {NO_TOKEN_MESSAGE}"


def test_unreachable_hub_is_a_one_line_error(small_distiset: Distiset, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens once closed
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", endpoint)
    with pytest.raises(DistilabelUserError) as caught:
        small_distiset.push_to_hub("tester/anything", token=HUB_TEST_TOKEN)
    message = str(caught.value)
    assert message.startswith(f"cannot reach the Hub at {endpoint}: ")
    assert "refused" in message.lower() and "pushing the dataset tester/anything" in message
    assert_short_traceback(caught.value)
    # PushToHub finds out when it loads, before the pipeline makes anything.
    with pytest.raises(DistilabelUserError, match=f"^cannot reach the Hub at {endpoint}: .* creating the dataset"):
        PushToHub(repo_id="tester/anything", token=HUB_TEST_TOKEN).load()

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(DistilabelUserError) as caught:
        small_distiset.push_to_hub("tester/anything", token=HUB_TEST_TOKEN)
    assert str(caught.value).startswith(f"cannot reach the Hub at {endpoint}: offline mode is on (HF_HUB_OFFLINE=1)")
    assert_short_traceback(caught.value)


def test_refused_token_is_a_one_line_error(
    hub: HubServer, small_distiset: Distiset, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", hub.url)
    with pytest.raises(DistilabelUserError) as caught:
        small_distiset.push_to_hub("tester/anything", token="hf_notATokenTheHubKnows000000000")
    message = str(caught.value)
    assert message.startswith(f"the Hub at {hub.url} refused the token (401: Invalid credentials")
    assert message.endswith("check HF_TOKEN or token=") and "hf_notAToken" not in message
    assert_short_traceback(caught.value)
    with pytest.raises(DistilabelUserError, match="refused the token"):
        PushToHub(repo_id="tester/anything", token="hf_notATokenTheHubKnows000000000").load()
    assert hub.repos == {}

    # With a good token, loading the step creates the repository, private when asked.
    PushToHub(repo_id="tester/made-by-load", private=True, token=HUB_TEST_TOKEN).load()
    assert list(hub.repos) == [("datasets", "tester/made-by-load")]
    assert hub.repos[("datasets", "tester/made-by-load")].private


def test_saved_distiset_card_reads_with_load_dataset(tmp_path: Path) -> None:
    distiset = Distiset()
    distiset["default"] = datasets.DatasetDict({"train": datasets.Dataset.from_list([{"a": 1}])})
    distiset["other"] = datasets.DatasetDict({"train": datasets.Dataset.from_list([{"b": 2}, {"b": 3}])})
    distiset.save_to_disk(tmp_path / "saved")
    metadata = read_metadata((tmp_path / "saved" / "README.md").read_text())
    assert metadata["configs"][1] == {"config_name": "other", "data_files": [{"split": "train", "path": "other/train/*.arrow"}]}
    assert datasets.load_dataset(str(tmp_path / "saved"), "other", split="train")["b"] == [2, 3]


def test_script_secrets_are_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "groq-value-from-the-environment")
    script = textwrap.dedent(
        """
        llm = OpenAILLM(model="gpt-4o", api_key="sk-abcdefghijklmnopqrstuvwx")
        headers = {"Authorization": "Bearer abc", "X-Token": 'plain-token-value'}
        key = "groq-value-from-the-environment"
        model_id = "meta-llama/Llama-3.1-8B-Instruct"
        token = "short"
        passed = "hf_" + "abc"
        """
    )
    scrubbed = scrub_secrets(script, ("my-own-secret-token",))
    assert 'api_key="**********"' in scrubbed
    assert "'**********'" in scrubbed and "plain-token-value" not in scrubbed
    assert 'key = "**********"' in scrubbed  # an environment secret's value
    assert 'model_id = "meta-llama/Llama-3.1-8B-Instruct"' in scrubbed  # not a secret
    assert 'token = "**********"' in scrubbed
    assert 'passed = "hf_" + "abc"' in scrubbed
    compile(scrubbed, "script.py", "exec")


def assert_short_traceback(error: BaseException) -> None:
    """What a user's terminal shows: one message line and no chain of library exceptions."""
    assert "\n" not in str(error)
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    shown = "".join(traceback.format_exception(error))
    assert "During handling of the above exception" not in shown
    assert len(shown.splitlines()) < 15, shown
