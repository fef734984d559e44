"""A loopback server that speaks Ollama's HTTP API (`/api/chat`, `/api/generate`).

Answers are deterministic: a request whose last user message (chat) or prompt
(generate) is `P` answers `reply_template.format(prompt=P)` (default
`"Echo: P"`). `options.stop` cuts the answer, `options.num_predict` truncates it
to that many whitespace tokens (`done_reason` "length"). `format` is honoured:
`"json"` answers `{"answer": ...}`, a JSON schema answers an instance of it.
Token counts are whitespace-token counts.

The markers of `openai_server` work here too: `[[status:NNN]]` answers HTTP NNN
with Ollama's `{"error": ...}` body, `[[empty]]` an empty answer, `[[sleep:S]]`
waits S seconds.

Run standalone: `python -m tests.servers.ollama_server --port 0`.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, ClassVar

from aiohttp import web

from tests.servers.base import JSON_KEY, LoopbackServer
from tests.servers.faults import FailNextMixin
from tests.servers.openai_server import (
    ApiError,
    apply_stop,
    chat_logprobs,
    content_text,
    count_tokens,
    instance_for_schema,
    last_user_text,
    parse_markers,
    truncate_tokens,
)


class OllamaServer(FailNextMixin, LoopbackServer):
    """Fake Ollama server.

    Provider config keys (besides the base ones, see `LoopbackServer`):

    - `models` (list[str] | None): the models that exist; others get a 404 like
      Ollama's "model not found". None accepts any model.
    - `reply_template` (str): answer format, `{prompt}` is the user's text.

    `api_key` defaults to None (a local Ollama has no authentication); set it to
    check the `Authorization: Bearer` header the SDK sends from `OLLAMA_API_KEY`.
    """

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {
        **LoopbackServer.DEFAULT_CONFIG,
        **FailNextMixin.FAIL_NEXT_CONFIG,
        "models": None,
        "reply_template": "Echo: {prompt}",
    }

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/chat", self.handle_chat),
            web.post("/api/generate", self.handle_generate),
            web.get("/api/version", self.handle_version),
        ]

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        return {"error": message}

    def auth_error_body(self, request: web.Request) -> dict[str, Any]:
        return {"error": "unauthorized"}

    # ------------------------------------------------------------ handlers

    async def handle_version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "0.0.0-loopback"})

    async def handle_chat(self, request: web.Request) -> web.Response:
        return await self._answer(request, chat=True)

    async def handle_generate(self, request: web.Request) -> web.Response:
        return await self._answer(request, chat=False)

    async def _answer(self, request: web.Request, chat: bool) -> web.Response:
        failure = self.take_failure()
        if failure is not None:
            return failure
        try:
            body = request.get(JSON_KEY)
            if not isinstance(body, dict):
                raise ApiError(400, "invalid request body")
            prompt, prompt_tokens = self._prompt(body, chat)
            markers = parse_markers(prompt)
            if markers.sleep:
                await asyncio.sleep(markers.sleep)
            if markers.status is not None:
                raise ApiError(
                    markers.status, f"Simulated error {markers.status} (requested by marker)."
                )
            return web.json_response(
                self._response(body, chat, prompt, prompt_tokens, markers.empty)
            )
        except ApiError as err:
            return self.json_error(err.status, err.message)

    def _prompt(self, body: dict[str, Any], chat: bool) -> tuple[str, int]:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise ApiError(400, "model is required")
        models = self.config["models"]
        if models is not None and model not in models:
            raise ApiError(404, f"model '{model}' not found")
        if body.get("stream") is not False:
            raise ApiError(400, "the loopback server only answers stream=false requests")
        if chat:
            messages = body.get("messages")
            if not isinstance(messages, list) or not all(
                isinstance(m, dict) and "role" in m for m in messages
            ):
                raise ApiError(400, "messages must be a list of {role, content} objects")
            return last_user_text(messages), sum(
                count_tokens(content_text(m.get("content"))) for m in messages
            )
        prompt = body.get("prompt")
        if not isinstance(prompt, str):
            raise ApiError(400, "prompt must be a string")
        return prompt, count_tokens(prompt)

    def _response(
        self, body: dict[str, Any], chat: bool, prompt: str, prompt_tokens: int, empty: bool
    ) -> dict[str, Any]:
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise ApiError(400, "options must be an object")
        text = (
            ""
            if empty
            else _render(body.get("format"), self.config["reply_template"].format(prompt=prompt))
        )
        stops = options.get("stop") or []
        if stops:
            text = apply_stop(text, list(stops))
        done_reason = "stop"
        num_predict = options.get("num_predict")
        if isinstance(num_predict, int) and num_predict >= 0:
            text, truncated = truncate_tokens(text, num_predict)
            done_reason = "length" if truncated else "stop"
        response: dict[str, Any] = {
            "model": body["model"],
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()),
            "done": True,
            "done_reason": done_reason,
            "total_duration": 1_000_000,
            "load_duration": 1_000,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": 1_000,
            "eval_count": count_tokens(text),
            "eval_duration": 1_000,
        }
        if chat:
            response["message"] = {"role": "assistant", "content": text}
        else:
            response["response"] = text
            response["context"] = [1, 2, 3]
        if body.get("logprobs"):
            top = body.get("top_logprobs") or 0
            response["logprobs"] = [
                {
                    "token": entry["token"],
                    "logprob": entry["logprob"],
                    "top_logprobs": [
                        {"token": t["token"], "logprob": t["logprob"]}
                        for t in entry["top_logprobs"]
                    ],
                }
                for entry in chat_logprobs(text, top)["content"]
            ]
        return response


def _render(fmt: Any, answer: str) -> str:
    """The answer in the requested `format`."""
    if fmt in (None, ""):
        return answer
    if fmt == "json":
        return json.dumps({"answer": answer})
    if isinstance(fmt, dict):
        try:
            return json.dumps(instance_for_schema(fmt, answer))
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ApiError(400, f"invalid JSON schema in format: {exc}") from None
    raise ApiError(400, f"invalid format: {fmt!r}")


if __name__ == "__main__":
    OllamaServer.main()
