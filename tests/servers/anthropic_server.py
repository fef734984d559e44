"""A loopback server that speaks Anthropic's Messages API (`POST /v1/messages`).

Answers are deterministic: the text of the last user message `P` is answered
with `reply_template.format(prompt=P)` (default `"Echo: P"`); `stop_sequences`
cut it and `max_tokens` truncates it to that many whitespace tokens
(stop_reason `"max_tokens"`). With `tools` and a forced `tool_choice`, the
answer is a `tool_use` block whose `input` validates against the tool's
`input_schema`. Token counts are whitespace-token counts.

Like the real API, the server rejects unknown top-level fields (so `n` is a
400), `system` messages inside `messages`, a missing `anthropic-version`
header and out-of-range sampling parameters.

Markers in the last user message (see `openai_server.parse_markers`):
`[[status:NNN]]`, `[[empty]]`, `[[sleep:S]]`.

Run standalone: `python -c "from tests.servers.anthropic_server import AnthropicServer as S; S.main()"`.
"""

from __future__ import annotations

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

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
_KNOWN_FIELDS = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "system",
        "stop_sequences",
        "temperature",
        "top_p",
        "top_k",
        "tools",
        "tool_choice",
        "metadata",
        "stream",
        "thinking",
        "service_tier",
    }
)


class AnthropicError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def anthropic_error_body(status: int, message: str) -> dict[str, Any]:
    """The body Anthropic sends with a non-2xx status."""
    kind = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": f"req_{uuid.uuid4().hex[:24]}",
    }


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            block.get("text", "")
            for block in content
            if isinstance(block, dict) and block.get("type") == "text"
        )
    raise AnthropicError(400, "messages: content must be a string or a list of content blocks")


class AnthropicServer(FailNextMixin, LoopbackServer):
    """Fake Anthropic API. `api_key` defaults to `"sk-ant-test"`.

    Config keys besides the base ones: `reply_template` (str) and `fail_next`
    (int: answer the next N requests with `fail_all_status`).
    """

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {
        **LoopbackServer.DEFAULT_CONFIG,
        **FailNextMixin.FAIL_NEXT_CONFIG,
        "api_key": "sk-ant-test",
        "reply_template": "Echo: {prompt}",
    }

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/messages", self.handle_messages)]

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        return anthropic_error_body(status, message)

    def authenticate(self, request: web.Request) -> bool:
        expected = self.config["api_key"]
        if expected is None:
            return True
        # The API takes `x-api-key`; newer SDKs send the key as a bearer token.
        return request.headers.get("x-api-key") == expected or (
            request.headers.get("Authorization") == f"Bearer {expected}"
        )

    def auth_error_body(self, request: web.Request) -> dict[str, Any]:
        return anthropic_error_body(401, "invalid x-api-key")

    async def handle_messages(self, request: web.Request) -> web.Response:
        failure = self.take_failure()
        if failure is not None:
            return failure
        try:
            if not request.headers.get("anthropic-version"):
                raise AnthropicError(400, "anthropic-version: header is required")
            body = request.get(JSON_KEY)
            if not isinstance(body, dict):
                raise AnthropicError(400, "The request body is not valid JSON.")
            return web.json_response(self.message(body))
        except AnthropicError as err:
            return self.json_error(err.status, err.message)

    def message(self, body: dict[str, Any]) -> dict[str, Any]:
        """The `message` object answering `body`."""
        unknown = sorted(set(body) - _KNOWN_FIELDS)
        if unknown:
            raise AnthropicError(400, f"{unknown[0]}: Extra inputs are not permitted")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise AnthropicError(400, "model: Field required")
        max_tokens = body.get("max_tokens")
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise AnthropicError(400, "max_tokens: Field required (an integer >= 1)")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise AnthropicError(400, "messages: at least one message is required")
        for message in messages:
            if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
                raise AnthropicError(
                    400,
                    "messages: Unexpected role. The Messages API accepts a top-level `system` parameter,"
                    ' not "system" as an input message role.',
                )
        if body.get("stream"):
            raise AnthropicError(400, "stream: not supported by the loopback server")
        for name, lo, hi in (("temperature", 0.0, 1.0), ("top_p", 0.0, 1.0)):
            value = body.get(name)
            if value is not None and not (isinstance(value, (int, float)) and lo <= value <= hi):
                raise AnthropicError(400, f"{name}: Input should be between {lo} and {hi}")
        top_k = body.get("top_k")
        if top_k is not None and not (isinstance(top_k, int) and top_k >= 0):
            raise AnthropicError(400, "top_k: Input should be a non-negative integer")
        system = body.get("system")
        if system is not None:
            _text(system)

        prompt = next(
            (_text(m.get("content")) for m in reversed(messages) if m["role"] == "user"), ""
        )
        markers = parse_markers(prompt)
        if markers.status is not None:
            raise AnthropicError(
                markers.status, f"Simulated error {markers.status} (requested by marker)."
            )
        answer = "" if markers.empty else self.config["reply_template"].format(prompt=prompt)

        forced_tool = self._forced_tool(body)
        if forced_tool is not None:
            tool_input = instance_for_schema(forced_tool.get("input_schema", {}), answer)
            content: list[dict[str, Any]] = [
                {
                    "type": "tool_use",
                    "id": f"toolu_{uuid.uuid4().hex[:24]}",
                    "name": forced_tool["name"],
                    "input": tool_input,
                }
            ]
            stop_reason, stop_sequence = "tool_use", None
            output_tokens = count_tokens(str(tool_input))
        else:
            stop_reason, stop_sequence = "end_turn", None
            stops = body.get("stop_sequences") or []
            cut = apply_stop(answer, stops)
            if cut != answer:
                stop_sequence = next(s for s in stops if answer[len(cut) :].startswith(s))
                stop_reason, answer = "stop_sequence", cut
            answer, truncated = truncate_tokens(answer, max_tokens)
            if truncated:
                stop_reason, stop_sequence = "max_tokens", None
            content = [{"type": "text", "text": answer}] if answer or not markers.empty else []
            output_tokens = count_tokens(answer)

        input_tokens = sum(count_tokens(_text(m.get("content"))) for m in messages)
        if isinstance(system, (str, list)):
            input_tokens += count_tokens(_text(system))
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }

    @staticmethod
    def _forced_tool(body: dict[str, Any]) -> dict[str, Any] | None:
        tools = body.get("tools")
        choice = body.get("tool_choice")
        if tools is None and choice is None:
            return None
        if not isinstance(tools, list) or not all(
            isinstance(t, dict) and "name" in t for t in tools
        ):
            raise AnthropicError(400, "tools: each tool needs a name and an input_schema")
        for tool in tools:
            schema = tool.get("input_schema")
            if not isinstance(schema, dict) or schema.get("type") != "object":
                raise AnthropicError(
                    400, f"tools.{tool['name']}.input_schema.type: Input should be 'object'"
                )
        if not isinstance(choice, dict) or choice.get("type") != "tool":
            return None  # the model may answer in text; the fake always does
        named = [t for t in tools if t["name"] == choice.get("name")]
        if not named:
            raise AnthropicError(
                400, f"tool_choice: tool {choice.get('name')!r} not found in tools"
            )
        return named[0]
