"""The run report as a file: written by every run, self-contained, escaped, redacted, capped."""

import json
import logging
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distilabel.cli.app import app
from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.pipeline import report as report_module
from distilabel.pipeline.report import build_report, write_report
from distilabel.pipeline.summary import DistilabelRunFailedError
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.e2e.interrupting import interrupt_a_run
from tests.report.runs import SCRIPT_BREAKER, run_pipeline
from tests.servers.openai_server import OpenAIServer
from tests.unit.pipeline.fakes import EchoAsyncLLM


def _embedded(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert match is not None
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_pipeline(tmp_path_factory.mktemp("runs"), 300)


def test_every_run_writes_a_self_contained_report(small_run: Path) -> None:
    page = (small_run / "report.html").read_text(encoding="utf-8")
    # Nothing to fetch: no external script, style, image or link.
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "http://" not in page and "https://" not in page
    assert "default-src 'none'" in page
    # The row holding "</script>" does not end the data early: only the two real closings.
    assert page.count("</script>") == 2
    assert SCRIPT_BREAKER not in page
    data = _embedded(page)
    leaf = data["leaves"][0]
    assert leaf["name"] == "text_generation_0" and leaf["total"] == 300 and len(leaf["rows"]) == 300
    instruction = leaf["columns"].index("instruction")
    assert leaf["rows"][3][instruction] == f"question 3 {SCRIPT_BREAKER}"
    assert leaf["rows"][299][leaf["columns"].index("generation")] == "Echo: question 299"
    assert leaf["columns"][-1] == "distilabel_metadata"
    # The summary and the failures by reason, with an example of each.
    assert "id='run-status'>finished<" in page
    assert "BadRequest (HTTP 400)" in page
    assert "<span class='count'>2</span>" in page  # rows 7 and 257 failed
    assert "the model refused &#x27;question 7 please fail&#x27;" in page


def test_a_failed_run_writes_its_report_too(tmp_path: Path) -> None:
    with Pipeline(name="all-fail", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": f"fail {i}"} for i in range(5)])
        load >> TextGeneration(llm=EchoAsyncLLM())
    with pytest.raises(DistilabelRunFailedError):
        pipeline.run(use_cache=False)
    page = (pipeline.run_dir / "report.html").read_text(encoding="utf-8")
    assert "id='run-status'>failed<" in page
    assert "The run made no usable data" in page
    assert "<span class='count'>5</span>" in page


def test_secrets_never_reach_the_report(tmp_path: Path) -> None:
    key = "sk-report-secret-0123456789"
    with OpenAIServer(api_key=key) as server:
        with Pipeline(name="with-key", cache_dir=tmp_path) as pipeline:
            load = LoadDataFromDicts(data=[{"instruction": f"hello {i}"} for i in range(3)])
            llm = OpenAILLM(model="gpt-4o-mini", base_url=server.url + "/v1", api_key=key)
            load >> TextGeneration(llm=llm)
        distiset = pipeline.run(use_cache=False)
    assert len(distiset["default"]["train"]) == 3
    page = (pipeline.run_dir / "report.html").read_text(encoding="utf-8")
    assert key not in page
    assert "gpt-4o-mini" in page and "OpenAILLM" in page  # the configuration is there, without the key


def test_the_embedded_rows_are_capped_and_the_page_says_so(small_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_module, "MAX_ROWS", 20)
    page = build_report(small_run)
    leaf = _embedded(page)["leaves"][0]
    assert leaf["total"] == 300 and leaf["embedded"] == 20 and len(leaf["rows"]) == 20
    assert "the first 20 of 300 rows are in this page" in page


def test_writing_the_report_never_fails_a_run(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    broken = tmp_path / "run"
    (broken / "steps" / "step" / "rows.jsonl").mkdir(parents=True)  # a folder where the rows should be
    (broken / "summary.json").write_text(json.dumps({"status": "finished", "leaves": {"step": 1}}))
    with caplog.at_level(logging.WARNING, logger="distilabel.pipeline"):
        assert write_report(broken) is None
    assert "Could not write the run report" in caplog.text
    assert not (broken / "report.html").exists()


def test_the_cli_writes_and_opens_the_report(small_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    output = tmp_path / "out.html"
    result = CliRunner().invoke(app, ["pipeline", "report", str(small_run), "--output", str(output), "--open"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(output)
    assert output.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert opened == [output.resolve().as_uri()]
    (small_run / "report.html").unlink()
    result = CliRunner().invoke(app, ["pipeline", "report", str(small_run)])
    assert result.exit_code == 0 and (small_run / "report.html").exists()
    result = CliRunner().invoke(app, ["pipeline", "report", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "is not a run folder" in result.output


def test_an_interrupted_run_writes_its_report_with_its_message(tmp_path: Path) -> None:
    run_dir = interrupt_a_run(tmp_path, rows=20000, stop_timeout=30).run_dir
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "id='run-status'>interrupted<" in page
    assert "Interrupted: " in page and "run the same command again to resume from them" in page
    rows = _embedded(page)["leaves"][0]
    assert rows["name"] == "generate" and 0 < rows["total"] < 20000
