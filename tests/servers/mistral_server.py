"""A loopback server that speaks Mistral AI's chat API (`POST /v1/chat/completions`).

Mistral's chat API is OpenAI-shaped, so this reuses `OpenAIServer`'s chat logic
(deterministic "Echo: P" answers with " [i]" for choice i > 0, markers, `n`,
`json_schema` / `json_object` response formats, logprobs, whitespace token
counts) with Mistral's differences: error bodies are
`{"object": "error", "message", "type", "param", "code"}`, logprob tokens carry
a `token_id`, fields Mistral does not know (`max_completion_tokens`,
`logit_bias`, `seed`, ...) get a 422 like the real API, and `random_seed` is
accepted.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from aiohttp import web

from tests.servers.faults import FailNextMixin
from tests.servers.openai_server import ApiError, OpenAIServer

_KNOWN_FIELDS = frozenset(
    {
        "model",
        "messages",
        "temperature",
        "top_p",
        "max_tokens",
        "stream",
        "stop",
        "random_seed",
        "response_format",
        "tools",
        "tool_choice",
        "presence_penalty",
        "frequency_penalty",
        "n",
        "logprobs",
        "top_logprobs",
        "safe_prompt",
        "prediction",
        "parallel_tool_calls",
        "metadata",
    }
)


def mistral_error_body(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    if status == 401:
        return {"message": "Unauthorized", "request_id": uuid.uuid4().hex}
    if status == 422:  # request validation errors have FastAPI's shape
        return {
            "detail": [
                {
                    "type": "value_error",
                    "loc": ["body", code or "body"],
                    "msg": message,
                    "input": None,
                }
            ]
        }
    kind = "invalid_request_error" if status < 500 else "internal_server_error"
    if status == 429:
        kind = "rate_limited"
    return {"object": "error", "message": message, "type": kind, "param": None, "code": code}


class MistralServer(FailNextMixin, OpenAIServer):
    """Fake Mistral API. `api_key` defaults to `"mistral-test"`.

    Config keys: those of `OpenAIServer` plus `fail_next` (int: answer the next
    N requests with `fail_all_status`).
    """

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {
        **OpenAIServer.DEFAULT_CONFIG,
        **FailNextMixin.FAIL_NEXT_CONFIG,
        "api_key": "mistral-test",
        "models": ["mistral-large-latest", "mistral-small-latest"],
    }

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/chat/completions", self.handle_chat)]

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        return mistral_error_body(status, message, code)

    def auth_error_body(self, request: web.Request) -> dict[str, Any]:
        return mistral_error_body(401, "Unauthorized")

    def _error(self, err: ApiError) -> web.Response:
        return self.json_error(err.status, err.message, err.code)

    async def handle_chat(self, request: web.Request) -> web.Response:
        failure = self.take_failure()
        if failure is not None:
            return failure
        return await super().handle_chat(request)

    def chat_completion(self, body: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - _KNOWN_FIELDS)
        if unknown:
            raise ApiError(422, f"Extra inputs are not permitted: {unknown[0]}", code=unknown[0])
        body = {key: value for key, value in body.items() if key != "random_seed"}
        response = super().chat_completion(body)
        for choice in response["choices"]:
            choice["message"] = {
                "role": "assistant",
                "content": choice["message"]["content"],
                "tool_calls": None,
                "prefix": False,
            }
            if choice["finish_reason"] == "content_filter":
                choice["finish_reason"] = "error"
            for token in (choice.get("logprobs") or {}).get("content", []):
                token["token_id"] = abs(hash(token["token"])) % 32768
                for top in token.get("top_logprobs") or []:
                    top["token_id"] = abs(hash(top["token"])) % 32768
            if choice.get("logprobs") is not None:
                choice["logprobs"] = {"content": choice["logprobs"]["content"]}
        usage = response["usage"]
        response["usage"] = {
            key: usage[key] for key in ("prompt_tokens", "completion_tokens", "total_tokens")
        }
        response.pop("service_tier", None)
        response.pop("system_fingerprint", None)
        return response
