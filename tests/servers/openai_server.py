"""A loopback server that speaks OpenAI's HTTP wire protocol.

Answers are deterministic so tests can assert on them: choice `i` of a request
whose last user message (or legacy `prompt`) is `P` answers
`reply_template.format(prompt=P)` (default `"Echo: P"`), with `" [i]"` appended
for `i > 0`. `stop` then cuts the answer at the earliest stop string and
`max_tokens` / `max_completion_tokens` truncate it to that many
whitespace-separated tokens (finish_reason "length"). Token counts in `usage`
are whitespace-token counts.

Markers, recognised anywhere in the last user message (chat) or the prompt
(legacy completions, batch lines); they stay part of the echoed text:

- `[[status:NNN]]`  answer HTTP NNN with an OpenAI error body (a 429 also gets a
  `Retry-After` header). Inside a batch the line lands in the error file.
- `[[empty]]`       the content is `""`.
- `[[null]]`        the content is `null`, finish_reason `"content_filter"`.
- `[[sleep:S]]`     wait S extra seconds before answering (ignored in batches).

Endpoints: `POST /v1/chat/completions`, `POST /v1/completions`,
`GET /v1/models[/{model}]`, `POST|GET /v1/files`, `GET|DELETE /v1/files/{id}`,
`GET /v1/files/{id}/content`, `POST|GET /v1/batches`, `GET /v1/batches/{id}`,
`POST /v1/batches/{id}/cancel`, `POST /v1/images/generations` (solid-colour PNGs,
see `images.py`, as `b64_json` or as a URL under `/blob/images/` that, like a
storage service, takes no API key).

Batches never progress on their own unless asked to: a batch is created as
"validating", becomes "in_progress" (or "failed" if its input file is invalid)
on its first retrieval, and is completed by `complete_batches()`,
`set_batch_status()` or, with `batch_auto_complete_after=N`, by the N-th
retrieval. A "cancelling" batch becomes "cancelled" on its next retrieval.
Output/error files list their lines in a shuffled order, like the real API
does not guarantee input order.

Run standalone: `python -m tests.servers.openai_server --port 0 --latency 0.05`
(prints the base URL on the first stdout line).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import random
import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from tests.servers.base import JSON_KEY, LoopbackServer
from tests.servers.images import prompt_png

_MARKER_RE = re.compile(r"\[\[(status|sleep):([^\]]*)\]\]|\[\[(empty|null)\]\]")
# A token is a run of non-space characters with the whitespace before it, so
# joining tokens reproduces the text (this is also how logprob tokens look).
_TOKEN_RE = re.compile(r"\s*\S+")

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "requests",
}
_DEFAULT_ERROR_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}
_FILE_PURPOSES = (
    "assistants",
    "batch",
    "fine-tune",
    "vision",
    "user_data",
    "evals",
)
_BATCH_ENDPOINTS = ("/v1/chat/completions", "/v1/completions")
_BATCH_STATUSES = (
    "validating",
    "failed",
    "in_progress",
    "finalizing",
    "completed",
    "expired",
    "cancelling",
    "cancelled",
)
_PENDING_BATCH_STATUSES = ("validating", "in_progress", "finalizing")
_READ_CHUNK = 1 << 20


class ApiError(Exception):
    """An OpenAI-style API error raised by request handling logic.

    Args:
        status: HTTP status code.
        message: human readable message.
        code: OpenAI error code (e.g. "invalid_api_key"), if any.
        param: the offending request parameter, if any.
    """

    def __init__(
        self, status: int, message: str, code: str | None = None, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        return openai_error_body(self.status, self.message, self.code, self.param)


def openai_error_body(
    status: int, message: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """The `{"error": {...}}` body OpenAI sends with a non-2xx status."""
    error_type = _ERROR_TYPES.get(
        status, "server_error" if status >= 500 else "invalid_request_error"
    )
    return {
        "error": {
            "message": message,
            "type": error_type,
            "param": param,
            "code": code if code is not None else _DEFAULT_ERROR_CODES.get(status),
        }
    }


# --------------------------------------------------------------------- text


@dataclass
class Markers:
    """Behaviour switches found in a prompt (see the module docstring)."""

    status: int | None = None
    sleep: float = 0.0
    empty: bool = False
    null: bool = False


def parse_markers(text: str) -> Markers:
    """Extract `[[...]]` markers from `text`; malformed ones are ignored."""
    markers = Markers()
    if "[[" not in text:  # fast path for the common case
        return markers
    for match in _MARKER_RE.finditer(text):
        kind, value, flag = match.groups()
        if flag == "empty":
            markers.empty = True
        elif flag == "null":
            markers.null = True
        elif kind == "status" and value.strip().isdigit():
            markers.status = int(value)
        elif kind == "sleep":
            with contextlib.suppress(ValueError):
                markers.sleep = max(0.0, float(value))
    return markers


def count_tokens(text: str) -> int:
    """Whitespace-token count, the server's stand-in for a tokenizer."""
    return len(text.split())


def split_tokens(text: str) -> list[str]:
    """Tokens with their leading whitespace; `"".join()` gives `text` back (sans trailing space)."""
    return _TOKEN_RE.findall(text)


def truncate_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """Cut `text` after `max_tokens` tokens; returns (text, was_truncated)."""
    tokens = split_tokens(text)
    if len(tokens) <= max_tokens:
        return text, False
    return "".join(tokens[:max_tokens]), True


def apply_stop(text: str, stops: list[str]) -> str:
    """Cut `text` at the earliest occurrence of any stop string."""
    cut = len(text)
    for stop in stops:
        index = text.find(stop) if stop else -1
        if 0 <= index < cut:
            cut = index
    return text[:cut]


def content_text(content: Any) -> str:
    """Text of a message `content`: a string or a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    raise ApiError(400, "Invalid type for 'messages[].content'.", param="messages")


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """Text of the last user message (the last message of any role as a fallback)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return content_text(messages[-1].get("content")) if messages else ""


def token_logprob(position: int, rank: int = 0) -> float:
    """A deterministic, strictly decreasing-by-rank log probability."""
    return -round(0.05 * (1 + position % 5) + 1.5 * rank, 4)


def alternative_token(token: str, rank: int) -> str:
    return f"{token}~{rank}"


def chat_logprobs(text: str, top: int) -> dict[str, Any]:
    """`choices[i].logprobs` of a chat completion for the generated `text`."""
    content = []
    for position, token in enumerate(split_tokens(text)):
        tops = [
            {
                "token": candidate,
                "logprob": token_logprob(position, rank),
                "bytes": list(candidate.encode()),
            }
            for rank, candidate in enumerate(
                [token] + [alternative_token(token, r) for r in range(1, top)]
            )
        ][:top]
        content.append(
            {
                "token": token,
                "logprob": token_logprob(position),
                "bytes": list(token.encode()),
                "top_logprobs": tops,
            }
        )
    return {"content": content, "refusal": None}


def completion_logprobs(text: str, top: int, offset: int) -> dict[str, Any]:
    """`choices[i].logprobs` of a legacy completion for the generated `text`."""
    tokens = split_tokens(text)
    offsets = []
    for token in tokens:
        offsets.append(offset)
        offset += len(token)
    return {
        "tokens": tokens,
        "token_logprobs": [token_logprob(p) for p in range(len(tokens))],
        "top_logprobs": [
            {
                (token if rank == 0 else alternative_token(token, rank)): token_logprob(p, rank)
                for rank in range(top)
            }
            for p, token in enumerate(tokens)
        ],
        "text_offset": offsets,
    }


# ------------------------------------------------------ JSON schema instances

_MAX_SCHEMA_DEPTH = 12
_STRING_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "json-string": "{}",
}


def instance_for_schema(schema: dict[str, Any] | bool, text: str = "text") -> Any:
    """Build a JSON value that validates against `schema`.

    Covers what pydantic and hand-written structured-output schemas use:
    object/properties/required/additionalProperties, the primitive types,
    enum, const, anyOf/oneOf/allOf, `$ref` into `$defs`/`definitions`,
    items/prefixItems/minItems/maxItems, minimum/maximum (exclusive too),
    multipleOf, minLength/maxLength and common string formats. `pattern` is
    not honoured. String values are derived from `text`.

    Args:
        schema: a JSON schema (draft 2020-12 or draft 7 style).
        text: the string used for string-typed values.

    Raises:
        ValueError: unsupported or unresolvable schema constructs.
    """
    return _SchemaInstanceBuilder(schema, text).build(schema, 0, 0)


class _SchemaInstanceBuilder:
    def __init__(self, root: Any, text: str) -> None:
        self.root = root
        self.text = text

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise ValueError(f"only local $ref are supported, got {ref!r}")
        node = self.root
        for raw in [p for p in ref[1:].split("/") if p]:
            part = urllib.parse.unquote(raw).replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def resolve(self, schema: Any) -> Any:
        """Follow `$ref`s, keeping sibling keywords (pydantic adds some)."""
        for _ in range(64):
            if not isinstance(schema, dict) or "$ref" not in schema:
                return schema
            target = self.lookup(schema["$ref"])
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if siblings and isinstance(target, dict) else target
        raise ValueError("$ref chain too long")

    def build(self, schema: Any, depth: int, variant: int) -> Any:
        if schema is True:
            return self.text
        if schema is False:
            raise ValueError("schema `false` has no instance")
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][variant % len(schema["enum"])]
        if "allOf" in schema:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                merged = _merge_schemas(merged, self.resolve(part))
            return self.build(merged, depth, variant)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self.build(self.pick_option(schema[key], depth), depth, variant)
        kind = self.pick_type(schema, depth)
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, depth)
        if kind in ("integer", "number"):
            return _number(schema, variant, integer=kind == "integer")
        if kind == "boolean":
            return variant % 2 == 0
        if kind == "null":
            return None
        return self.string(schema, variant)

    def pick_option(self, options: list[Any], depth: int) -> Any:
        resolved = [self.resolve(o) for o in options]
        nulls = [o for o in resolved if isinstance(o, dict) and o.get("type") == "null"]
        others = [o for o in resolved if not (isinstance(o, dict) and o.get("type") == "null")]
        # Deep inside recursive schemas, prefer null to stop the recursion.
        if nulls and (not others or depth >= _MAX_SCHEMA_DEPTH):
            return nulls[0]
        if not others:
            raise ValueError("anyOf/oneOf without options")
        return others[0]

    @staticmethod
    def pick_type(schema: dict[str, Any], depth: int) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            non_null = [k for k in kind if k != "null"]
            if not non_null or ("null" in kind and depth >= _MAX_SCHEMA_DEPTH):
                return "null"
            return non_null[0]
        if kind is not None:
            return kind
        if "properties" in schema or "additionalProperties" in schema or "required" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema:
            return "array"
        return "string"

    def object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        required: list[str] = list(schema.get("required", []))
        deep = depth >= _MAX_SCHEMA_DEPTH
        names = [n for n in properties if not deep or n in required]
        result = {name: self.build(properties[name], depth + 1, 0) for name in names}
        extra = schema.get("additionalProperties", True)
        extra_schema = extra if isinstance(extra, dict) else {}
        for name in required:
            if name not in result:
                result[name] = self.build(extra_schema, depth + 1, 0)
        index = 0
        while len(result) < schema.get("minProperties", 0):
            result.setdefault(f"key{index}", self.build(extra_schema, depth + 1, index))
            index += 1
        return result

    def array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        items = schema.get("items", {})
        prefix = schema.get("prefixItems")
        if isinstance(items, list):  # draft 4-7 tuple form
            prefix, items = items, schema.get("additionalItems", {})
        prefix = prefix or []
        wanted = max(schema.get("minItems", 0), len(prefix), 0 if depth >= _MAX_SCHEMA_DEPTH else 1)
        if "maxItems" in schema:
            wanted = min(wanted, schema["maxItems"])
        if items is False:
            wanted = min(wanted, len(prefix))
        result = []
        for index in range(wanted):
            item_schema = prefix[index] if index < len(prefix) else items
            # Distinct variants keep `uniqueItems` arrays valid.
            result.append(self.build(item_schema, depth + 1, index))
        return result

    def string(self, schema: dict[str, Any], variant: int) -> str:
        fmt = schema.get("format")
        if fmt in _STRING_FORMATS:
            return _STRING_FORMATS[fmt]
        value = self.text if variant == 0 else f"{self.text} {variant}"
        min_length = schema.get("minLength", 0)
        if len(value) < min_length:
            value += "x" * (min_length - len(value))
        if "maxLength" in schema:
            value = value[: schema["maxLength"]]
        return value


def _merge_schemas(left: dict[str, Any], right: Any) -> dict[str, Any]:
    """Shallow allOf merge: union properties/required, later keywords win."""
    if not isinstance(right, dict):
        return left
    merged = {**left, **right}
    if "properties" in left and "properties" in right:
        merged["properties"] = {**left["properties"], **right["properties"]}
    if "required" in left and "required" in right:
        merged["required"] = list(dict.fromkeys([*left["required"], *right["required"]]))
    return merged


def _number(schema: dict[str, Any], variant: int, integer: bool) -> int | float:
    lower, lower_excl = _bound(schema, "minimum", "exclusiveMinimum", max)
    upper, upper_excl = _bound(schema, "maximum", "exclusiveMaximum", min)

    def fits(value: float) -> bool:
        above = lower is None or value > lower or (value == lower and not lower_excl)
        below = upper is None or value < upper or (value == upper and not upper_excl)
        return above and below

    value: float = (1 if integer else 1.5) + variant
    if not fits(value):
        if lower is not None and upper is not None:
            value = (lower + upper) / 2
        elif lower is not None:
            value = lower + 1
        else:
            value = upper - 1  # type: ignore[operator]
    candidates: list[float] = [value]
    if integer:
        candidates = [round(value), math.floor(value), math.ceil(value)]
        if lower is not None:
            candidates += [math.ceil(lower), math.floor(lower) + 1]
        if upper is not None:
            candidates += [math.floor(upper), math.ceil(upper) - 1]
    step = schema.get("multipleOf")
    if step:
        base = [c for c in candidates]
        candidates = [round(c / step + k) * step for c in base for k in (0, 1, -1, 2, -2)]
    for candidate in candidates:
        if fits(candidate):
            return int(candidate) if integer else float(candidate)
    return int(candidates[0]) if integer else float(candidates[0])


def _bound(
    schema: dict[str, Any], inclusive: str, exclusive: str, tighter: Any
) -> tuple[float | None, bool]:
    value = schema.get(inclusive)
    excl = schema.get(exclusive)
    if isinstance(excl, bool):  # draft 4: a flag on the inclusive bound
        return value, excl
    if excl is None:
        return value, False
    if value is None or tighter(value, excl) == excl:
        return excl, True
    return value, False


# ------------------------------------------------------------------ storage


@dataclass
class StoredFile:
    """An uploaded or generated file."""

    meta: dict[str, Any]
    content: bytes


@dataclass
class BatchRecord:
    """A batch plus the server-side data needed to advance it."""

    obj: dict[str, Any]
    polls: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    validation_errors: list[dict[str, Any]] = field(default_factory=list)


def _new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def _now() -> int:
    return int(time.time())


# ------------------------------------------------------------------- server


class OpenAIServer(LoopbackServer):
    """Fake OpenAI API (chat, legacy completions, models, files, batches).

    Provider config keys (besides the base ones, see `LoopbackServer`):

    - `models` (list[str]): what `GET /v1/models` lists; any model is accepted.
    - `reply_template` (str): answer format, `{prompt}` is the user's text.
    - `max_file_bytes` (int): upload limit; larger uploads get a 400.
    - `max_batch_requests` (int): more lines than this fail a batch.
    - `batch_auto_complete_after` (int | None): a batch completes on its own
      at that many `GET /v1/batches/{id}` polls.
    - `echo_api_key` (bool): error messages (a 401, `[[status:NNN]]` on chat)
      quote the request's whole API key, as careless providers do.

    `api_key` defaults to `"sk-test"`.
    """

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {
        **LoopbackServer.DEFAULT_CONFIG,
        "api_key": "sk-test",
        "models": ["gpt-4o-mini", "gpt-4o", "gpt-3.5-turbo-instruct"],
        "reply_template": "Echo: {prompt}",
        "max_file_bytes": 200 * 1024 * 1024,
        "max_batch_requests": 50_000,
        "batch_auto_complete_after": None,
        "echo_api_key": False,
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._files: dict[str, StoredFile] = {}
        self._batches: dict[str, BatchRecord] = {}
        self._images: dict[str, bytes] = {}

    # ------------------------------------------------------------- hooks

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/chat/completions", self.handle_chat),
            web.post("/v1/completions", self.handle_completions),
            web.get("/v1/models", self.handle_list_models),
            web.get("/v1/models/{model}", self.handle_get_model),
            web.post("/v1/files", self.handle_upload_file),
            web.get("/v1/files", self.handle_list_files),
            web.get("/v1/files/{file_id}", self.handle_get_file),
            web.delete("/v1/files/{file_id}", self.handle_delete_file),
            web.get("/v1/files/{file_id}/content", self.handle_file_content),
            web.post("/v1/batches", self.handle_create_batch),
            web.get("/v1/batches", self.handle_list_batches),
            web.get("/v1/batches/{batch_id}", self.handle_get_batch),
            web.post("/v1/batches/{batch_id}/cancel", self.handle_cancel_batch),
            web.post("/v1/images/generations", self.handle_image_generation),
            web.get("/blob/images/{image_id}", self.handle_image_blob),
        ]

    def admin_routes(self) -> list[web.RouteDef]:
        return [
            *super().admin_routes(),
            web.get("/__admin/files", self._admin_files),
            web.get("/__admin/files/{file_id}/content", self.handle_file_content),
            web.get("/__admin/batches", self._admin_batches),
            web.post("/__admin/batches/complete", self._admin_complete_batches),
            web.post("/__admin/batches/{batch_id}/status", self._admin_set_batch_status),
        ]

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        return openai_error_body(status, message, code)

    def auth_error_body(self, request: web.Request) -> dict[str, Any]:
        header = request.headers.get("Authorization", "")
        if not header:
            return openai_error_body(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                code=None,
            )
        key = header.removeprefix("Bearer ").strip()
        shown = f"{key[:3]}***{key[-4:]}" if len(key) > 8 else "***"
        if self.config["echo_api_key"]:
            shown = key
        return openai_error_body(
            401, f"Incorrect API key provided: {shown}.", code="invalid_api_key"
        )

    def reset_state(self) -> None:
        self._files.clear()
        self._batches.clear()
        self._images.clear()

    def authenticate(self, request: web.Request) -> bool:
        # Image URLs point at a storage service, which takes no API key.
        return request.path.startswith(_BLOB_PREFIX) or super().authenticate(request)

    # ------------------------------------------------- Python control API

    def batches(self) -> list[dict[str, Any]]:
        """All batch objects, oldest first."""
        return self._admin("GET", "batches")

    def files(self) -> list[dict[str, Any]]:
        """All file objects (uploads and generated outputs), oldest first."""
        return self._admin("GET", "files")

    def file_content(self, file_id: str) -> bytes:
        """Raw bytes of a stored file."""
        request_url = f"{self.url}/__admin/files/{file_id}/content"
        with self._opener.open(request_url, timeout=60) as response:
            return response.read()

    def set_batch_status(
        self, batch_id: str, status: str, error_message: str | None = None
    ) -> dict[str, Any]:
        """Force a batch into `status`; "completed" computes its results.

        Args:
            batch_id: the batch to change.
            status: one of OpenAI's batch statuses.
            error_message: message of `errors.data[0]` for "failed"/"expired".

        Returns:
            The updated batch object.
        """
        return self._admin(
            "POST", f"batches/{batch_id}/status", {"status": status, "error_message": error_message}
        )

    def complete_batches(self) -> list[dict[str, Any]]:
        """Finish every pending batch (invalid ones end up "failed").

        Returns:
            The batch objects that changed.
        """
        return self._admin("POST", "batches/complete", {})

    # ------------------------------------------------------- response helpers

    @staticmethod
    def _json(payload: Any, status: int = 200) -> web.Response:
        return web.json_response(payload, status=status, headers={"x-request-id": _new_id("req_")})

    def _error(self, err: ApiError) -> web.Response:
        headers = {"x-request-id": _new_id("req_")}
        if err.status == 429:
            headers["Retry-After"] = str(self.config["retry_after"])
        return web.json_response(err.body(), status=err.status, headers=headers)

    def _body(self, request: web.Request) -> dict[str, Any]:
        body = request.get(JSON_KEY)
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return body

    # ------------------------------------------------------------ generation

    def _answer(self, prompt: str, index: int) -> str:
        answer = self.config["reply_template"].format(prompt=prompt)
        return answer if index == 0 else f"{answer} [{index}]"

    def _finish(
        self,
        text: str,
        stops: list[str],
        max_tokens: int | None,
    ) -> tuple[str, str]:
        """Apply stop strings and the token limit; returns (text, finish_reason)."""
        if stops:
            text = apply_stop(text, stops)
        if max_tokens is not None:
            text, truncated = truncate_tokens(text, max_tokens)
            if truncated:
                return text, "length"
        return text, "stop"

    def chat_completion(self, body: dict[str, Any]) -> dict[str, Any]:
        """The `chat.completion` object answering `body`.

        Raises:
            ApiError: invalid requests and `[[status:NNN]]` markers.
        """
        model = _require(body, "model", str)
        messages = _require(body, "messages", list)
        if not messages or not all(isinstance(m, dict) and "role" in m for m in messages):
            raise ApiError(
                400, "'messages' must be a non-empty array of message objects.", param="messages"
            )
        if body.get("stream"):
            raise ApiError(
                400, "stream=true is not supported by the loopback server.", param="stream"
            )
        _check_sampling(body)
        n = _int_param(body, "n", 1, 1, 128)
        max_tokens = _max_tokens(body, "max_completion_tokens")
        if max_tokens is None:
            max_tokens = _max_tokens(body, "max_tokens")
        stops = _stops(body)
        top = _int_param(body, "top_logprobs", 0, 0, 20)
        want_logprobs = bool(body.get("logprobs"))
        if "top_logprobs" in body and body["top_logprobs"] is not None and not want_logprobs:
            raise ApiError(
                400, "'top_logprobs' requires 'logprobs' to be true.", param="top_logprobs"
            )
        render = _response_format(body.get("response_format"))

        prompt = last_user_text(messages)
        markers = parse_markers(prompt)
        if markers.status is not None:
            raise ApiError(
                markers.status, f"Simulated error {markers.status} (requested by marker)."
            )

        choices = []
        completion_tokens = 0
        for index in range(n):
            logprobs = None
            if markers.null:
                content, finish = None, "content_filter"
            else:
                raw = "" if markers.empty else render(self._answer(prompt, index))
                content, finish = self._finish(raw, stops, max_tokens)
                completion_tokens += count_tokens(content)
                if want_logprobs:
                    logprobs = chat_logprobs(content, top)
            choices.append(
                {
                    "index": index,
                    "message": {
                        "role": "assistant",
                        "content": content,
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": logprobs,
                    "finish_reason": finish,
                }
            )
        prompt_tokens = sum(count_tokens(content_text(m.get("content"))) for m in messages)
        return {
            "id": _new_id("chatcmpl-"),
            "object": "chat.completion",
            "created": _now(),
            "model": model,
            "choices": choices,
            "usage": _usage(prompt_tokens, completion_tokens),
            "service_tier": "default",
            "system_fingerprint": "fp_loopback",
        }

    def image_generation(self, body: dict[str, Any]) -> dict[str, Any]:
        """The `images.generate` answer to `body`: one solid-colour PNG per image.

        Validated like the real API for the model families it knows: `n` (1 for
        `dall-e-3`), `size`, `quality`, `style` (DALL·E 3 only) and `response_format`
        (refused by gpt-image models, which always answer base64 and report usage).
        Other models take any `WIDTHxHEIGHT`.

        Raises:
            ApiError: invalid requests and `[[status:NNN]]` markers.
        """
        prompt = _require(body, "prompt", str)
        model = body.get("model") or "dall-e-2"
        if not isinstance(model, str):
            raise ApiError(400, "Invalid type for 'model': expected string.", param="model")
        family = _image_family(model)
        n = _int_param(body, "n", 1, 1, 10)
        if family == "dall-e-3" and n != 1:
            raise ApiError(400, "Invalid 'n': dall-e-3 only supports n=1.", param="n")
        limits = _IMAGE_LIMITS.get(family)
        size = body.get("size") or "1024x1024"
        if size == "auto" and family == "gpt-image":
            size = "1024x1024"
        match = re.fullmatch(r"(\d+)x(\d+)", size) if isinstance(size, str) else None
        if match is None or (limits is not None and size not in limits["sizes"]):
            allowed = ", ".join(limits["sizes"]) if limits is not None else "WIDTHxHEIGHT"
            raise ApiError(400, f"Invalid 'size': {size!r}. Supported values are: {allowed}.", param="size")
        quality = body.get("quality")
        if quality is not None and limits is not None and quality not in limits["qualities"]:
            raise ApiError(
                400,
                f"Invalid 'quality': {quality!r} for {model}. Supported values are: {', '.join(limits['qualities'])}.",
                param="quality",
            )
        style = body.get("style")
        if style is not None and (style not in ("vivid", "natural") or family in ("dall-e-2", "gpt-image")):
            raise ApiError(400, f"Invalid 'style': {style!r} for {model}.", param="style")
        response_format = body.get("response_format")
        if response_format is not None and family == "gpt-image":
            raise ApiError(400, "Unknown parameter: 'response_format'.", param="response_format")
        if response_format not in (None, "url", "b64_json"):
            raise ApiError(
                400, f"Invalid 'response_format': {response_format!r}. Use 'url' or 'b64_json'.",
                param="response_format",
            )
        markers = parse_markers(prompt)
        if markers.status is not None:
            raise ApiError(markers.status, f"Simulated error {markers.status} (requested by marker).")
        width, height = int(match.group(1)), int(match.group(2))
        as_url = family != "gpt-image" and response_format in (None, "url")
        data = []
        for index in range(n):
            png = prompt_png(prompt, width, height, index)
            if as_url:
                image_id = uuid.uuid4().hex
                self._images[image_id] = png
                while len(self._images) > _MAX_STORED_IMAGES:
                    self._images.pop(next(iter(self._images)))
                item: dict[str, Any] = {"url": f"{self.url}{_BLOB_PREFIX}{image_id}.png"}
            else:
                item = {"b64_json": base64.b64encode(png).decode()}
            if family == "dall-e-3":
                item["revised_prompt"] = prompt
            data.append(item)
        answer: dict[str, Any] = {"created": _now(), "data": data}
        if family == "gpt-image":
            tokens = count_tokens(prompt)
            answer["usage"] = {
                "input_tokens": tokens,
                "output_tokens": 272 * n,
                "total_tokens": tokens + 272 * n,
                "input_tokens_details": {"text_tokens": tokens, "image_tokens": 0},
            }
        return answer

    def completion(self, body: dict[str, Any]) -> dict[str, Any]:
        """The legacy `text_completion` object answering `body`.

        Raises:
            ApiError: invalid requests and `[[status:NNN]]` markers.
        """
        model = _require(body, "model", str)
        prompts = _prompts(body.get("prompt", "<|endoftext|>"))
        if body.get("stream"):
            raise ApiError(
                400, "stream=true is not supported by the loopback server.", param="stream"
            )
        _check_sampling(body)
        n = _int_param(body, "n", 1, 1, 128)
        max_tokens = _max_tokens(body, "max_tokens")
        if max_tokens is None:
            max_tokens = 16  # the legacy endpoint's documented default
        stops = _stops(body)
        top = body.get("logprobs")
        if top is not None and (
            not isinstance(top, int) or isinstance(top, bool) or not 0 <= top <= 5
        ):
            raise ApiError(400, "'logprobs' must be an integer between 0 and 5.", param="logprobs")
        echo = bool(body.get("echo"))

        all_markers = [parse_markers(p) for p in prompts]
        for markers in all_markers:
            if markers.status is not None:
                raise ApiError(
                    markers.status, f"Simulated error {markers.status} (requested by marker)."
                )

        choices = []
        completion_tokens = 0
        for p_index, (prompt, markers) in enumerate(zip(prompts, all_markers, strict=True)):
            for i in range(n):
                if markers.null:
                    text, finish = "", "content_filter"
                else:
                    raw = "" if markers.empty else self._answer(prompt, i)
                    text, finish = self._finish(raw, stops, max_tokens)
                completion_tokens += count_tokens(text)
                logprobs = completion_logprobs(text, top, len(prompt)) if top is not None else None
                choices.append(
                    {
                        "index": p_index * n + i,
                        "text": prompt + text if echo else text,
                        "logprobs": logprobs,
                        "finish_reason": finish,
                    }
                )
        return {
            "id": _new_id("cmpl-"),
            "object": "text_completion",
            "created": _now(),
            "model": model,
            "choices": choices,
            "usage": _usage(sum(count_tokens(p) for p in prompts), completion_tokens),
            "system_fingerprint": "fp_loopback",
        }

    # ------------------------------------------------- generation handlers

    async def handle_chat(self, request: web.Request) -> web.Response:
        try:
            body = self._body(request)
            messages = body.get("messages")
            if isinstance(messages, list) and messages:
                await _marker_sleep(last_user_text(messages))
            return self._json(self.chat_completion(body))
        except ApiError as err:
            if self.config["echo_api_key"]:
                key = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                err.message = f"{err.message} (request sent with API key {key})"
            return self._error(err)

    async def handle_completions(self, request: web.Request) -> web.Response:
        try:
            body = self._body(request)
            prompt = body.get("prompt")
            if isinstance(prompt, str):
                await _marker_sleep(prompt)
            return self._json(self.completion(body))
        except ApiError as err:
            return self._error(err)

    async def handle_image_generation(self, request: web.Request) -> web.Response:
        try:
            body = self._body(request)
            prompt = body.get("prompt")
            if isinstance(prompt, str):
                await _marker_sleep(prompt)
            return self._json(self.image_generation(body))
        except ApiError as err:
            return self._error(err)

    async def handle_image_blob(self, request: web.Request) -> web.Response:
        if "Authorization" in request.headers:
            # A client that sends its OpenAI key to the storage host leaks it.
            return web.Response(status=400, text="This storage URL takes no Authorization header.")
        image = self._images.get(request.match_info["image_id"].removesuffix(".png"))
        if image is None:
            return web.Response(status=404, text="No such image (URLs expire).")
        return web.Response(body=image, content_type="image/png")

    async def handle_list_models(self, request: web.Request) -> web.Response:
        return self._json(
            {"object": "list", "data": [_model_obj(m) for m in self.config["models"]]}
        )

    async def handle_get_model(self, request: web.Request) -> web.Response:
        return self._json(_model_obj(request.match_info["model"]))

    # --------------------------------------------------------------- files

    def _store_file(self, content: bytes, filename: str, purpose: str) -> dict[str, Any]:
        meta = {
            "id": _new_id("file-"),
            "object": "file",
            "bytes": len(content),
            "created_at": _now(),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "status_details": None,
            "expires_at": None,
        }
        self._files[meta["id"]] = StoredFile(meta, content)
        return meta

    def _get_file(self, file_id: str) -> StoredFile:
        stored = self._files.get(file_id)
        if stored is None:
            raise ApiError(404, f"No such File object: {file_id}", param="id")
        return stored

    async def handle_upload_file(self, request: web.Request) -> web.Response:
        try:
            if not request.content_type.startswith("multipart/"):
                raise ApiError(400, "Uploads must be multipart/form-data.")
            content, filename, purpose = await self._read_upload(request)
            if content is None:
                raise ApiError(400, "Missing required parameter: 'file'.", param="file")
            if purpose not in _FILE_PURPOSES:
                raise ApiError(400, f"Invalid value for 'purpose': {purpose!r}.", param="purpose")
            return self._json(self._store_file(content, filename, purpose))
        except ApiError as err:
            return self._error(err)

    async def _read_upload(self, request: web.Request) -> tuple[bytes | None, str, str | None]:
        """Stream the multipart body, enforcing `max_file_bytes`."""
        limit = int(self.config["max_file_bytes"])
        reader = await request.multipart()
        content: bytes | None = None
        filename = "upload"
        purpose: str | None = None
        too_large = False
        while (part := await reader.next()) is not None:
            if part.name == "purpose":
                purpose = (await part.text()).strip()  # type: ignore[union-attr]
            elif part.name == "file":
                chunks, size = [], 0
                filename = part.filename or filename  # type: ignore[union-attr]
                while chunk := await part.read_chunk(_READ_CHUNK):  # type: ignore[union-attr]
                    size += len(chunk)
                    # Keep reading past the limit (discarding) so the client
                    # finishes sending and sees our 400 instead of a reset.
                    if size > limit:
                        too_large = True
                        chunks.clear()
                    else:
                        chunks.append(chunk)
                content = b"".join(chunks)
            else:
                await part.release()  # type: ignore[union-attr]
        if too_large:
            raise ApiError(
                400, f"File exceeds the maximum allowed size of {limit} bytes.", param="file"
            )
        return content, filename, purpose

    async def handle_list_files(self, request: web.Request) -> web.Response:
        purpose = request.query.get("purpose")
        files = [
            f.meta for f in self._files.values() if purpose is None or f.meta["purpose"] == purpose
        ]
        if request.query.get("order", "desc") == "desc":
            files.reverse()
        return self._json(_cursor_page(files, request))

    async def handle_get_file(self, request: web.Request) -> web.Response:
        try:
            return self._json(self._get_file(request.match_info["file_id"]).meta)
        except ApiError as err:
            return self._error(err)

    async def handle_delete_file(self, request: web.Request) -> web.Response:
        try:
            file_id = request.match_info["file_id"]
            self._get_file(file_id)
            del self._files[file_id]
            return self._json({"id": file_id, "object": "file", "deleted": True})
        except ApiError as err:
            return self._error(err)

    async def handle_file_content(self, request: web.Request) -> web.Response:
        try:
            stored = self._get_file(request.match_info["file_id"])
        except ApiError as err:
            return self._error(err)
        return web.Response(body=stored.content, content_type="application/octet-stream")

    # ------------------------------------------------------------- batches

    async def handle_create_batch(self, request: web.Request) -> web.Response:
        try:
            return self._json(self._create_batch(self._body(request)).obj)
        except ApiError as err:
            return self._error(err)

    def _create_batch(self, body: dict[str, Any]) -> BatchRecord:
        input_file_id = _require(body, "input_file_id", str)
        endpoint = _require(body, "endpoint", str)
        window = _require(body, "completion_window", str)
        if endpoint not in _BATCH_ENDPOINTS:
            raise ApiError(
                400,
                f"Unsupported endpoint {endpoint!r}; use one of {_BATCH_ENDPOINTS}.",
                param="endpoint",
            )
        if window != "24h":
            raise ApiError(
                400,
                "Invalid 'completion_window': only '24h' is supported.",
                param="completion_window",
            )
        metadata = body.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise ApiError(400, "'metadata' must be an object.", param="metadata")
        stored = self._files.get(input_file_id)
        if stored is None:
            raise ApiError(
                400,
                f"Invalid 'input_file_id': {input_file_id!r} does not exist.",
                param="input_file_id",
            )
        if stored.meta["purpose"] != "batch":
            raise ApiError(
                400, "The input file must be uploaded with purpose 'batch'.", param="input_file_id"
            )

        now = _now()
        requests, errors = self._validate_batch_input(stored.content, endpoint)
        obj = {
            "id": _new_id("batch_"),
            "object": "batch",
            "endpoint": endpoint,
            "model": next(
                (
                    r["body"].get("model")
                    for r in requests
                    if isinstance(r["body"].get("model"), str)
                ),
                None,
            ),
            "errors": None,
            "input_file_id": input_file_id,
            "completion_window": window,
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": None,
            "expires_at": now + 24 * 3600,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {
                "total": 0 if errors else len(requests),
                "completed": 0,
                "failed": 0,
            },
            "metadata": metadata,
            "usage": None,
        }
        record = BatchRecord(obj=obj, requests=requests, validation_errors=errors)
        self._batches[obj["id"]] = record
        return record

    def _validate_batch_input(
        self, content: bytes, endpoint: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Parse the JSONL input; returns (requests, errors) with at most a few errors."""
        lines = [
            line for line in content.decode("utf-8", errors="replace").splitlines() if line.strip()
        ]
        limit = int(self.config["max_batch_requests"])
        if not lines:
            return [], [_batch_error("empty_file", "The input file is empty.")]
        if len(lines) > limit:
            message = f"The input file contains {len(lines)} requests, more than the maximum of {limit} per batch."
            return [], [_batch_error("too_many_requests", message)]
        requests: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        for number, line in enumerate(lines, start=1):
            problem = _check_batch_line(line, endpoint, seen)
            if isinstance(problem, dict):
                requests.append(problem)
                continue
            errors.append(_batch_error(problem[0], problem[1], line=number, param=problem[2]))
            if len(errors) >= 10:
                break
        return requests, errors

    def _get_batch(self, batch_id: str) -> BatchRecord:
        record = self._batches.get(batch_id)
        if record is None:
            raise ApiError(404, f"No batch found with id '{batch_id}'.", param="batch_id")
        return record

    async def handle_get_batch(self, request: web.Request) -> web.Response:
        try:
            record = self._get_batch(request.match_info["batch_id"])
        except ApiError as err:
            return self._error(err)
        self._on_poll(record)
        return self._json(record.obj)

    def _on_poll(self, record: BatchRecord) -> None:
        """Advance a batch the way a client polling it would observe."""
        record.polls += 1
        status = record.obj["status"]
        if status == "validating":
            self._transition(record, "failed" if record.validation_errors else "in_progress")
        elif status == "cancelling":
            self._transition(record, "cancelled")
        auto = self.config["batch_auto_complete_after"]
        if (
            auto is not None
            and record.polls >= auto
            and record.obj["status"] in _PENDING_BATCH_STATUSES
        ):
            self._transition(record, "completed")

    async def handle_list_batches(self, request: web.Request) -> web.Response:
        newest_first = [r.obj for r in reversed(self._batches.values())]
        return self._json(_cursor_page(newest_first, request, default_limit=20))

    async def handle_cancel_batch(self, request: web.Request) -> web.Response:
        try:
            record = self._get_batch(request.match_info["batch_id"])
            status = record.obj["status"]
            if status in _PENDING_BATCH_STATUSES:
                self._transition(record, "cancelling")
            elif status != "cancelling":
                raise ApiError(409, f"Cannot cancel a batch with status '{status}'.")
            return self._json(record.obj)
        except ApiError as err:
            return self._error(err)

    def _transition(
        self, record: BatchRecord, status: str, error_message: str | None = None
    ) -> None:
        """Move a batch to `status`, filling the matching timestamps and outputs."""
        if status not in _BATCH_STATUSES:
            raise ValueError(f"unknown batch status {status!r}; expected one of {_BATCH_STATUSES}")
        obj, now = record.obj, _now()
        if status == "completed" and record.validation_errors:
            raise ValueError(f"batch {obj['id']} has an invalid input file and cannot complete")
        if status in ("in_progress", "finalizing", "completed"):
            obj["in_progress_at"] = obj["in_progress_at"] or now
        if status in ("finalizing", "completed"):
            obj["finalizing_at"] = obj["finalizing_at"] or now
        if status == "completed":
            self._write_results(record)
            obj["completed_at"] = now
        elif status == "failed":
            obj["failed_at"] = now
            errors = record.validation_errors
            if error_message is not None or not errors:
                errors = [_batch_error("batch_failed", error_message or "The batch failed.")]
            obj["errors"] = {"object": "list", "data": errors}
        elif status == "expired":
            obj["expired_at"] = now
            self._write_expired(record)
            if error_message is not None:
                obj["errors"] = {
                    "object": "list",
                    "data": [_batch_error("batch_expired", error_message)],
                }
        elif status == "cancelling":
            obj["cancelling_at"] = now
        elif status == "cancelled":
            obj["cancelling_at"] = obj["cancelling_at"] or now
            obj["cancelled_at"] = now
        obj["status"] = status

    def _write_results(self, record: BatchRecord) -> None:
        """Answer every request of the batch and store shuffled output/error files."""
        endpoint = record.obj["endpoint"]
        answer = self.chat_completion if endpoint == "/v1/chat/completions" else self.completion
        outputs, errors = [], []
        usage = {"input_tokens": 0, "output_tokens": 0}
        for item in record.requests:
            line = {
                "id": _new_id("batch_req_"),
                "custom_id": item["custom_id"],
                "response": None,
                "error": None,
            }
            request_id = _new_id("req_")
            try:
                body = answer(item["body"])
            except ApiError as err:
                line["response"] = {
                    "status_code": err.status,
                    "request_id": request_id,
                    "body": err.body(),
                }
                errors.append(line)
                continue
            usage["input_tokens"] += body["usage"]["prompt_tokens"]
            usage["output_tokens"] += body["usage"]["completion_tokens"]
            line["response"] = {"status_code": 200, "request_id": request_id, "body": body}
            outputs.append(line)
        rng = random.Random(f"{self.config['seed']}:{record.obj['id']}")
        batch_id = record.obj["id"]
        record.obj["output_file_id"] = self._store_jsonl(
            _shuffled(outputs, rng), f"{batch_id}_output.jsonl"
        )
        if errors:
            record.obj["error_file_id"] = self._store_jsonl(
                _shuffled(errors, rng), f"{batch_id}_error.jsonl"
            )
        record.obj["request_counts"] = {
            "total": len(record.requests),
            "completed": len(outputs),
            "failed": len(errors),
        }
        record.obj["usage"] = {
            **usage,
            "total_tokens": usage["input_tokens"] + usage["output_tokens"],
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        }

    def _write_expired(self, record: BatchRecord) -> None:
        """Like OpenAI: every unfinished request gets a `batch_expired` error line."""
        if not record.requests or record.obj["output_file_id"] is not None:
            return
        lines = [
            {
                "id": _new_id("batch_req_"),
                "custom_id": item["custom_id"],
                "response": None,
                "error": {
                    "code": "batch_expired",
                    "message": "This request could not be executed before the completion window expired.",
                },
            }
            for item in record.requests
        ]
        record.obj["error_file_id"] = self._store_jsonl(lines, f"{record.obj['id']}_error.jsonl")
        record.obj["request_counts"] = {"total": len(lines), "completed": 0, "failed": len(lines)}

    def _store_jsonl(self, lines: list[dict[str, Any]], filename: str) -> str:
        content = "".join(json.dumps(line) + "\n" for line in lines).encode()
        return self._store_file(content, filename, "batch_output")["id"]

    # --------------------------------------------------------- admin handlers

    async def _admin_files(self, request: web.Request) -> web.Response:
        return web.json_response([f.meta for f in self._files.values()])

    async def _admin_batches(self, request: web.Request) -> web.Response:
        return web.json_response([r.obj for r in self._batches.values()])

    async def _admin_complete_batches(self, request: web.Request) -> web.Response:
        changed = []
        for record in self._batches.values():
            if record.obj["status"] in _PENDING_BATCH_STATUSES:
                self._transition(record, "failed" if record.validation_errors else "completed")
                changed.append(record.obj)
        return web.json_response(changed)

    async def _admin_set_batch_status(self, request: web.Request) -> web.Response:
        body = await request.json()
        batch_id = request.match_info["batch_id"]
        record = self._batches.get(batch_id)
        if record is None:
            return web.json_response({"error": f"no batch {batch_id!r}"}, status=404)
        self._transition(record, body["status"], body.get("error_message"))
        return web.json_response(record.obj)


# ----------------------------------------------------------- request parsing


async def _marker_sleep(prompt: str) -> None:
    delay = parse_markers(prompt).sleep
    if delay:
        await asyncio.sleep(delay)


def _require(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if value is None:
        raise ApiError(
            400,
            f"Missing required parameter: '{name}'.",
            code="missing_required_parameter",
            param=name,
        )
    if not isinstance(value, kind):
        raise ApiError(
            400,
            f"Invalid type for '{name}': expected {kind.__name__}.",
            code="invalid_type",
            param=name,
        )
    return value


def _int_param(body: dict[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ApiError(
            400,
            f"Invalid '{name}': expected an integer in [{lo}, {hi}], got {value!r}.",
            param=name,
        )
    return value


def _max_tokens(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ApiError(
            400,
            f"Invalid '{name}': integer below minimum value. Expected a value >= 1, but got {value!r} instead.",
            code="integer_below_min_value",
            param=name,
        )
    return value


def _check_sampling(body: dict[str, Any]) -> None:
    """Reject out-of-range sampling parameters like the real API does."""
    for name, lo, hi in (
        ("temperature", 0.0, 2.0),
        ("top_p", 0.0, 1.0),
        ("frequency_penalty", -2.0, 2.0),
        ("presence_penalty", -2.0, 2.0),
    ):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not lo <= value <= hi:
            raise ApiError(
                400,
                f"Invalid '{name}': expected a number in [{lo}, {hi}], got {value!r}.",
                param=name,
            )
    seed = body.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ApiError(400, "Invalid 'seed': expected an integer.", param="seed")


def _stops(body: dict[str, Any]) -> list[str]:
    stop = body.get("stop")
    if stop is None:
        return []
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop) and len(stop) <= 4:
        return stop
    raise ApiError(400, "'stop' must be a string or an array of at most 4 strings.", param="stop")


def _prompts(prompt: Any) -> list[str]:
    """Legacy `prompt`: a string, a list of strings, or token id list(s)."""
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt:
        if all(isinstance(p, str) for p in prompt):
            return prompt
        if all(isinstance(p, int) for p in prompt):
            return [" ".join(map(str, prompt))]
        if all(isinstance(p, list) for p in prompt):
            return [" ".join(map(str, p)) for p in prompt]
    raise ApiError(
        400, "Invalid 'prompt': expected a string or an array of strings.", param="prompt"
    )


def _response_format(spec: Any) -> Any:
    """A function turning the plain answer into the requested format."""
    if spec is None:
        return _identity
    if not isinstance(spec, dict) or "type" not in spec:
        raise ApiError(
            400,
            "Invalid 'response_format': expected an object with a 'type'.",
            param="response_format",
        )
    kind = spec["type"]
    if kind == "text":
        return _identity
    if kind == "json_object":
        return lambda answer: json.dumps({"answer": answer})
    if kind == "json_schema":
        json_schema = spec.get("json_schema")
        if not isinstance(json_schema, dict) or not isinstance(json_schema.get("name"), str):
            raise ApiError(
                400,
                "Missing required parameter: 'response_format.json_schema.name'.",
                code="missing_required_parameter",
                param="response_format.json_schema.name",
            )
        schema = json_schema.get("schema", {})
        try:
            instance_for_schema(schema)  # surface schema errors as a 400 up front
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ApiError(
                400,
                f"Invalid schema for response_format '{json_schema['name']}': {exc}",
                param="response_format",
            ) from None
        return lambda answer: json.dumps(instance_for_schema(schema, answer))
    raise ApiError(400, f"Invalid 'response_format.type': {kind!r}.", param="response_format.type")


def _identity(answer: str) -> str:
    return answer


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


_BLOB_PREFIX = "/blob/images/"
_MAX_STORED_IMAGES = 256
_IMAGE_LIMITS: dict[str, dict[str, tuple[str, ...]]] = {
    "dall-e-2": {"sizes": ("256x256", "512x512", "1024x1024"), "qualities": ("standard",)},
    "dall-e-3": {"sizes": ("1024x1024", "1792x1024", "1024x1792"), "qualities": ("standard", "hd")},
    "gpt-image": {
        "sizes": ("1024x1024", "1536x1024", "1024x1536"),
        "qualities": ("low", "medium", "high", "auto"),
    },
}


def _image_family(model: str) -> str:
    if model.startswith("gpt-image"):
        return "gpt-image"
    return model if model in ("dall-e-2", "dall-e-3") else "other"


def _model_obj(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 1_700_000_000, "owned_by": "loopback"}


def _cursor_page(
    items: list[dict[str, Any]], request: web.Request, default_limit: int = 10_000
) -> dict[str, Any]:
    """One page of a cursor-paginated list (`after` = id of the previous page's last item)."""
    after = request.query.get("after")
    if after is not None:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    try:
        limit = max(1, int(request.query.get("limit", default_limit)))
    except ValueError:
        limit = default_limit
    page = items[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(items) > limit,
    }


def _batch_error(
    code: str, message: str, line: int | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "line": line, "param": param}


def _check_batch_line(
    line: str, endpoint: str, seen: set[str]
) -> dict[str, Any] | tuple[str, str, str | None]:
    """A parsed batch request, or (code, message, param) describing what is wrong."""
    try:
        item = json.loads(line)
    except ValueError:
        return ("invalid_json_line", "This line is not parseable as valid JSON.", None)
    if not isinstance(item, dict):
        return ("invalid_request", "Each line must be a JSON object.", None)
    for key in ("custom_id", "method", "url", "body"):
        if key not in item:
            return ("missing_required_parameter", f"Missing required parameter: '{key}'.", key)
    if not isinstance(item["custom_id"], str):
        return ("invalid_request", "'custom_id' must be a string.", "custom_id")
    if item["method"] != "POST":
        return ("invalid_request", "Only the POST method is supported.", "method")
    if item["url"] != endpoint:
        message = f"The url {item['url']!r} does not match the batch endpoint {endpoint!r}."
        return ("mismatched_endpoint", message, "url")
    if not isinstance(item["body"], dict):
        return ("invalid_request", "'body' must be a JSON object.", "body")
    if item["custom_id"] in seen:
        return (
            "duplicate_custom_id",
            f"The custom_id {item['custom_id']!r} is used more than once.",
            "custom_id",
        )
    seen.add(item["custom_id"])
    return item


def _shuffled(lines: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """A shuffled copy that is guaranteed to differ from the input order when it can."""
    out = list(lines)
    rng.shuffle(out)
    if len(out) > 1 and all(a is b for a, b in zip(out, lines, strict=True)):
        out = out[1:] + out[:1]
    return out


if __name__ == "__main__":
    OpenAIServer.main()
