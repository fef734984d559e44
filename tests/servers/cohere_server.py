"""A loopback server that speaks Cohere's Chat API v2 (`POST /v2/chat`).

Answers are deterministic: the text of the last user message `P` is answered
with `reply_template.format(prompt=P)` (default `"Echo: P"`); `stop_sequences`
cut it and `max_tokens` truncates it to that many whitespace tokens
(finish_reason `"MAX_TOKENS"`). A `response_format` of type `json_object`
answers JSON: with a `json_schema`, a value that validates against it; without
one, `{"answer": ...}`. Token counts are whitespace-token counts.

Like the real API, unknown request fields, `stream: true`, an empty
conversation and out-of-range sampling parameters get a 400; errors have
Cohere's `{"id", "message"}` body.

Markers in the last user message (see `openai_server.parse_markers`):
`[[status:NNN]]`, `[[empty]]`, `[[sleep:S]]`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

from aiohttp import web

from tests.servers.base import JSON_KEY, LoopbackServer
from tests.servers.faults import FailNextMixin
from tests.servers.openai_server import (
    apply_stop,
    count_tokens,
    instance_for_schema,
    parse_markers,
    truncate_tokens,
)

_KNOWN_FIELDS = frozenset(
    {
        "model",
        "messages",
        "tools",
        "strict_tools",
        "documents",
        "citation_options",
        "response_format",
        "safety_mode",
        "max_tokens",
        "stop_sequences",
        "temperature",
        "seed",
        "frequency_penalty",
        "presence_penalty",
        "k",
        "p",
        "logprobs",
        "tool_choice",
        "thinking",
        "priority",
        "stream",
    }
)
_RANGES = (
    ("temperature", 0.0, 5.0),
    ("p", 0.01, 0.99),
    ("k", 0, 500),
    ("frequency_penalty", 0.0, 1.0),
    ("presence_penalty", 0.0, 1.0),
)


class CohereError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    if content is None:
        return ""
    raise CohereError(
        400, "invalid request: message content must be a string or a list of content blocks"
    )


class CohereServer(FailNextMixin, LoopbackServer):
    """Fake Cohere API. `api_key` defaults to `"co-test"`.

    Config keys besides the base ones: `reply_template` (str) and `fail_next`
    (int: answer the next N requests with `fail_all_status`).
    """

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {
        **LoopbackServer.DEFAULT_CONFIG,
        **FailNextMixin.FAIL_NEXT_CONFIG,
        "api_key": "co-test",
        "reply_template": "Echo: {prompt}",
    }

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v2/chat", self.handle_chat)]

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        return {"id": str(uuid.uuid4()), "message": message}

    def auth_error_body(self, request: web.Request) -> dict[str, Any]:
        return self.error_body(401, "invalid api token")

    async def handle_chat(self, request: web.Request) -> web.Response:
        failure = self.take_failure()
        if failure is not None:
            return failure
        try:
            body = request.get(JSON_KEY)
            if not isinstance(body, dict):
                raise CohereError(400, "invalid request: the body must be a JSON object")
            return web.json_response(self.chat(body))
        except CohereError as err:
            return self.json_error(err.status, err.message)

    def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        """The v2 chat response answering `body`."""
        unknown = sorted(set(body) - _KNOWN_FIELDS)
        if unknown:
            raise CohereError(
                400, f"invalid request: unknown field: parameter {unknown[0]} is not a valid field"
            )
        if not isinstance(body.get("model"), str) or not body["model"]:
            raise CohereError(400, "invalid request: model must be a non-empty string")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise CohereError(400, "invalid request: messages must not be empty")
        for message in messages:
            if not isinstance(message, dict) or message.get("role") not in (
                "system",
                "user",
                "assistant",
                "tool",
            ):
                raise CohereError(
                    400,
                    "invalid request: each message needs a role of system, user, assistant or tool",
                )
        if body.get("stream"):
            raise CohereError(
                400, "invalid request: stream is not supported by the loopback server"
            )
        for name, lo, hi in _RANGES:
            value = body.get(name)
            if value is not None and not (isinstance(value, (int, float)) and lo <= value <= hi):
                raise CohereError(400, f"invalid request: {name} must be between {lo} and {hi}")
        max_tokens = body.get("max_tokens")
        if max_tokens is not None and not (isinstance(max_tokens, int) and max_tokens >= 1):
            raise CohereError(400, "invalid request: max_tokens must be a positive integer")
        stops = body.get("stop_sequences") or []
        if len(stops) > 5:
            raise CohereError(400, "invalid request: stop_sequences can have at most 5 entries")

        prompt = next(
            (_text(m.get("content")) for m in reversed(messages) if m["role"] == "user"), ""
        )
        markers = parse_markers(prompt)
        if markers.status is not None:
            raise CohereError(
                markers.status, f"Simulated error {markers.status} (requested by marker)."
            )
        answer = "" if markers.empty else self.config["reply_template"].format(prompt=prompt)

        finish = "COMPLETE"
        response_format = body.get("response_format")
        if isinstance(response_format, dict) and response_format.get("type") == "json_object":
            schema = response_format.get("json_schema")
            answer = json.dumps(
                instance_for_schema(schema, answer) if schema else {"answer": answer}
            )
        elif response_format is not None and not (
            isinstance(response_format, dict) and response_format.get("type") == "text"
        ):
            raise CohereError(
                400, "invalid request: response_format.type must be 'text' or 'json_object'"
            )
        else:
            cut = apply_stop(answer, stops)
            if cut != answer:
                answer, finish = cut, "STOP_SEQUENCE"
            if max_tokens is not None:
                answer, truncated = truncate_tokens(answer, max_tokens)
                if truncated:
                    finish = "MAX_TOKENS"

        input_tokens = sum(count_tokens(_text(m.get("content"))) for m in messages)
        output_tokens = count_tokens(answer)
        usage = {"input_tokens": input_tokens, "output_tokens": output_tokens}
        return {
            "id": str(uuid.uuid4()),
            "finish_reason": finish,
            "message": {
                "role": "assistant",
                "content": [{"type": "text", "text": answer}] if answer else [],
            },
            "usage": {"billed_units": dict(usage), "tokens": dict(usage)},
        }
