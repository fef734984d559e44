"""A loopback server that speaks Text Generation Inference's HTTP API.

This is what Hugging Face Inference Endpoints and `huggingface_hub`'s
`AsyncInferenceClient` talk to:

- `POST /v1/chat/completions`: OpenAI-style chat completions, with TGI's
  `response_format` grammars (`{"type": "json"|"json_object", "value": schema}`,
  `{"type": "regex", "value": pattern}`) and `{"type": "json_schema", ...}`.
- `POST /generate` and `POST /` (the compat route, which answers a one-element
  list): `{"inputs": prompt, "parameters": {...}}` with `details`,
  `top_n_tokens`, `grammar`, `stop`, `max_new_tokens`, `return_full_text`.
- `GET /info`.
- Text to image, on a server configured with `text_to_image=True` (an endpoint
  running a diffusion model): `POST /` and `POST /models/{org}/{model}` take
  `{"inputs": prompt, "parameters": {"width", "height", "negative_prompt",
  "num_inference_steps", "guidance_scale", "seed", "scheduler"}}` and answer the
  image's bytes (a solid-colour PNG, see `images.py`; 64x64 unless asked, where a
  real model draws 1024x1024), as `AsyncInferenceClient.text_to_image` sends.
- The same routes under `/models/{org}/{model}`, the URL shape of serverless
  requests (`{HF_INFERENCE_ENDPOINT}/models/{model_id}`).

Answers are deterministic: the answer to prompt `P` (the last user message for
chat) is `reply_template.format(prompt=P)`; a JSON grammar answers an instance of
the schema, a regex grammar the shortest string the regex matches. Parameters are
validated like TGI does (e.g. `temperature` must be strictly positive), answering
422 with `{"error": ..., "error_type": "validation"}`. Token counts are
whitespace-token counts. The markers of `openai_server` work here too, and
`fail_next=N` (see `faults.FailNextMixin`) fails the next N requests.

Run standalone: `python -m tests.servers.tgi_server --port 0`.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, ClassVar

from aiohttp import web

from tests.servers.base import JSON_KEY, LoopbackServer
from tests.servers.faults import FailNextMixin
from tests.servers.images import prompt_png
from tests.servers.openai_server import (
    ApiError,
    apply_stop,
    chat_logprobs,
    content_text,
    count_tokens,
    instance_for_schema,
    last_user_text,
    parse_markers,
    split_tokens,
    token_logprob,
    truncate_tokens,
)

try:  # Python >= 3.11
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

_ERROR_TYPES = {422: "validation", 429: "overloaded", 424: "generation"}


class TGIServer(FailNextMixin, LoopbackServer):
    """Fake TGI server (what an Inference Endpoint runs).

    Provider config keys (besides the base ones, see `LoopbackServer`):

    - `model_id` (str): what `/info` reports and chat completions echo as `model`.
    - `reply_template` (str): answer format, `{prompt}` is the user's text.
    - `text_to_image` (bool): `POST /` (and the serverless route) draw images
      instead of generating text.

    `api_key` (None by default) is checked as `Authorization: Bearer <key>`, the
    way Inference Endpoints check a Hugging Face token.
    """

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {
        **LoopbackServer.DEFAULT_CONFIG,
        **FailNextMixin.FAIL_NEXT_CONFIG,
        "model_id": "loopback/tgi-model",
        "reply_template": "Echo: {prompt}",
        "text_to_image": False,
    }

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/chat/completions", self.handle_chat),
            web.post("/generate", self.handle_generate),
            web.post("/", self.handle_compat),
            web.get("/info", self.handle_info),
            # The serverless shape, `{HF_INFERENCE_ENDPOINT}/models/{org}/{model}`.
            web.post("/models/{org}/{name}/v1/chat/completions", self.handle_chat),
            web.post("/models/{org}/{name}/generate", self.handle_generate),
            web.post("/models/{org}/{name}", self.handle_compat),
        ]

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        return {"error": message, "error_type": _ERROR_TYPES.get(status, "unknown")}

    def auth_error_body(self, request: web.Request) -> dict[str, Any]:
        return {"error": "Authorization header is correct, but the token seems invalid"}

    # ------------------------------------------------------------ handlers

    async def handle_info(self, request: web.Request) -> web.Response:
        return web.json_response({"model_id": self.config["model_id"], "version": "loopback"})

    async def handle_chat(self, request: web.Request) -> web.Response:
        failure = self.take_failure()
        if failure is not None:
            return failure
        try:
            body = _body(request)
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                raise ApiError(422, "Input validation error: `messages` must not be empty")
            prompt = last_user_text(messages)
            await self._apply_markers(prompt)
            return web.json_response(self.chat_completion(body, prompt))
        except ApiError as err:
            return self.json_error(err.status, err.message)

    async def handle_generate(self, request: web.Request) -> web.Response:
        return await self._generate(request, as_list=False)

    async def handle_compat(self, request: web.Request) -> web.Response:
        if self.config["text_to_image"]:
            return await self._text_to_image(request)
        return await self._generate(request, as_list=True)

    async def _text_to_image(self, request: web.Request) -> web.Response:
        failure = self.take_failure()
        if failure is not None:
            return failure
        try:
            body = _body(request)
            prompt = body.get("inputs")
            if not isinstance(prompt, str) or not prompt:
                raise ApiError(422, "Input validation error: `inputs` must be a non-empty string")
            parameters = body.get("parameters") or {}
            width, height = _image_parameters(parameters)
            await self._apply_markers(prompt)
        except ApiError as err:
            return self.json_error(err.status, err.message)
        # The seed picks the colour too, so a test sees that it arrived.
        index = parameters.get("seed") or 0
        return web.Response(body=prompt_png(prompt, width, height, index), content_type="image/png")

    async def _generate(self, request: web.Request, as_list: bool) -> web.Response:
        failure = self.take_failure()
        if failure is not None:
            return failure
        try:
            body = _body(request)
            prompt = body.get("inputs")
            if not isinstance(prompt, str):
                raise ApiError(422, "Input validation error: `inputs` must be a string")
            if body.get("stream"):
                raise ApiError(422, "Input validation error: the loopback server does not stream")
            await self._apply_markers(prompt)
            result = self.generate(prompt, body.get("parameters") or {})
            return web.json_response([result] if as_list else result)
        except ApiError as err:
            return self.json_error(err.status, err.message)

    async def _apply_markers(self, prompt: str) -> None:
        markers = parse_markers(prompt)
        if markers.sleep:
            await asyncio.sleep(markers.sleep)
        if markers.status is not None:
            raise ApiError(
                markers.status, f"Simulated error {markers.status} (requested by marker)."
            )

    # ---------------------------------------------------------- generation

    def _answer(self, prompt: str, grammar: Any) -> str:
        answer = self.config["reply_template"].format(prompt=prompt)
        return _apply_grammar(grammar, answer)

    def chat_completion(self, body: dict[str, Any], prompt: str) -> dict[str, Any]:
        _check_sampling(body)
        max_tokens = body.get("max_tokens")
        text = (
            "" if parse_markers(prompt).empty else self._answer(prompt, body.get("response_format"))
        )
        text, finish = _finish(text, body.get("stop") or [], max_tokens)
        logprobs = None
        if body.get("logprobs"):
            logprobs = chat_logprobs(text, body.get("top_logprobs") or 0)
            logprobs.pop("refusal", None)
        prompt_tokens = sum(count_tokens(content_text(m.get("content"))) for m in body["messages"])
        completion_tokens = count_tokens(text)
        return {
            "object": "chat.completion",
            "id": "",
            "created": int(time.time()),
            "model": body.get("model") or self.config["model_id"],
            "system_fingerprint": "loopback-native",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "logprobs": logprobs,
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def generate(self, prompt: str, parameters: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(parameters, dict):
            raise ApiError(422, "Input validation error: `parameters` must be an object")
        _check_sampling(parameters)
        max_new_tokens = parameters.get("max_new_tokens")
        if max_new_tokens is not None and (
            not isinstance(max_new_tokens, int) or max_new_tokens < 1
        ):
            raise ApiError(
                422, "Input validation error: `max_new_tokens` must be strictly positive"
            )
        text = (
            "" if parse_markers(prompt).empty else self._answer(prompt, parameters.get("grammar"))
        )
        text, finish = _finish(text, parameters.get("stop") or [], max_new_tokens)
        result: dict[str, Any] = {
            "generated_text": prompt + text if parameters.get("return_full_text") else text
        }
        if parameters.get("details"):
            tokens = split_tokens(text)
            top_n = parameters.get("top_n_tokens") or 0
            result["details"] = {
                "finish_reason": {"stop": "eos_token", "length": "length"}[finish],
                "generated_tokens": len(tokens),
                "seed": parameters.get("seed"),
                "prefill": [],
                "tokens": [
                    {"id": i, "text": token, "logprob": token_logprob(i), "special": False}
                    for i, token in enumerate(tokens)
                ],
                **(
                    {
                        "top_tokens": [
                            [
                                {
                                    "id": i * 100 + rank,
                                    "text": token if rank == 0 else f"{token}~{rank}",
                                    "logprob": token_logprob(i, rank),
                                    "special": False,
                                }
                                for rank in range(top_n)
                            ]
                            for i, token in enumerate(tokens)
                        ]
                    }
                    if top_n
                    else {}
                ),
            }
        return result


# ---------------------------------------------------------------- helpers


def _body(request: web.Request) -> dict[str, Any]:
    body = request.get(JSON_KEY)
    if not isinstance(body, dict):
        raise ApiError(422, "Failed to deserialize the JSON body into the target type")
    return body


def _check_sampling(params: dict[str, Any]) -> None:
    """TGI's own validation rules for the common sampling parameters."""
    temperature = params.get("temperature")
    if temperature is not None and (not isinstance(temperature, (int, float)) or temperature <= 0):
        raise ApiError(422, "Input validation error: `temperature` must be strictly positive")
    top_p = params.get("top_p")
    if top_p is not None and not 0 < top_p < 1:
        raise ApiError(422, "Input validation error: `top_p` must be > 0.0 and < 1.0")
    top_k = params.get("top_k")
    if top_k is not None and top_k <= 0:
        raise ApiError(422, "Input validation error: `top_k` must be strictly positive")
    stop = params.get("stop")
    if stop is not None and (not isinstance(stop, list) or len(stop) > 4):
        raise ApiError(422, "Input validation error: `stop` supports up to 4 stop sequences")


_IMAGE_PARAMETERS = {
    "width": int,
    "height": int,
    "num_inference_steps": int,
    "guidance_scale": (int, float),
    "negative_prompt": str,
    "seed": int,
    "scheduler": str,
}
_DEFAULT_IMAGE_SIDE = 64


def _image_parameters(parameters: Any) -> tuple[int, int]:
    """Check text-to-image parameters like the Inference API does; returns (width, height)."""
    if not isinstance(parameters, dict):
        raise ApiError(422, "Input validation error: `parameters` must be an object")
    for name, value in parameters.items():
        kind = _IMAGE_PARAMETERS.get(name)
        if kind is None:
            raise ApiError(422, f"Input validation error: unknown parameter `{name}` for text-to-image")
        if isinstance(value, bool) or not isinstance(value, kind):
            raise ApiError(422, f"Input validation error: `{name}` has the wrong type ({value!r})")
    for name in ("width", "height", "num_inference_steps"):
        if name in parameters and parameters[name] < 1:
            raise ApiError(422, f"Input validation error: `{name}` must be strictly positive")
    return parameters.get("width", _DEFAULT_IMAGE_SIDE), parameters.get("height", _DEFAULT_IMAGE_SIDE)


def _finish(text: str, stops: list[str], max_tokens: Any) -> tuple[str, str]:
    if stops:
        text = apply_stop(text, stops)
    if isinstance(max_tokens, int) and max_tokens >= 1:
        text, truncated = truncate_tokens(text, max_tokens)
        if truncated:
            return text, "length"
    return text, "stop"


def _apply_grammar(grammar: Any, answer: str) -> str:
    if grammar is None:
        return answer
    if not isinstance(grammar, dict) or "type" not in grammar:
        raise ApiError(422, "Input validation error: grammar must be {type, value}")
    kind, value = grammar["type"], grammar.get("value")
    if kind == "json_schema":
        kind, value = "json", (grammar.get("json_schema") or {}).get("schema", value)
    try:
        if kind in ("json", "json_object"):
            if isinstance(value, str):
                value = json.loads(value)
            return json.dumps(instance_for_schema(value if value is not None else {}, answer))
        if kind == "regex":
            return shortest_match(value)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ApiError(422, f"Input validation error: grammar is not valid: {exc}") from None
    raise ApiError(422, f"Input validation error: unknown grammar type {kind!r}")


def shortest_match(pattern: str) -> str:
    """A short string that `pattern` matches in full (for the regex subset TGI grammars use)."""
    return _render_regex(sre_parse.parse(pattern))


def _render_regex(parsed: Any) -> str:
    out = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_render_class(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.append(_render_regex(sub) * max(low, 0))
        elif name == "SUBPATTERN":
            out.append(_render_regex(arg[-1]))
        elif name == "BRANCH":
            out.append(_render_regex(arg[1][0]))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        elif name == "CATEGORY":
            out.append(_render_category(arg))
        else:
            raise ValueError(f"unsupported regex construct {name}")
    return "".join(out)


def _render_class(items: Any) -> str:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return _render_category(arg)
        if name == "NEGATE":
            raise ValueError("negated character classes are not supported")
    raise ValueError("empty character class")


def _render_category(category: Any) -> str:
    name = str(category)
    if "DIGIT" in name and "NOT" not in name:
        return "1"
    if "SPACE" in name and "NOT" not in name:
        return " "
    return "a"


if __name__ == "__main__":
    TGIServer.main()
