"""A loopback server that speaks Groq's chat API (`POST /openai/v1/chat/completions`).

Groq's API is OpenAI-shaped, so this reuses `OpenAIServer`'s chat logic
(deterministic "Echo: P" answers, markers, `json_schema` / `json_object`
response formats, whitespace token counts) under Groq's path, with Groq's
limits: `n` other than 1 and `logprobs` get a 400, like the real API.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiohttp import web

from tests.servers.faults import FailNextMixin
from tests.servers.openai_server import ApiError, OpenAIServer


class GroqServer(FailNextMixin, OpenAIServer):
    """Fake Groq API. `api_key` defaults to `"gsk-test"`.

    Config keys: those of `OpenAIServer` plus `fail_next` (int: answer the next
    N requests with `fail_all_status`).
    """

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {
        **OpenAIServer.DEFAULT_CONFIG,
        **FailNextMixin.FAIL_NEXT_CONFIG,
        "api_key": "gsk-test",
        "models": ["llama-3.3-70b-versatile", "llama-3.1-8b-instant"],
    }

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/openai/v1/chat/completions", self.handle_chat)]

    async def handle_chat(self, request: web.Request) -> web.Response:
        failure = self.take_failure()
        if failure is not None:
            return failure
        return await super().handle_chat(request)

    def chat_completion(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("n") not in (None, 1):
            raise ApiError(400, "'n' : number must be at most 1", param="n")
        if body.get("logprobs"):
            raise ApiError(
                400, "'logprobs' : this model does not support logprobs", param="logprobs"
            )
        return super().chat_completion(body)
