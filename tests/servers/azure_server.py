"""A loopback Azure OpenAI server: OpenAI's bodies under Azure's deployment routes.

Azure addresses a deployment, not a model (``/openai/deployments/{deployment}/...``),
requires an ``api-version`` query parameter, and authenticates with an ``api-key``
header. Everything else is the OpenAI server's behaviour, markers included.
"""

from __future__ import annotations

from aiohttp import web

from tests.servers.openai_server import OpenAIServer


class AzureOpenAIServer(OpenAIServer):
    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/openai/deployments/{deployment}/chat/completions", self._azure(self.handle_chat)),
            web.post("/openai/deployments/{deployment}/completions", self._azure(self.handle_completions)),
        ]

    def _azure(self, handler):  # type: ignore[no-untyped-def]
        async def handle(request: web.Request) -> web.StreamResponse:
            if not request.query.get("api-version"):
                return web.json_response(
                    self.error_body(404, "Resource not found: the api-version query parameter is required"), status=404
                )
            return await handler(request)

        return handle

    def authenticate(self, request: web.Request) -> bool:
        expected = self.config["api_key"]
        return expected is None or request.headers.get("api-key") == expected


if __name__ == "__main__":
    AzureOpenAIServer.main()
