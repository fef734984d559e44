"""A template from a file cannot run code: TextGeneration's template and chat templates render in a sandbox."""

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from distilabel.cli.app import app
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM
from tests.unit.security.helpers import FAKES_MODULE, stored_rows

SRC = Path(__file__).resolve().parents[3] / "src" / "distilabel"


def payload(marker: Path) -> str:
    """A template that, rendered by a plain jinja2 Environment, creates ``marker`` with a shell command."""
    return "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}{{ instruction }}"


def save_payload_pipeline(tmp_path: Path, marker: Path) -> Path:
    with Pipeline(name="shared") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "hi"}, {"instruction": "there"}]) >> TextGeneration(
            name="tg", llm=EchoAsyncLLM(), template=payload(marker)
        )
    path = tmp_path / "pipeline.yaml"
    pipeline.save(path)
    assert "os.popen" in path.read_text()  # the file really carries the payload
    return path


def assert_rows_refused(cache_dir: Path) -> None:
    rows = stored_rows(cache_dir, "tg")
    assert [row["instruction"] for row in rows] == ["hi", "there"]
    for row in rows:
        assert row["generation"] is None
        error = row["distilabel_metadata"]["error_tg"]
        assert error.startswith("format_input failed: SecurityError: the template tried something the sandbox forbids")
        assert "__init__" in error and "unsafe" in error


def test_payload_in_pipeline_yaml_does_not_run_through_from_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(cache_dir))
    marker = tmp_path / "pwned"
    path = save_payload_pipeline(tmp_path, marker)

    distiset = Pipeline.from_yaml(path, allowed_modules=[FAKES_MODULE]).run(use_cache=False)

    assert not marker.exists(), "the template ran a shell command"
    assert distiset["default"]["train"]["generation"] == [None, None]
    assert_rows_refused(cache_dir)


def test_payload_in_pipeline_yaml_does_not_run_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(cache_dir))
    marker = tmp_path / "pwned"
    path = save_payload_pipeline(tmp_path, marker)

    result = CliRunner().invoke(
        app, ["pipeline", "run", "--config", str(path), "--allowed-module", FAKES_MODULE, "--ignore-cache"]
    )

    assert result.exit_code == 0, result.output
    assert not marker.exists(), "the template ran a shell command"
    assert_rows_refused(cache_dir)


def test_a_plain_template_still_renders_in_the_sandbox() -> None:
    task = TextGeneration(name="tg", llm=EchoAsyncLLM(), template="Q: {{ instruction | upper }} ({{ instruction | length }})")
    assert task.format_input({"instruction": "hi"}) == [{"role": "user", "content": "Q: HI (2)"}]


def _tiny_tokenizer(chat_template: str) -> Any:
    tokenizers = pytest.importorskip("tokenizers")
    transformers = pytest.importorskip("transformers")
    model = tokenizers.Tokenizer(tokenizers.models.WordLevel({"[UNK]": 0, "hi": 1}, unk_token="[UNK]"))
    model.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    return transformers.PreTrainedTokenizerFast(tokenizer_object=model, chat_template=chat_template)


def test_a_tokenizers_chat_template_renders_sandboxed(tmp_path: Path) -> None:
    from jinja2.exceptions import SecurityError

    from distilabel.models.llms.chat_templates import render_prompt

    chat = [{"role": "user", "content": "hi"}]
    honest = _tiny_tokenizer("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}")
    assert render_prompt(honest, chat) == "<user>hi"

    marker = tmp_path / "pwned"
    with pytest.raises(SecurityError, match="unsafe"):
        render_prompt(_tiny_tokenizer(payload(marker)), chat)
    assert not marker.exists()


def test_the_gguf_chat_template_renders_sandboxed(tmp_path: Path) -> None:
    """LlamaCppLLM renders the GGUF's own template with llama-cpp-python's Jinja2ChatFormatter."""
    pytest.importorskip("llama_cpp")
    from jinja2.exceptions import SecurityError
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    marker = tmp_path / "pwned"
    formatter = Jinja2ChatFormatter(payload(marker), eos_token="</s>", bos_token="<s>")
    with pytest.raises(SecurityError, match="unsafe"):
        formatter(messages=[{"role": "user", "content": "hi"}])
    assert not marker.exists()


def test_no_module_renders_jinja_outside_the_sandbox() -> None:
    """Every template the package renders goes through ``distilabel.utils.template``."""
    plain = re.compile(r"\b(?:jinja2\.)?(?:Native)?Environment\(|\bjinja2\.Template\(|\bfrom jinja2 import[^\n]*\bEnvironment\b")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path != SRC / "utils" / "template.py" and plain.search(path.read_text())
    ]
    assert offenders == []
