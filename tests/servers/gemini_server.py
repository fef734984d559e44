"""A loopback server that speaks the Gemini REST API's `generateContent`.

Both URL shapes `google-genai` uses are served:

- Gemini Developer API: `POST /{version}/models/{model}:generateContent`,
  authenticated by the `x-goog-api-key` header (or `?key=`).
- Vertex AI: `POST /{version}/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent`
  (Application Default Credentials, `Authorization: Bearer`) and, in express
  mode, `POST /{version}/publishers/google/models/{model}:generateContent` with
  an API key.

Answers are deterministic: candidate `i` of a request whose last user text is
`P` answers `reply_template.format(prompt=P)`, with `" [i]"` appended for
`i > 0`. `generationConfig` is honoured: `candidateCount`, `stopSequences`,
`maxOutputTokens` (whitespace tokens, finishReason `MAX_TOKENS`),
`responseMimeType: application/json` with `responseJsonSchema` or
`responseSchema` (answers an instance of the schema), `responseLogprobs` and
`logprobs`. Token counts are whitespace-token counts.

Like the real API, an invalid API key is a 400 `INVALID_ARGUMENT` whose details
carry the reason `API_KEY_INVALID`; a missing one a 403 `PERMISSION_DENIED`;
a 429 carries a `google.rpc.RetryInfo` with `retryDelay`. The markers of
`openai_server` work here too (`[[status:NNN]]`, `[[empty]]`, `[[sleep:S]]`), and
`fail_next=N` (see `faults.FailNextMixin`) fails the next N requests.

Run standalone: `python -m tests.servers.gemini_server --port 0`.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, ClassVar

from aiohttp import web

from tests.servers.base import JSON_KEY, LoopbackServer
from tests.servers.faults import FailNextMixin
from tests.servers.openai_server import (
    ApiError,
    apply_stop,
    count_tokens,
    instance_for_schema,
    parse_markers,
    split_tokens,
    token_logprob,
    truncate_tokens,
)

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_PATH_RE = re.compile(
    r"^/(?P<version>v1[a-z0-9]*)/(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"(?:publishers/google/)?models/(?P<model>[^/:]+):generateContent$"
)


class GeminiServer(FailNextMixin, LoopbackServer):
    """Fake Gemini / Vertex AI `generateContent` endpoint.

    Provider config keys (besides the base ones, see `LoopbackServer`):

    - `reply_template` (str): answer format, `{prompt}` is the user's text.
    - `retry_delay` (str): the `retryDelay` of 429 answers, e.g. `"0s"`.

    `api_key` defaults to `"gemini-test-key"`; it is compared with the
    `x-goog-api-key` header, `?key=` or a bearer token.
    """

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {
        **LoopbackServer.DEFAULT_CONFIG,
        **FailNextMixin.FAIL_NEXT_CONFIG,
        "api_key": "gemini-test-key",
        "reply_template": "Echo: {prompt}",
        "retry_delay": "0s",
    }

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/{tail:.*}", self.handle_post)]

    def authenticate(self, request: web.Request) -> bool:
        # Checked in the handler: Google answers 400 or 403, not 401.
        return True

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": status,
            "message": message,
            "status": code or _STATUS_NAMES.get(status, "UNKNOWN"),
        }
        if status == 429:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": self.config["retry_delay"],
                }
            ]
        return {"error": error}

    def _key_error(self, request: web.Request) -> web.Response | None:
        expected = self.config["api_key"]
        if expected is None:
            return None
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        given = request.headers.get("x-goog-api-key") or request.query.get("key") or bearer
        if given == expected:
            return None
        if not given:
            return self.json_error(
                403,
                "Method doesn't allow unregistered callers (callers without established identity).",
            )
        body = {
            "error": {
                "code": 400,
                "message": "API key not valid. Please pass a valid API key.",
                "status": "INVALID_ARGUMENT",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                    }
                ],
            }
        }
        return web.json_response(body, status=400)

    async def handle_post(self, request: web.Request) -> web.Response:
        match = _PATH_RE.match(request.path)
        if match is None:
            return self.json_error(404, f"Unknown request URL: POST {request.path}.")
        refused = self._key_error(request) or self.take_failure()
        if refused is not None:
            return refused
        try:
            body = request.get(JSON_KEY)
            if not isinstance(body, dict):
                raise ApiError(400, "Invalid JSON payload received.")
            prompt = _last_user_text(body.get("contents"))
            markers = parse_markers(prompt)
            if markers.sleep:
                await asyncio.sleep(markers.sleep)
            if markers.status is not None:
                raise ApiError(
                    markers.status, f"Simulated error {markers.status} (requested by marker)."
                )
            return web.json_response(
                self.generate(body, match.group("model"), prompt, markers.empty)
            )
        except ApiError as err:
            return self.json_error(err.status, err.message)

    def generate(
        self, body: dict[str, Any], model: str, prompt: str, empty: bool
    ) -> dict[str, Any]:
        config = body.get("generationConfig") or {}
        count = config.get("candidateCount", 1)
        if not isinstance(count, int) or not 1 <= count <= 8:
            raise ApiError(400, "candidateCount must be between 1 and 8.")
        temperature = config.get("temperature")
        if temperature is not None and not 0 <= temperature <= 2:
            raise ApiError(400, "temperature must be in [0.0, 2.0].")
        render = _renderer(config)
        stops = config.get("stopSequences") or []
        max_tokens = config.get("maxOutputTokens")
        want_logprobs = bool(config.get("responseLogprobs"))
        top = config.get("logprobs") or 0
        candidates, output_tokens = [], 0
        for index in range(count):
            answer = self.config["reply_template"].format(prompt=prompt)
            text = "" if empty else render(answer if index == 0 else f"{answer} [{index}]")
            if stops:
                text = apply_stop(text, stops)
            finish = "STOP"
            if isinstance(max_tokens, int):
                text, truncated = truncate_tokens(text, max_tokens)
                finish = "MAX_TOKENS" if truncated else "STOP"
            output_tokens += count_tokens(text)
            candidate: dict[str, Any] = {
                "content": {"role": "model", "parts": [{"text": text}] if text else []},
                "finishReason": finish,
                "index": index,
            }
            if want_logprobs:
                candidate["logprobsResult"] = _logprobs(text, top)
            candidates.append(candidate)
        prompt_tokens = sum(
            count_tokens(part.get("text", ""))
            for content in (body.get("contents") or [])
            for part in content.get("parts", [])
        )
        return {
            "candidates": candidates,
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": output_tokens,
                "totalTokenCount": prompt_tokens + output_tokens,
            },
            "modelVersion": model,
            "responseId": "loopback",
        }


def _last_user_text(contents: Any) -> str:
    if isinstance(contents, list):
        for content in reversed(contents):
            if isinstance(content, dict) and content.get("role", "user") == "user":
                return "\n".join(p.get("text", "") for p in content.get("parts", []) if "text" in p)
    raise ApiError(400, "contents must hold at least one user turn.")


def _renderer(config: dict[str, Any]) -> Any:
    mime = config.get("responseMimeType")
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    if mime in (None, "text/plain"):
        if schema is not None:
            raise ApiError(400, "responseSchema needs responseMimeType 'application/json'.")
        return lambda answer: answer
    if mime != "application/json":
        raise ApiError(400, f"Unsupported responseMimeType {mime!r}.")
    if schema is None:
        return lambda answer: json.dumps({"answer": answer})
    try:
        instance_for_schema(_lower_types(schema))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ApiError(400, f"Invalid response schema: {exc}") from None
    return lambda answer: json.dumps(instance_for_schema(_lower_types(schema), answer))


def _lower_types(schema: Any) -> Any:
    """`responseSchema` (OpenAPI style) spells types in capitals: `"OBJECT"`."""
    if isinstance(schema, dict):
        return {
            key: value.lower() if key == "type" and isinstance(value, str) else _lower_types(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_lower_types(item) for item in schema]
    return schema


def _logprobs(text: str, top: int) -> dict[str, Any]:
    tokens = split_tokens(text)
    return {
        "chosenCandidates": [
            {"token": token, "tokenId": i, "logProbability": token_logprob(i)}
            for i, token in enumerate(tokens)
        ],
        "topCandidates": [
            {
                "candidates": [
                    {
                        "token": token if rank == 0 else f"{token}~{rank}",
                        "tokenId": i * 100 + rank,
                        "logProbability": token_logprob(i, rank),
                    }
                    for rank in range(top)
                ]
            }
            for i, token in enumerate(tokens)
        ]
        if top
        else [],
    }


if __name__ == "__main__":
    GeminiServer.main()
