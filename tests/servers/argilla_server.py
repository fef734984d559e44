"""A loopback server that speaks the Argilla v2 HTTP API the `argilla` SDK (2.x) calls.

Routes (all under `/api/v1`, authenticated with the `X-Argilla-Api-Key` header):

- `GET /me`; `GET /me/workspaces`, `GET|POST /workspaces`, `GET /workspaces/{id}`.
- `GET /me/datasets`, `POST /datasets`, `GET|PATCH|DELETE /datasets/{id}`,
  `PUT /datasets/{id}/publish`, `GET /datasets/{id}/progress`.
- Settings of a dataset: `GET|POST /datasets/{id}/fields`, `.../questions`,
  `.../metadata-properties` (and `GET /me/datasets/{id}/metadata-properties`),
  `.../vectors-settings`.
- Records: `POST|PUT /datasets/{id}/records/bulk` (create / upsert), `GET /datasets/{id}/records`,
  `POST /datasets/{id}/records/search`.

It validates what the real server does for the tests to mean something: names are unique in a
workspace (409); fields and questions are added only while the dataset is a draft and
publishing needs at least one of each (422); records go only to a published dataset, with
values only for its fields, every required field given, and suggestions only for its questions
with a value the question allows (a rating among its values, a label among its labels, text
for a text question), else 422 with Argilla's `{"detail": ...}` body. A request to a route this
server does not know is answered 404, logged at WARNING and kept in `unknown_routes`.

Run standalone: `python -m tests.servers.argilla_server --port 0`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from functools import wraps
from typing import Any, ClassVar

from aiohttp import web

from tests.servers.base import LoopbackServer

logger = logging.getLogger("tests.servers.argilla_server")

ARGILLA_TEST_KEY = "argilla.apikey.loopback-test-0123456789"
_API = "/api/v1"


class ArgillaError(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(str(detail))
        self.status, self.detail = status, detail


_Handler = Callable[["ArgillaServer", web.Request], Awaitable[web.StreamResponse]]


def _argilla_errors(handler: _Handler) -> _Handler:
    @wraps(handler)
    async def wrapped(self: ArgillaServer, request: web.Request) -> web.StreamResponse:
        try:
            return await handler(self, request)
        except ArgillaError as error:
            return web.json_response({"detail": error.detail}, status=error.status)

    return wrapped


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _resource(**values: Any) -> dict[str, Any]:
    now = _now()
    return {"id": str(uuid.uuid4()), "inserted_at": now, "updated_at": now, **values}


class ArgillaServer(LoopbackServer):
    """Fake Argilla 2.x server.

    Provider config keys (besides the base ones, see `LoopbackServer`):

    - `workspaces` (list of str): the workspaces that exist at start; `["argilla"]` by
      default, the one a fresh Argilla server (and its Hugging Face Space) has.

    `api_key` (`ARGILLA_TEST_KEY` by default) is checked in `X-Argilla-Api-Key`; 401 otherwise.
    In thread mode a test may read `server.datasets` (id -> dataset with its `fields`,
    `questions`, `records`...) directly, or use `dataset_named(name)`.
    """

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {
        **LoopbackServer.DEFAULT_CONFIG,
        "api_key": ARGILLA_TEST_KEY,
        "workspaces": ["argilla"],
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = _resource(username="owner", role="owner", first_name="Owner", last_name=None)
        self.workspaces: dict[str, dict[str, Any]] = {}
        self.datasets: dict[str, dict[str, Any]] = {}
        self.unknown_routes: list[str] = []
        self.reset_state()

    # ------------------------------------------------------------ hooks

    def authenticate(self, request: web.Request) -> bool:
        expected = self.config["api_key"]
        return expected is None or request.headers.get("X-Argilla-Api-Key") == expected

    def auth_error_body(self, request: web.Request) -> dict[str, Any]:
        return {"detail": "Could not validate credentials"}

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        return {"detail": message}

    def reset_state(self) -> None:
        self.workspaces = {}
        for name in self.config["workspaces"]:
            workspace = _resource(name=name)
            self.workspaces[workspace["id"]] = workspace
        self.datasets = {}
        self.unknown_routes = []

    def routes(self) -> list[web.RouteDef]:
        ds = _API + "/datasets/{dataset_id}"
        return [
            web.get(_API + "/me", self._me),
            web.get(_API + "/me/workspaces", self._list_workspaces),
            web.get(_API + "/workspaces", self._list_workspaces),
            web.post(_API + "/workspaces", self._create_workspace),
            web.get(_API + "/workspaces/{workspace_id}", self._get_workspace),
            web.get(_API + "/me/datasets", self._list_datasets),
            web.post(_API + "/datasets", self._create_dataset),
            web.get(ds, self._get_dataset),
            web.patch(ds, self._update_dataset),
            web.delete(ds, self._delete_dataset),
            web.put(ds + "/publish", self._publish),
            web.get(ds + "/progress", self._progress),
            web.get(ds + "/fields", self._list_settings),
            web.post(ds + "/fields", self._add_setting),
            web.get(ds + "/questions", self._list_settings),
            web.post(ds + "/questions", self._add_setting),
            web.get(ds + "/metadata-properties", self._list_settings),
            web.get(_API + "/me/datasets/{dataset_id}/metadata-properties", self._list_settings),
            web.post(ds + "/metadata-properties", self._add_setting),
            web.get(ds + "/vectors-settings", self._list_settings),
            web.post(ds + "/vectors-settings", self._add_setting),
            web.post(ds + "/records/bulk", self._bulk_records),
            web.put(ds + "/records/bulk", self._bulk_records),
            web.get(ds + "/records", self._list_records),
            web.post(ds + "/records/search", self._search_records),
            web.route("*", "/{tail:.*}", self._unknown),
        ]

    def admin_routes(self) -> list[web.RouteDef]:
        return [*super().admin_routes(), web.get("/__admin/unknown", self._admin_unknown)]

    # ------------------------------------------------------------ for tests

    def unknown(self) -> list[str]:
        """The requests (`METHOD /path`) to routes this server does not know."""
        return list(self.unknown_routes) if self.mode == "thread" else self._admin("GET", "unknown")

    def dataset_named(self, name: str, workspace: str = "argilla") -> dict[str, Any]:
        """The stored dataset (thread mode): its model, `fields`, `questions` and `records`."""
        for dataset in self.datasets.values():
            if dataset["name"] == name and self.workspaces[dataset["workspace_id"]]["name"] == workspace:
                return dataset
        raise KeyError(f"no dataset {name!r} in workspace {workspace!r}")

    # ------------------------------------------------------------ helpers

    def _dataset(self, request: web.Request) -> dict[str, Any]:
        dataset = self.datasets.get(request.match_info["dataset_id"])
        if dataset is None:
            raise ArgillaError(404, f"Dataset with id `{request.match_info['dataset_id']}` not found")
        return dataset

    @staticmethod
    def _model(dataset: dict[str, Any]) -> dict[str, Any]:
        keys = ("id", "name", "guidelines", "allow_extra_metadata", "status", "distribution", "workspace_id",
                "last_activity_at", "inserted_at", "updated_at")
        return {key: dataset[key] for key in keys}

    # ------------------------------------------------------------ users and workspaces

    async def _me(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.user)

    async def _list_workspaces(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"items": list(self.workspaces.values())})

    @_argilla_errors
    async def _create_workspace(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if any(w["name"] == body.get("name") for w in self.workspaces.values()):
            raise ArgillaError(409, f"Workspace with name `{body.get('name')}` already exists")
        workspace = _resource(name=body["name"])
        self.workspaces[workspace["id"]] = workspace
        return web.json_response(workspace, status=201)

    @_argilla_errors
    async def _get_workspace(self, request: web.Request) -> web.StreamResponse:
        workspace = self.workspaces.get(request.match_info["workspace_id"])
        if workspace is None:
            raise ArgillaError(404, f"Workspace with id `{request.match_info['workspace_id']}` not found")
        return web.json_response(workspace)

    # ------------------------------------------------------------ datasets

    async def _list_datasets(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"items": [self._model(d) for d in self.datasets.values()]})

    @_argilla_errors
    async def _create_dataset(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        workspace_id = body.get("workspace_id")
        if workspace_id not in self.workspaces:
            raise ArgillaError(422, f"Workspace with id `{workspace_id}` not found")
        name = body.get("name")
        if any(d["name"] == name and d["workspace_id"] == workspace_id for d in self.datasets.values()):
            raise ArgillaError(409, f"Dataset with name `{name}` already exists for workspace with id `{workspace_id}`")
        dataset = _resource(
            name=name,
            guidelines=body.get("guidelines"),
            allow_extra_metadata=body.get("allow_extra_metadata", True),
            status="draft",
            distribution=body.get("distribution") or {"strategy": "overlap", "min_submitted": 1},
            workspace_id=workspace_id,
            last_activity_at=_now(),
        )
        dataset.update({"fields": [], "questions": [], "metadata-properties": [], "vectors-settings": [], "records": []})
        self.datasets[dataset["id"]] = dataset
        return web.json_response(self._model(dataset), status=201)

    @_argilla_errors
    async def _get_dataset(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._model(self._dataset(request)))

    @_argilla_errors
    async def _update_dataset(self, request: web.Request) -> web.StreamResponse:
        dataset = self._dataset(request)
        body = await request.json()
        for key in ("name", "guidelines", "allow_extra_metadata", "distribution"):
            if key in body:
                dataset[key] = body[key]
        dataset["updated_at"] = _now()
        return web.json_response(self._model(dataset))

    @_argilla_errors
    async def _delete_dataset(self, request: web.Request) -> web.StreamResponse:
        dataset = self._dataset(request)
        del self.datasets[dataset["id"]]
        return web.json_response(self._model(dataset))

    @_argilla_errors
    async def _publish(self, request: web.Request) -> web.StreamResponse:
        dataset = self._dataset(request)
        if dataset["status"] == "ready":
            raise ArgillaError(422, "Dataset is already published")
        if not dataset["fields"]:
            raise ArgillaError(422, "Dataset cannot be published without fields")
        if not dataset["questions"]:
            raise ArgillaError(422, "Dataset cannot be published without questions")
        if not any(field["required"] for field in dataset["fields"]):
            raise ArgillaError(422, "Dataset cannot be published without required fields")
        dataset["status"] = "ready"
        return web.json_response(self._model(dataset))

    @_argilla_errors
    async def _progress(self, request: web.Request) -> web.StreamResponse:
        dataset = self._dataset(request)
        total = len(dataset["records"])
        return web.json_response({"total": total, "completed": 0, "pending": total})

    # ------------------------------------------------------------ settings

    @staticmethod
    def _kind(request: web.Request) -> str:
        return request.path.rstrip("/").rsplit("/", 1)[-1]

    @_argilla_errors
    async def _list_settings(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"items": self._dataset(request)[self._kind(request)]})

    @_argilla_errors
    async def _add_setting(self, request: web.Request) -> web.StreamResponse:
        dataset = self._dataset(request)
        kind = self._kind(request)
        body = await request.json()
        if kind in ("fields", "questions") and dataset["status"] != "draft":
            raise ArgillaError(422, f"{kind} cannot be added to a published dataset")
        if any(item["name"] == body.get("name") for item in dataset[kind]):
            raise ArgillaError(409, f"{kind[:-1]} with name `{body.get('name')}` already exists for this dataset")
        item = _resource(**{k: v for k, v in body.items() if k not in ("id", "inserted_at", "updated_at")})
        item["dataset_id"] = dataset["id"]
        item.setdefault("title", body.get("name"))
        dataset[kind].append(item)
        return web.json_response(item, status=201)

    # ------------------------------------------------------------ records

    @_argilla_errors
    async def _bulk_records(self, request: web.Request) -> web.StreamResponse:
        dataset = self._dataset(request)
        if dataset["status"] != "ready":
            raise ArgillaError(422, "Records cannot be created for a non published dataset")
        items = (await request.json())["items"]
        created, updated = [], []
        for index, item in enumerate(items):
            record = self._validated_record(dataset, item, index)
            existing = next(
                (r for r in dataset["records"] if item.get("id") and r["id"] == str(item["id"])), None
            ) or next((r for r in dataset["records"] if r["external_id"] == record["external_id"]), None)
            if existing is not None and request.method == "PUT":
                existing.update({k: v for k, v in record.items() if k not in ("id", "inserted_at")})
                updated.append(existing["id"])
                created.append(existing)
            elif existing is not None:
                raise ArgillaError(409, f"Record with external_id `{record['external_id']}` already exists")
            else:
                dataset["records"].append(record)
                created.append(record)
        body: dict[str, Any] = {"items": created}
        if request.method == "PUT":
            body["updated_item_ids"] = updated
        return web.json_response(body)

    def _validated_record(self, dataset: dict[str, Any], item: dict[str, Any], index: int) -> dict[str, Any]:
        fields = {field["name"]: field for field in dataset["fields"]}
        values = item.get("fields") or {}
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise ArgillaError(422, f"record at position {index} is not valid: found fields values for non configured fields: {unknown!r}")
        for name, field in fields.items():
            value = values.get(name)
            if field["required"] and (value is None or value == ""):
                raise ArgillaError(422, f"record at position {index} is not valid: missing required value for field: {name!r}")
            if value is not None and field["settings"]["type"] == "text" and not isinstance(value, str):
                raise ArgillaError(422, f"record at position {index} is not valid: text field {name!r} needs a str value, got {value!r}")
        questions = {question["name"]: question for question in dataset["questions"]}
        questions_by_id = {question["id"]: question for question in dataset["questions"]}
        suggestions = []
        for suggestion in item.get("suggestions") or []:
            question = questions_by_id.get(str(suggestion.get("question_id"))) or questions.get(suggestion.get("question_name"))
            if question is None:
                raise ArgillaError(422, f"record at position {index} is not valid: suggestion for an unknown question {suggestion!r}")
            _check_answer(question, suggestion.get("value"), index)
            suggestions.append(
                {**suggestion, "id": str(uuid.uuid4()), "question_id": question["id"], "question_name": question["name"]}
            )
        return _resource(
            status="pending",
            fields=values,
            metadata=item.get("metadata") or {},
            vectors=item.get("vectors") or {},
            responses=item.get("responses") or [],
            suggestions=suggestions,
            external_id=str(item.get("external_id") or uuid.uuid4()),
            dataset_id=dataset["id"],
        )

    @_argilla_errors
    async def _list_records(self, request: web.Request) -> web.StreamResponse:
        dataset = self._dataset(request)
        offset, limit = int(request.query.get("offset", 0)), int(request.query.get("limit", 50))
        return web.json_response({"items": dataset["records"][offset : offset + limit], "total": len(dataset["records"])})

    @_argilla_errors
    async def _search_records(self, request: web.Request) -> web.StreamResponse:
        dataset = self._dataset(request)
        offset, limit = int(request.query.get("offset", 0)), int(request.query.get("limit", 50))
        records = dataset["records"][offset : offset + limit]
        return web.json_response(
            {"items": [{"record": record, "query_score": None} for record in records], "total": len(dataset["records"])}
        )

    # ------------------------------------------------------------ the rest

    async def _unknown(self, request: web.Request) -> web.StreamResponse:
        what = f"{request.method} {request.path_qs}"
        self.unknown_routes.append(what)
        logger.warning("ArgillaServer: no route for %s (add it to tests/servers/argilla_server.py)", what)
        return web.json_response({"detail": f"ArgillaServer has no route for {what}"}, status=404)

    async def _admin_unknown(self, request: web.Request) -> web.Response:
        return web.json_response(self.unknown_routes)


def _check_answer(question: dict[str, Any], value: Any, index: int) -> None:
    """Reject a suggestion value the question does not allow, as Argilla does (422)."""
    settings = question["settings"]
    kind = settings["type"]
    allowed = [option["value"] for option in settings.get("options") or []]
    problem = None
    if kind == "rating" and value not in allowed:
        problem = f"{value!r} is not a valid rating for question {question['name']!r}: {allowed}"
    elif kind == "label_selection" and value not in allowed:
        problem = f"{value!r} is not a valid label for question {question['name']!r}: {allowed}"
    elif kind == "multi_label_selection" and (not isinstance(value, list) or set(value) - set(allowed)):
        problem = f"{value!r} is not a valid list of labels for question {question['name']!r}: {allowed}"
    elif kind == "text" and not isinstance(value, str):
        problem = f"{value!r} is not a text answer for question {question['name']!r}"
    if problem is not None:
        raise ArgillaError(422, f"record at position {index} is not valid: {problem}")


if __name__ == "__main__":
    ArgillaServer.main()
