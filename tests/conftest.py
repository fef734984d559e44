"""Fixtures shared by every test directory."""

from typing import Iterator

import pytest

from tests.servers.openai_server import OpenAIServer

OPENAI_TEST_KEY = "sk-test"


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A loopback OpenAI server in this process, stopped after the test."""
    with OpenAIServer(api_key=OPENAI_TEST_KEY) as server:
        yield server


@pytest.fixture
def openai_env(openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> OpenAIServer:
    """Point ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` at the loopback server, as a user would."""
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url + "/v1")
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_TEST_KEY)
    return openai_server


@pytest.fixture(autouse=True)
def _no_real_provider_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's real keys or endpoints."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _cache_dir_outside_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipeline without ``cache_dir`` (e.g. one loaded from a file) never writes to ~/.cache/distilabel.

    A test that sets ``DISTILABEL_CACHE_DIR`` itself replaces this one.
    """
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path_factory.mktemp("distilabel-cache")))
