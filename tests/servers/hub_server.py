"""A loopback server that speaks the Hugging Face Hub's HTTP API, enough for datasets.

What `huggingface_hub` (`HfApi`, `hf_hub_download`, `HfFileSystem`) and `datasets`
(`push_to_hub`, `load_dataset`) call for a push and a read back:

- `GET  /api/whoami-v2`: the user a token belongs to.
- `GET  /api/agent-harnesses`: an empty registry (`huggingface_hub` fetches it for its user agent).
- `POST /api/repos/create`: `{"name", "organization", "type", "visibility"}` (or the older
  `private`); 409 when it exists.
- `POST /api/validate-yaml`: a README's metadata block must be a YAML mapping, and each of its
  `configs` needs a `config_name` and `data_files` (400 with `errors` otherwise).
- `GET  /api/{type}s/{ns}/{name}` and `.../revision/{rev}`: repo info (`sha`, `siblings`, `cardData`).
- `POST /api/{type}s/{ns}/{name}/preupload/{rev}`: a file the repo's `.gitattributes` sends to LFS
  (`*.parquet`, `*.arrow`... as on a new Hub repo) or that holds binary bytes is an "lfs" upload,
  any other file "regular" (its content travels base64 in the commit).
- `POST /{type}s/{ns}/{name}.git/info/lfs/objects/batch` (the git LFS batch API, "basic" transfer),
  then `PUT /lfs-objects/{sha256}` (checked against the sha256) and `POST /lfs-objects/{sha256}/verify`.
  This server speaks LFS, not Xet (whose chunk store `hf_xet` talks to in its own protocol): clients
  run with `HF_HUB_DISABLE_XET=1`, which makes `huggingface_hub` upload through LFS.
- `POST /api/{type}s/{ns}/{name}/commit/{rev}`: the NDJSON commit (`header`, `file`, `lfsFile` of an
  uploaded object, `deletedFile`, `deletedFolder`), with `parentCommit` checked (412 when it is not
  the head).
- `GET  /api/{type}s/{ns}/{name}/tree/{rev}[/{path}]` (`recursive`), `POST .../paths-info/{rev}`.
- `GET  /api/{type}s/{ns}/{name}/refs`, `.../commits/{rev}`, `POST .../branch/{branch}`.
- `GET|HEAD /{type}s/{ns}/{name}/resolve/{rev}/{path}` (and `/{ns}/{name}/resolve/...` for models),
  with `ETag` (`X-Linked-Etag` / `X-Linked-Size` for LFS files), `X-Repo-Commit`, `Content-Length`
  and byte ranges; `.../raw/{rev}/{path}` too.

Repositories live in memory: one list of commits per branch, each commit a full snapshot of
the files (a test pushes kilobytes). Reads of a public repository need no token; writes and
private repositories need one of `tokens` (`{token: user}`), else 401. A request to a route this
server does not know is answered 404, logged at WARNING and kept in `unknown_routes`
(`GET /__admin/unknown` in process mode): a test that sees one knows what to add here.

Run standalone: `python -m tests.servers.hub_server --port 0`.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, ClassVar
from urllib.parse import unquote

from aiohttp import web

from tests.servers.base import LoopbackServer

logger = logging.getLogger("tests.servers.hub_server")

HUB_TEST_TOKEN = "hf_loopbackTestToken0123456789abcdef"
HUB_TEST_USER = "tester"
_TYPES = "models|datasets|spaces"
# A part of the `.gitattributes` the Hub gives a new repository.
_GITATTRIBUTES = b"".join(
    b"%s filter=lfs diff=lfs merge=lfs -text\n" % pattern
    for pattern in (b"*.arrow", b"*.bin", b"*.parquet", b"*.safetensors", b"*.zip", b"*.png", b"*.jpg")
)


def git_blob_oid(content: bytes) -> str:
    """The git object id of a blob: what the Hub reports as a regular file's `oid` / `ETag`."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass(frozen=True)
class StoredFile:
    content: bytes
    lfs: bool = False

    @property
    def pointer(self) -> bytes:
        """The git LFS pointer file git stores in place of an LFS file's content."""
        sha = hashlib.sha256(self.content).hexdigest()
        return b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n" % (sha.encode(), len(self.content))

    def entry(self, path: str) -> dict[str, Any]:
        """The file's tree / paths-info entry."""
        if not self.lfs:
            return {"type": "file", "oid": git_blob_oid(self.content), "size": len(self.content), "path": path}
        pointer = self.pointer
        lfs = {"oid": hashlib.sha256(self.content).hexdigest(), "size": len(self.content), "pointerSize": len(pointer)}
        return {"type": "file", "oid": git_blob_oid(pointer), "size": len(self.content), "path": path, "lfs": lfs}


@dataclass
class Commit:
    oid: str
    title: str
    description: str
    files: dict[str, StoredFile]
    date: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()))


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    owner: str
    branches: dict[str, list[Commit]] = field(default_factory=dict)

    def head(self, revision: str) -> Commit | None:
        """The commit a revision names: a branch, a commit oid (or a prefix of one)."""
        revision = unquote(revision)
        if revision in self.branches:
            return self.branches[revision][-1]
        for commits in self.branches.values():
            for commit in commits:
                if len(revision) >= 7 and commit.oid.startswith(revision):
                    return commit
        return None


class HubError(Exception):
    """An error the handler answers in the Hub's format (with its `X-Error-Code`)."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


_Handler = Callable[["HubServer", web.Request], Awaitable[web.StreamResponse]]


def _hub_errors(handler: _Handler) -> _Handler:
    """Answer a `HubError` raised by the handler as the Hub does: `{"error": ...}` and `X-Error-Code`."""

    @wraps(handler)
    async def wrapped(self: HubServer, request: web.Request) -> web.StreamResponse:
        try:
            return await handler(self, request)
        except HubError as error:
            headers = {"X-Error-Code": error.code} if error.code else None
            return web.json_response({"error": error.message}, status=error.status, headers=headers)

    return wrapped


class HubServer(LoopbackServer):
    """Fake Hugging Face Hub.

    Provider config keys (besides the base ones, see `LoopbackServer`):

    - `tokens` (dict): token -> user name; `{HUB_TEST_TOKEN: "tester"}` by default.

    `api_key` of the base class stays None: which token a route needs depends on the
    route and the repository, as on the real Hub. In thread mode a test may read
    `server.repos` directly (`server.files("tester/name")` gives a branch's files).
    """

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {
        **LoopbackServer.DEFAULT_CONFIG,
        "tokens": {HUB_TEST_TOKEN: HUB_TEST_USER},
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.unknown_routes: list[str] = []

    # ------------------------------------------------------------ routes

    def routes(self) -> list[web.RouteDef]:
        api = "/api/{rtype:" + _TYPES + "}/{ns}/{name}"
        return [
            web.get("/api/whoami-v2", self._whoami),
            web.get("/api/agent-harnesses", self._agent_harnesses),
            web.post("/api/repos/create", self._create_repo),
            web.post("/api/validate-yaml", self._validate_yaml),
            web.get(api, self._repo_info),
            web.get(api + "/revision/{rev}", self._repo_info),
            web.post(api + "/preupload/{rev}", self._preupload),
            web.post(api + "/commit/{rev}", self._commit),
            web.get(api + "/tree/{rev}", self._tree),
            web.get(api + "/tree/{rev}/{path:.*}", self._tree),
            web.post(api + "/paths-info/{rev}", self._paths_info),
            web.get(api + "/refs", self._refs),
            web.get(api + "/commits/{rev}", self._commits),
            web.post(api + "/branch/{branch}", self._create_branch),
            web.post("/{rtype:datasets|spaces}/{ns}/{name}.git/info/lfs/objects/batch", self._lfs_batch),
            web.post("/{ns}/{name}.git/info/lfs/objects/batch", self._lfs_batch),
            web.put("/lfs-objects/{oid}", self._lfs_put),
            web.post("/lfs-objects/{oid}/verify", self._lfs_verify),
            web.route("*", "/{rtype:datasets|spaces}/{ns}/{name}/{kind:resolve|raw}/{rev}/{path:.*}", self._resolve),
            web.route("*", "/{ns}/{name}/{kind:resolve|raw}/{rev}/{path:.*}", self._resolve),
            web.route("*", "/{tail:.*}", self._unknown),
        ]

    def admin_routes(self) -> list[web.RouteDef]:
        return [*super().admin_routes(), web.get("/__admin/unknown", self._admin_unknown)]

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        return {"error": message}

    def reset_state(self) -> None:
        self.repos.clear()
        self.lfs_objects.clear()
        self.unknown_routes.clear()

    # ------------------------------------------------------------ for tests

    def unknown(self) -> list[str]:
        """The requests (`METHOD /path`) to routes this server does not know."""
        return list(self.unknown_routes) if self.mode == "thread" else self._admin("GET", "unknown")

    def files(self, repo_id: str, repo_type: str = "datasets", branch: str = "main") -> dict[str, bytes]:
        """The files of a branch of a repository (thread mode)."""
        repo = self.repos[(repo_type, repo_id)]
        return {path: stored.content for path, stored in repo.branches[branch][-1].files.items()}

    def commits(self, repo_id: str, repo_type: str = "datasets", branch: str = "main") -> list[Commit]:
        """The commits of a branch, oldest first (thread mode)."""
        return list(self.repos[(repo_type, repo_id)].branches[branch])

    # ------------------------------------------------------------ helpers

    def _user(self, request: web.Request) -> str | None:
        """The user of the request's token; None without one; 401 for a token the Hub does not know."""
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        user = self.config["tokens"].get(header.removeprefix("Bearer ").strip())
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header", "InvalidCredentials")
        return user

    def _require_user(self, request: web.Request) -> str:
        user = self._user(request)
        if user is None:
            raise HubError(401, "You must be authenticated to access this resource.", "AuthenticationRequired")
        return user

    def _repo(self, request: web.Request, write: bool = False) -> Repo:
        info = request.match_info
        rtype = info.get("rtype", "models")
        repo_id = f"{info['ns']}/{info['name']}"
        user = self._require_user(request) if write else self._user(request)
        repo = self.repos.get((rtype, repo_id))
        # The Hub answers 404, never 403, for a private repository the user cannot see.
        if repo is None or (repo.private and user != repo.owner):
            raise HubError(404, f"Repository not found: {rtype}/{repo_id}", "RepoNotFound")
        if write and user != repo.owner:
            raise HubError(403, f"You don't have the rights to write to {rtype}/{repo_id}", "Forbidden")
        return repo

    @staticmethod
    def _commit_of(repo: Repo, revision: str) -> Commit:
        commit = repo.head(revision)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {unquote(revision)}", "RevisionNotFound")
        return commit

    @staticmethod
    def _branch(repo: Repo, revision: str) -> list[Commit]:
        revision = unquote(revision)
        if revision not in repo.branches:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return repo.branches[revision]

    @staticmethod
    def _repo_url(request: web.Request, rtype: str, repo_id: str) -> str:
        prefix = "" if rtype == "models" else f"/{rtype}"
        return f"http://{request.host}{prefix}/{repo_id}"

    # ------------------------------------------------------------ account and repos

    @_hub_errors
    async def _whoami(self, request: web.Request) -> web.StreamResponse:
        user = self._require_user(request)
        return web.json_response(
            {
                "type": "user",
                "name": user,
                "fullname": user.title(),
                "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"displayName": "tests", "role": "write"}},
            }
        )

    async def _agent_harnesses(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"standardEnvVars": [], "harnesses": {}})

    @_hub_errors
    async def _create_repo(self, request: web.Request) -> web.StreamResponse:
        user = self._require_user(request)
        body = await request.json()
        rtype = (body.get("type") or "model") + "s"
        namespace = body.get("organization") or user
        repo_id = f"{namespace}/{body['name']}"
        if namespace != user:
            raise HubError(403, f"You don't have the rights to create a repo under {namespace!r}", "Forbidden")
        url = self._repo_url(request, rtype, repo_id)
        if (rtype, repo_id) in self.repos:
            return web.json_response({"error": "You already created this repo", "url": url}, status=409)
        # `visibility` ("public" / "private" / "protected") took over from the older `private` flag.
        private = body.get("visibility") in ("private", "protected") or bool(body.get("private"))
        repo = Repo(repo_type=rtype, repo_id=repo_id, private=private, owner=user)
        repo.branches["main"] = [Commit(_new_oid(), "initial commit", "", {".gitattributes": StoredFile(_GITATTRIBUTES)})]
        self.repos[(rtype, repo_id)] = repo
        return web.json_response({"url": url, "name": repo_id, "id": uuid.uuid4().hex[:24]})

    async def _validate_yaml(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        errors = [{"message": message} for message in _metadata_errors(body.get("content", ""))]
        return web.json_response({"errors": errors, "warnings": []}, status=400 if errors else 200)

    @_hub_errors
    async def _repo_info(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        commit = self._commit_of(repo, request.match_info.get("rev", "main"))
        readme = commit.files.get("README.md")
        return web.json_response(
            {
                "_id": hashlib.md5(repo.repo_id.encode()).hexdigest()[:24],
                "id": repo.repo_id,
                "author": repo.owner,
                "sha": commit.oid,
                "lastModified": commit.date,
                "createdAt": repo.branches["main"][0].date,
                "private": repo.private,
                "gated": False,
                "disabled": False,
                "downloads": 0,
                "likes": 0,
                "tags": [],
                "cardData": _card_data(readme.content) if readme else None,
                "siblings": [{"rfilename": path} for path in sorted(commit.files)],
            }
        )

    @_hub_errors
    async def _refs(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        branches = [
            {"name": name, "ref": f"refs/heads/{name}", "targetCommit": commits[-1].oid}
            for name, commits in repo.branches.items()
        ]
        return web.json_response({"branches": branches, "tags": [], "converts": []})

    @_hub_errors
    async def _commits(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        commits = self._branch(repo, request.match_info["rev"])
        return web.json_response(
            [
                {"id": c.oid, "title": c.title, "message": c.description, "authors": [{"user": repo.owner}], "date": c.date}
                for c in reversed(commits)
            ]
        )

    @_hub_errors
    async def _create_branch(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request, write=True)
        branch = unquote(request.match_info["branch"])
        body = (await request.json() if request.can_read_body else None) or {}
        if branch in repo.branches:
            return web.json_response({"error": f"Reference already exists: refs/heads/{branch}"}, status=409)
        repo.branches[branch] = [self._commit_of(repo, body.get("startingPoint") or "main")]
        return web.json_response({"success": True})

    # ------------------------------------------------------------ uploads

    @_hub_errors
    async def _preupload(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request, write=True)
        head = repo.head(request.match_info["rev"])
        body = await request.json()
        gitattributes = head.files.get(".gitattributes") if head else None
        lfs_patterns = _lfs_patterns(body.get("gitAttributes") or (gitattributes.content.decode() if gitattributes else ""))
        files = []
        for item in body["files"]:
            sample = base64.b64decode(item.get("sample", ""))
            lfs = b"\0" in sample or any(fnmatch.fnmatch(item["path"].rsplit("/", 1)[-1], p) for p in lfs_patterns)
            existing = head.files.get(item["path"]) if head else None
            files.append(
                {
                    "path": item["path"],
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                    "oid": existing.entry(item["path"])["oid"] if existing is not None else None,
                }
            )
        return web.json_response({"files": files, "commitOid": head.oid if head else None})

    @_hub_errors
    async def _lfs_batch(self, request: web.Request) -> web.StreamResponse:
        self._repo(request, write=True)
        body = await request.json()
        if body.get("operation") != "upload":
            raise HubError(400, f"This server only takes LFS uploads, not {body.get('operation')!r}")
        objects = []
        for item in body["objects"]:
            oid, size = item["oid"], item["size"]
            entry: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            if oid not in self.lfs_objects:
                base = f"http://{request.host}/lfs-objects/{oid}"
                entry["actions"] = {"upload": {"href": base, "header": {}}, "verify": {"href": base + "/verify", "header": {}}}
            objects.append(entry)
        return web.json_response({"transfer": "basic", "objects": objects}, content_type="application/vnd.git-lfs+json")

    @_hub_errors
    async def _lfs_put(self, request: web.Request) -> web.StreamResponse:
        oid = request.match_info["oid"]
        content = await request.read()
        if hashlib.sha256(content).hexdigest() != oid:
            raise HubError(400, f"The uploaded content does not hash to {oid}")
        self.lfs_objects[oid] = content
        return web.Response(status=200)

    @_hub_errors
    async def _lfs_verify(self, request: web.Request) -> web.StreamResponse:
        oid = request.match_info["oid"]
        body = await request.json()
        stored = self.lfs_objects.get(oid)
        if stored is None or len(stored) != body.get("size"):
            raise HubError(404, f"LFS object {oid} was not uploaded (or has another size)")
        return web.json_response({"success": True})

    @_hub_errors
    async def _commit(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request, write=True)
        commits = self._branch(repo, request.match_info["rev"])
        if request.query.get("create_pr"):
            raise HubError(400, "This server does not open pull requests")
        lines = [json.loads(line) for line in (await request.read()).splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "The first line of a commit must be its header")
        header = lines[0]["value"]
        parent = header.get("parentCommit")
        if parent is not None and parent != commits[-1].oid:
            raise HubError(412, f"Parent commit {parent} is not the head ({commits[-1].oid})")
        files = dict(commits[-1].files)
        for line in lines[1:]:
            key, value = line.get("key"), line.get("value", {})
            if key == "file":
                if value.get("encoding", "base64") != "base64":
                    raise HubError(400, f"Unsupported encoding {value.get('encoding')!r}")
                files[value["path"]] = StoredFile(base64.b64decode(value["content"]))
            elif key == "lfsFile":
                content = self.lfs_objects.get(value["oid"])
                if content is None:
                    raise HubError(400, f"{value['path']}: LFS object {value['oid']} was never uploaded")
                files[value["path"]] = StoredFile(content, lfs=True)
            elif key == "deletedFile":
                if files.pop(value["path"], None) is None:
                    raise HubError(404, f"File to delete not found: {value['path']}", "EntryNotFound")
            elif key == "deletedFolder":
                folder = value["path"].rstrip("/") + "/"
                for path in [p for p in files if p.startswith(folder)]:
                    del files[path]
            else:
                raise HubError(400, f"Unknown commit operation {key!r}")
        commit = Commit(_new_oid(), header.get("summary", ""), header.get("description", ""), files)
        commits.append(commit)
        url = self._repo_url(request, repo.repo_type, repo.repo_id)
        return web.json_response(
            {"success": True, "commitOid": commit.oid, "commitUrl": f"{url}/commit/{commit.oid}", "pullRequestUrl": None}
        )

    # ------------------------------------------------------------ reads

    @_hub_errors
    async def _tree(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        commit = self._commit_of(repo, request.match_info["rev"])
        path = unquote(request.match_info.get("path", "")).strip("/")
        recursive = request.query.get("recursive", "false").lower() in ("1", "true")
        entries = _tree_entries(commit.files, path, recursive)
        if path and not entries:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        return web.json_response(entries)

    @_hub_errors
    async def _paths_info(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        commit = self._commit_of(repo, request.match_info["rev"])
        if request.content_type == "application/json":
            paths = (await request.json()).get("paths", [])
        else:
            paths = (await request.post()).getall("paths", [])
        result = []
        for path in (p.strip("/") for p in paths):
            if path in commit.files:
                result.append(commit.files[path].entry(path))
            elif any(p.startswith(path + "/") for p in commit.files):
                result.append(_folder_entry(path))
        return web.json_response(result)

    @_hub_errors
    async def _resolve(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            raise HubError(405, f"Method {request.method} not allowed")
        repo = self._repo(request)
        commit = self._commit_of(repo, request.match_info["rev"])
        path = unquote(request.match_info["path"])
        stored = commit.files.get(path)
        if stored is None:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        content = stored.content
        if request.match_info["kind"] == "raw" and stored.lfs:
            content = stored.pointer  # `raw` shows what git stores
        headers = {
            "ETag": f'"{git_blob_oid(content)}"',
            "X-Repo-Commit": commit.oid,
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if stored.lfs and request.match_info["kind"] == "resolve":
            headers["X-Linked-Etag"] = f'"{hashlib.sha256(content).hexdigest()}"'
            headers["X-Linked-Size"] = str(len(content))
        status, body = 200, content
        ranged = _byte_range(request.headers.get("Range"), len(content))
        if ranged is not None:
            start, end = ranged
            status, body = 206, content[start : end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return web.Response(status=status, headers=headers)
        return web.Response(status=status, body=body, headers=headers)

    # ------------------------------------------------------------ the rest

    async def _unknown(self, request: web.Request) -> web.StreamResponse:
        what = f"{request.method} {request.path_qs}"
        self.unknown_routes.append(what)
        logger.warning("HubServer: no route for %s (add it to tests/servers/hub_server.py)", what)
        return web.json_response({"error": f"HubServer has no route for {what}"}, status=404)

    async def _admin_unknown(self, request: web.Request) -> web.Response:
        return web.json_response(self.unknown_routes)


def _tree_entries(files: dict[str, StoredFile], base: str, recursive: bool) -> list[dict[str, Any]]:
    """The entries under `base` (files and directories), as the tree API lists them."""
    prefix = f"{base}/" if base else ""
    entries: dict[str, dict[str, Any]] = {}
    for path in sorted(files):
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix) :].split("/")
        shown = parts if recursive else parts[:1]
        for depth in range(1, len(shown) + 1):
            sub = prefix + "/".join(parts[:depth])
            if depth == len(parts):
                entries[sub] = files[path].entry(sub)
            else:
                entries.setdefault(sub, _folder_entry(sub))
    return list(entries.values())


def _folder_entry(path: str) -> dict[str, Any]:
    return {"type": "directory", "oid": git_blob_oid(path.encode()), "size": 0, "path": path}


def _lfs_patterns(gitattributes: str) -> list[str]:
    return [line.split()[0] for line in gitattributes.splitlines() if "filter=lfs" in line and line.split()]


def _new_oid() -> str:
    return hashlib.sha1(uuid.uuid4().bytes).hexdigest()


def _card_data(readme: bytes) -> dict[str, Any] | None:
    """The YAML metadata block of a README, as the Hub returns it in `cardData`."""
    import yaml

    match = re.match(rb"^---\n(.*?)\n---", readme, re.DOTALL)
    if match is None:
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def _metadata_errors(readme: str) -> list[str]:
    """What the Hub would reject in a README's metadata block (an empty list when it is valid)."""
    import yaml

    match = re.match(r"^---\n(.*?)\n---", readme, re.DOTALL)
    if match is None:
        return []
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        return [f"Invalid YAML in the metadata block: {error}"]
    if data is None:
        return []
    if not isinstance(data, dict):
        return ["The metadata block must be a YAML mapping."]
    errors = []
    for config in data.get("configs") or []:
        if not isinstance(config, dict) or "config_name" not in config or "data_files" not in config:
            errors.append(f"configs: {config!r} needs a config_name and data_files.")
    return errors


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """`(start, end)` (inclusive) of a `Range: bytes=...` header; None without one (or for no bytes)."""
    if not header or not header.startswith("bytes=") or size == 0:
        return None
    start_text, _, end_text = header[len("bytes=") :].split(",")[0].strip().partition("-")
    if not start_text:  # the last N bytes
        return max(size - int(end_text), 0), size - 1
    start = min(int(start_text), size - 1)
    end = min(int(end_text), size - 1) if end_text else size - 1
    return start, max(start, end)

if __name__ == "__main__":
    HubServer.main()
