"""What each provider's SDK puts on the wire for a message with an image.

`TextGenerationWithImage` builds one user message whose content is OpenAI-style parts
(`{"type": "text"}` and `{"type": "image_url"}`); each LLM that takes images sends them
the way its API wants, through its real SDK, to a loopback server that records the
request:

- OpenAI (and servers speaking its API): the parts as they are.
- Anthropic: `{"type": "image", "source": {"type": "base64", "media_type", "data"}}`
  blocks, or `{"type": "url"}` sources.
- Gemini / Vertex AI (google-genai): `inlineData` parts (base64 bytes and their MIME
  type), or `fileData` for URLs.
- Inference Endpoints / TGI (huggingface_hub's `chat_completion`): the parts as they are.
- Ollama: the text as `content` and the images as bare base64 in `images`.

Each test checks that the image's bytes arrive intact, with the right media type.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple

import pytest

from distilabel.models.llms import (
    AnthropicLLM,
    InferenceEndpointsLLM,
    OllamaLLM,
    OpenAILLM,
    VertexAILLM,
)
from distilabel.steps.tasks import TextGenerationWithImage
from tests.servers.anthropic_server import AnthropicServer
from tests.servers.base import LoopbackServer
from tests.servers.gemini_server import GeminiServer
from tests.servers.images import prompt_png
from tests.servers.ollama_server import OllamaServer
from tests.servers.openai_server import OpenAIServer
from tests.servers.tgi_server import TGIServer

PIL = pytest.importorskip("PIL.Image")

# google-genai subclasses aiohttp.ClientSession, which aiohttp warns about; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning")

PNG = prompt_png("on the wire", 6, 4)
PNG_B64 = base64.b64encode(PNG).decode()
URL = "https://images.example.com/photos/cat.png?size=large"
QUESTION = "What is in this picture?"

Sent = Tuple[str, Any]  # ("bytes", (media_type, bytes)) or ("url", (url, media_type or None))


def _b64(data: str) -> bytes:
    # google-genai sends bytes URL-safe; both alphabets are valid base64 for Google's JSON.
    return base64.urlsafe_b64decode(data.replace("+", "-").replace("/", "_") + "=" * (-len(data) % 4))


def _openai_parts(message: Dict[str, Any]) -> Tuple[str, Sent]:
    text, image = message["content"]
    assert text == {"type": "text", "text": QUESTION}
    assert image["type"] == "image_url" and set(image) == {"type", "image_url"}
    url = image["image_url"]["url"]
    if url.startswith("data:"):
        header, data = url.split(",", 1)
        return text["text"], ("bytes", (header[5:].removesuffix(";base64"), base64.b64decode(data)))
    return text["text"], ("url", (url, None))


class Provider:
    """How to build one provider's LLM against its loopback server, and read what it sent."""

    name: str
    server_cls: type
    api_key: Optional[str]
    path: str

    def make(self, server: LoopbackServer) -> Any:
        raise NotImplementedError

    def sent(self, body: Dict[str, Any]) -> Tuple[str, Sent]:
        """The question text and the image of the request's last user message."""
        raise NotImplementedError


class OpenAIProvider(Provider):
    name, server_cls, api_key, path = "openai", OpenAIServer, "sk-test", "/v1/chat/completions"

    def make(self, server: LoopbackServer) -> Any:
        return OpenAILLM(model="gpt-4o-mini", base_url=server.url + "/v1", api_key=self.api_key)

    def sent(self, body: Dict[str, Any]) -> Tuple[str, Sent]:
        assert body["messages"][0] == {"role": "system", "content": "Answer briefly."}
        return _openai_parts(body["messages"][-1])


class AnthropicProvider(Provider):
    name, server_cls, api_key, path = "anthropic", AnthropicServer, "sk-ant-test", "/v1/messages"

    def make(self, server: LoopbackServer) -> Any:
        return AnthropicLLM(model="claude-from-the-future-9", base_url=server.url, api_key=self.api_key)

    def sent(self, body: Dict[str, Any]) -> Tuple[str, Sent]:
        assert body["system"] == "Answer briefly."
        text, image = body["messages"][-1]["content"]
        assert text == {"type": "text", "text": QUESTION} and image["type"] == "image"
        source = image["source"]
        if source["type"] == "base64":
            assert set(source) == {"type", "media_type", "data"}
            return text["text"], ("bytes", (source["media_type"], base64.b64decode(source["data"])))
        assert source == {"type": "url", "url": source["url"]}
        return text["text"], ("url", (source["url"], None))


class GeminiProvider(Provider):
    name, server_cls, api_key, path = "vertexai", GeminiServer, "gemini-test-key", ":generateContent"

    def make(self, server: LoopbackServer) -> Any:
        return VertexAILLM(model="gemini-from-the-future-9-pro", base_url=server.url, api_key=self.api_key, vertexai=False)

    def sent(self, body: Dict[str, Any]) -> Tuple[str, Sent]:
        assert body["systemInstruction"]["parts"] == [{"text": "Answer briefly."}]
        [content] = body["contents"]
        assert content["role"] == "user"
        text, image = content["parts"]
        assert text == {"text": QUESTION}
        if "inlineData" in image:
            blob = image["inlineData"]
            media_type = blob.get("mimeType", blob.get("mime_type"))
            return text["text"], ("bytes", (media_type, _b64(blob["data"])))
        file = image["fileData"]
        return text["text"], ("url", (file.get("fileUri", file.get("file_uri")), file.get("mimeType", file.get("mime_type"))))


class TGIProvider(Provider):
    name, server_cls, api_key, path = "inference-endpoints", TGIServer, "hf_test_token", "/v1/chat/completions"

    def make(self, server: LoopbackServer) -> Any:
        return InferenceEndpointsLLM(base_url=server.url, api_key=self.api_key)

    def sent(self, body: Dict[str, Any]) -> Tuple[str, Sent]:
        assert body["messages"][0] == {"role": "system", "content": "Answer briefly."}
        return _openai_parts(body["messages"][-1])


class OllamaProvider(Provider):
    name, server_cls, api_key, path = "ollama", OllamaServer, None, "/api/chat"

    def make(self, server: LoopbackServer) -> Any:
        return OllamaLLM(model="llava-from-the-future", host=server.url)

    def sent(self, body: Dict[str, Any]) -> Tuple[str, Sent]:
        message = body["messages"][-1]
        assert message["role"] == "user"
        [image] = message["images"]
        data = base64.b64decode(image)  # bare base64, no data: prefix
        return message["content"], ("bytes", (None, data))


PROVIDERS = [OpenAIProvider(), AnthropicProvider(), GeminiProvider(), TGIProvider(), OllamaProvider()]


@pytest.fixture(params=PROVIDERS, ids=lambda p: p.name)
def provider(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Tuple[Provider, LoopbackServer]]:
    spec: Provider = request.param
    if spec.name == "inference-endpoints":
        import huggingface_hub.constants

        monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)
    with spec.server_cls(api_key=spec.api_key) as server:
        yield spec, server


def ask(provider: Tuple[Provider, LoopbackServer], image: Any, image_type: str) -> Tuple[Dict[str, Any], Tuple[str, Sent]]:
    spec, server = provider
    task = TextGenerationWithImage(name="look", llm=spec.make(server), image_type=image_type, system_prompt="Answer briefly.")
    task.load()
    try:
        [row] = next(task.process([{"instruction": QUESTION, "image": image}]))
    finally:
        task.unload()
    [record] = [r for r in server.requests() if r["path"].endswith(spec.path)]
    return row, spec.sent(record["json"])


def test_base64_png_arrives_intact(provider: Tuple[Provider, LoopbackServer]) -> None:
    row, (text, (kind, (media_type, data))) = ask(provider, PNG_B64, "base64")
    assert "error_look" not in row["distilabel_metadata"], row["distilabel_metadata"]
    assert row["generation"] == f"Echo: {QUESTION}"
    assert text == QUESTION and kind == "bytes" and data == PNG
    # The media type is read from the bytes, not assumed to be JPEG (Ollama sends none).
    assert media_type in ("image/png", None) and (media_type is None) == (provider[0].name == "ollama")


def test_pil_image_goes_as_jpeg(provider: Tuple[Provider, LoopbackServer]) -> None:
    picture = PIL.new("RGB", (7, 5), (200, 30, 90))
    row, (_, (kind, (media_type, data))) = ask(provider, picture, "PIL")
    assert row["generation"] == f"Echo: {QUESTION}"
    assert kind == "bytes" and media_type in ("image/jpeg", None)
    sent = PIL.open(io.BytesIO(data))
    assert (sent.format, sent.size) == ("JPEG", (7, 5))
    assert all(abs(a - b) <= 8 for a, b in zip(sent.getpixel((3, 2)), (200, 30, 90), strict=True))


URL_PROVIDERS = [p for p in PROVIDERS if p.name != "ollama"]  # Ollama's API takes no image URLs


@pytest.mark.parametrize("provider", URL_PROVIDERS, ids=lambda p: p.name, indirect=True)
def test_image_url_is_sent_as_a_url(provider: Tuple[Provider, LoopbackServer]) -> None:
    row, (_, (kind, (url, media_type))) = ask(provider, URL, "url")
    assert row["generation"] == f"Echo: {QUESTION}"
    assert (kind, url) == ("url", URL)
    if provider[0].name == "vertexai":
        assert media_type == "image/png"  # Gemini needs the type: guessed from the URL


def test_data_url_keeps_its_declared_type(provider: Tuple[Provider, LoopbackServer]) -> None:
    gif = io.BytesIO()
    PIL.new("P", (3, 3)).save(gif, format="GIF")
    data_url = "data:image/gif;base64," + base64.b64encode(gif.getvalue()).decode()
    _, (_, (kind, (media_type, data))) = ask(provider, data_url, "url")
    assert kind == "bytes" and data == gif.getvalue() and media_type in ("image/gif", None)

