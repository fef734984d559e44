"""The ``distilabel`` command's additions: URLs, ``--script``, ``--dry-run``, ``--commit-message``,
``--version``, the values ``pipeline info`` shows, and ``DISTILABEL_LOG_LEVEL``.

URLs are served by a loopback HTTP server (``FileServer``, built on the provider
servers' base).
"""

from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from aiohttp import web
from typer.testing import CliRunner

from distilabel import __version__
from distilabel.cli.app import app
from distilabel.distiset import Distiset
from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts, Step, StepInput
from distilabel.steps.tasks import TextGeneration
from tests.servers.base import LoopbackServer
from tests.servers.openai_server import OpenAIServer
from tests.unit.pipeline.fakes import EchoAsyncLLM

FIXTURES_1_5 = Path(__file__).parent.parent.parent / "fixtures" / "pipelines_1_5"
# This module's own name as pytest imports it (for ChattyStep in a dump).
ALLOW = ["--allowed-module", "tests.unit.pipeline.fakes", "--allowed-module", __name__]


class FileServer(LoopbackServer):
    """Serves ``files`` (name -> bytes) at ``/files/<name>``; anything else is a 404."""

    def __init__(self, files: Dict[str, bytes]) -> None:
        super().__init__()
        self.files = files

    def routes(self) -> List[web.RouteDef]:
        return [web.get("/files/{name}", self._serve)]

    async def _serve(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404, text="no such file")
        return web.Response(body=self.files[name])

    def file_url(self, name: str) -> str:
        return f"{self.url}/files/{name}"


class ChattyStep(Step):
    """Logs one DEBUG and one INFO line per batch."""

    @property
    def inputs(self) -> List[str]:
        return ["instruction"]

    def process(self, inputs: StepInput) -> Any:
        self._logger.debug("chatty debug line")
        self._logger.info("chatty info line")
        yield inputs


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DISTILABEL_LOG_LEVEL", raising=False)


def _echo_pipeline_file(path: Path, rows: int = 1) -> Path:
    with Pipeline(name="cli-additions") as pipeline:
        load = LoadDataFromDicts(name="load", data=[{"instruction": f"hi {i}"} for i in range(rows)])
        load >> TextGeneration(name="text_generation", llm=EchoAsyncLLM())
    pipeline.save(path)
    return path


@pytest.fixture
def config_bytes(tmp_path: Path) -> bytes:
    return _echo_pipeline_file(tmp_path / "pipeline.yaml").read_bytes()


@pytest.fixture
def file_server(config_bytes: bytes) -> Iterator[FileServer]:
    files = {
        "pipeline.yaml": config_bytes,
        "routing_1_5.yaml": (FIXTURES_1_5 / "routing_sample_n_steps.yaml").read_bytes(),
        "make_pipeline.py": SCRIPT.encode(),
    }
    with FileServer(files) as server:
        yield server


SCRIPT = '''
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM

with Pipeline(name="from-a-script") as my_pipeline:
    LoadDataFromDicts(data=[{"instruction": "from the script"}]) >> TextGeneration(llm=EchoAsyncLLM())

if __name__ == "__main__":
    raise SystemExit("the script's __main__ block must not run")
'''


def _invoke(args: List[str], **kwargs: Any) -> Any:
    return CliRunner().invoke(app, args, **kwargs)


# --- --version -------------------------------------------------------------------------------------


def test_version() -> None:
    result = _invoke(["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"distilabel {__version__}"


# --- --config URL ------------------------------------------------------------------------------------


def test_config_from_a_url_runs(file_server: FileServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _invoke(
        ["pipeline", "run", "--config", file_server.file_url("pipeline.yaml"), *ALLOW, "--output-dir", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert Distiset.load_from_disk(out)["default"]["train"]["generation"] == ["Echo: hi 0"]
    assert file_server.stats()["by_path"] == {"/files/pipeline.yaml": 1}


def test_config_url_errors_are_one_line(file_server: FileServer) -> None:
    missing = _invoke(["pipeline", "run", "--config", file_server.file_url("gone.yaml")])
    assert missing.exit_code == 2
    assert "HTTP 404" in missing.output and "Traceback" not in missing.output
    not_a_dump = _invoke(["pipeline", "run", "--config", file_server.file_url("make_pipeline.py")])
    assert not_a_dump.exit_code == 2
    assert "must end with .json or .yaml or .yml" in not_a_dump.output


def test_a_1_5_file_from_a_url_runs(file_server: FileServer, openai_env: OpenAIServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    base_url = openai_env.url + "/v1"
    params = ["--param", f"load_data_from_file_system_0.data_files={FIXTURES_1_5 / 'instructions.jsonl'}"]
    for i in range(3):
        params += ["--param", f"text_generation_{i}.llm.base_url={base_url}"]
    result = _invoke(
        ["pipeline", "run", "--config", file_server.file_url("routing_1_5.yaml"), *params, "--output-dir", str(out)]
    )
    assert result.exit_code == 0, result.output
    grouped = Distiset.load_from_disk(out)["default"]["train"]["grouped_generation"]
    assert len(grouped) == 6 and all(len(pair) == 2 and pair[0].startswith("Echo: ") for pair in grouped)


def test_info_reads_a_url(file_server: FileServer) -> None:
    result = _invoke(["pipeline", "info", "--config", file_server.file_url("pipeline.yaml"), *ALLOW])
    assert result.exit_code == 0, result.output
    assert "load (LoadDataFromDicts) -> text_generation" in result.output


# --- --script ----------------------------------------------------------------------------------------


def test_script_file_runs_its_pipeline_variable(tmp_path: Path) -> None:
    script = tmp_path / "make_pipeline.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out"
    result = _invoke(
        ["pipeline", "run", "--script", str(script), "--pipeline-variable-name", "my_pipeline", "--output-dir", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert Distiset.load_from_disk(out)["default"]["train"]["generation"] == ["Echo: from the script"]


def test_script_with_another_variable_name_says_which_it_has(tmp_path: Path) -> None:
    script = tmp_path / "make_pipeline.py"
    script.write_text(SCRIPT)
    result = _invoke(["pipeline", "run", "--script", str(script)])
    assert result.exit_code == 2
    assert "no variable 'pipeline'" in result.output and "It defines my_pipeline" in result.output


def test_script_url_asks_before_running(file_server: FileServer, tmp_path: Path) -> None:
    url = file_server.file_url("make_pipeline.py")
    args = ["pipeline", "run", "--script", url, "--pipeline-variable-name", "my_pipeline"]
    declined = _invoke(args, input="n\n")
    assert declined.exit_code == 0
    assert "Not running the script." in declined.output and "Echo: from the script" not in declined.output
    out = tmp_path / "out"
    accepted = _invoke([*args, "--output-dir", str(out)], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert Distiset.load_from_disk(out)["default"]["train"]["generation"] == ["Echo: from the script"]
    without_asking = _invoke([*args, "--yes"])
    assert without_asking.exit_code == 0, without_asking.output
    assert "Continue?" not in without_asking.output


def test_config_or_script_but_not_both(tmp_path: Path) -> None:
    config = _echo_pipeline_file(tmp_path / "pipeline.yaml")
    script = tmp_path / "s.py"
    script.write_text(SCRIPT)
    for args in ([], ["--config", str(config), "--script", str(script)]):
        result = _invoke(["pipeline", "run", *args])
        assert result.exit_code == 2
        assert "Pass one of --config" in result.output


# --- --dry-run, --commit-message ---------------------------------------------------------------------------


def test_dry_run_runs_one_row_and_saves_nothing(tmp_path: Path) -> None:
    config = _echo_pipeline_file(tmp_path / "pipeline.yaml", rows=3)
    out = tmp_path / "out"
    result = _invoke(["pipeline", "run", "--config", str(config), *ALLOW, "--dry-run", "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert "num_rows: 1" in result.output
    assert "Dry run: nothing saved or pushed." in result.output
    assert not out.exists()


def test_commit_message_reaches_push_to_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: List[Dict[str, Any]] = []

    def push_to_hub(self: Distiset, repo_id: str, **kwargs: Any) -> None:
        calls.append({"repo_id": repo_id, "rows": len(self["default"]["train"]), **kwargs})

    monkeypatch.setattr(Distiset, "push_to_hub", push_to_hub)
    config = _echo_pipeline_file(tmp_path / "pipeline.yaml")
    args = ["pipeline", "run", "--config", str(config), *ALLOW, "--repo-id", "me/data", "--token", "hf_x"]
    result = _invoke([*args, "--commit-message", "First synthetic batch", "--private"])
    assert result.exit_code == 0, result.output
    result = _invoke(args)
    assert result.exit_code == 0, result.output
    assert calls == [
        {"repo_id": "me/data", "rows": 1, "private": True, "token": "hf_x", "commit_message": "First synthetic batch"},
        {"repo_id": "me/data", "rows": 1, "private": False, "token": "hf_x"},
    ]


# --- pipeline info: values without secrets -----------------------------------------------------------


def test_info_shows_current_values_without_secrets(tmp_path: Path) -> None:
    with Pipeline(name="info-values") as pipeline:
        load = LoadDataFromDicts(name="load", data=[{"instruction": "hi"}], batch_size=8)
        llm = OpenAILLM(
            model="gpt-4o",
            base_url="http://127.0.0.1:9/v1",
            api_key="sk-very-secret-key-123",
            default_headers={"Authorization": "Bearer sk-header-secret-456"},
            generation_kwargs={"temperature": 0.7, "max_new_tokens": 128},
        )
        load >> TextGeneration(name="text_generation", llm=llm, system_prompt="Be brief.", input_batch_size=4)
    path = tmp_path / "pipeline.yaml"
    pipeline.save(path)
    result = _invoke(["pipeline", "info", "--config", str(path)])
    assert result.exit_code == 0, result.output
    output = result.output
    values = output[output.index("Values") : output.index("Runtime parameters:")]
    for line in (
        "  text_generation (TextGeneration):",
        "    input_batch_size: 4",
        "    system_prompt: Be brief.",
        "    llm (OpenAILLM):",
        "      model: gpt-4o",
        "      base_url: http://127.0.0.1:9/v1",
        "      generation_kwargs:",
        "        temperature: 0.7",
        "        max_new_tokens: 128",
        "    batch_size: 8",
    ):
        assert line in values.splitlines(), (line, values)
    assert "sk-very-secret" not in output and "sk-header-secret" not in output


# --- DISTILABEL_LOG_LEVEL ----------------------------------------------------------------------------------


def _chatty_pipeline_file(path: Path) -> Path:
    with Pipeline(name="chatty") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "hi"}]) >> ChattyStep(name="chatty")
    pipeline.save(path)
    return path


@pytest.mark.parametrize(
    ("level", "debug_logged", "info_logged"),
    [("DEBUG", True, True), (None, False, True), ("warning", False, False)],
)
def test_log_level_from_the_environment(
    level: Any, debug_logged: bool, info_logged: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if level is not None:
        monkeypatch.setenv("DISTILABEL_LOG_LEVEL", level)
    config = _chatty_pipeline_file(tmp_path / "pipeline.yaml")
    out = tmp_path / "out"
    result = _invoke(["pipeline", "run", "--config", str(config), *ALLOW, "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    log = (out / "pipeline.log").read_text()
    assert ("chatty debug line" in log) is debug_logged
    assert ("chatty info line" in log) is info_logged


def test_an_unknown_log_level_warns_and_logs_at_info(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTILABEL_LOG_LEVEL", "CHATTY")
    with Pipeline(name="chatty", cache_dir=tmp_path / "c") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "hi"}]) >> ChattyStep(name="chatty")
    with pytest.warns(UserWarning, match="Invalid DISTILABEL_LOG_LEVEL='CHATTY'"):
        distiset = pipeline.run()
    log = Path(distiset.log_filename_path).read_text()
    assert "chatty info line" in log and "chatty debug line" not in log
    assert list(distiset["default"]["train"]["instruction"]) == ["hi"]
