"""The C2PA Soft Binding Resolution API 1.0.0 over HTTP (Starlette, served by uvicorn).

    GET  /services/supportedAlgorithms   {"fingerprints": [{"alg": ...}], "watermarks": []}
    GET  /matches/byBinding?alg=&value=&maxResults=        {"matches": [{"manifestId",
    POST /matches/byBinding?maxResults=  {"alg", "value"}     "similarityScore"}, ...]}
    POST /matches/byContent?maxResults=  the asset itself (image/*, video/*; else 415)
    GET  /manifests/{manifestId}         the manifest store, application/c2pa (404 unknown)
    POST /manifests                      our extension: register a manifest store
                                         (Authorization: Bearer <token>)

Reads are open; registration needs the token the server was started with (none: it is
off). `create_app` builds the application (`provenance.create_resolution_app`), which a
larger one (the web verifier) can mount. Every limit lives in `ServerLimits`, enforced by
one middleware (`_Guard`): body sizes (413), URL length (414), time per request (503),
how many requests decode media at once (503 when busy), and the temporary folder an upload
is streamed to, which is deleted when the response is done.

`returnActiveManifest=true` still returns the whole store: the C2PA library cannot cut
one manifest out of a store, and a store holds its active manifest.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import InputError, RegistrationRefused, SoftBindingError
from ..models import RegisterStatus
from ..trust import Trust
from .config import ServerLimits
from .lookup import lookup_file
from .manifest import read_store
from .query import Query
from .softbinding import ALGS
from .store import Registry

__all__ = ["create_app"]

log = logging.getLogger("provenance")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_MAX_RESULTS = 100
_MEDIA_PREFIXES = ("image/", "video/")
_ALGS = " or ".join(ALGS)


_HEAVY = {("POST", "/matches/byContent"), ("POST", "/manifests")}


class _TooLarge(Exception):
    pass


class _Guard:
    """The one place where limits and temporary files are enforced (see the module)."""

    def __init__(self, app: ASGIApp, limits: ServerLimits) -> None:
        self.app = app
        self.limits = limits
        self.slots = anyio.Semaphore(limits.concurrent)

    def _body_limit(self, method: str, path: str) -> int:
        if (method, path) == ("POST", "/matches/byContent"):
            return self.limits.upload_bytes
        if (method, path) == ("POST", "/manifests"):
            return self.limits.manifest_bytes
        return self.limits.body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # the path within the app, wherever it is mounted
        root, path = scope.get("root_path", ""), scope["path"]
        path = path[len(root) :] if root and path.startswith(root) else path
        method = scope["method"]
        limit = self._body_limit(method, path)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _error(send, 413, f"request body over the limit of {limit} bytes")
            return
        if len(scope.get("query_string", b"")) + len(path) > self.limits.url_bytes:
            await _error(send, 414, "query too long: POST it to /matches/byBinding instead")
            return
        heavy = (method, path) in _HEAVY
        if heavy:
            try:
                self.slots.acquire_nowait()
            except anyio.WouldBlock:
                await _error(send, 503, "busy: try again shortly", {"retry-after": "5"})
                return
        folder = tempfile.mkdtemp(prefix="provenance-upload-") if heavy else None
        state = scope.setdefault("state", {})
        state["upload_dir"] = folder
        state["deadline"] = time.monotonic() + self.limits.seconds
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            if message["type"] == "http.response.body" and not message.get("more_body"):
                _remove(folder)  # the answer is ready: the upload is of no more use
            await send(message)

        try:
            with anyio.fail_after(self.limits.seconds):
                await self.app(scope, counted, tracked)
        except _TooLarge:
            _remove(folder)
            if not started:
                await _error(send, 413, f"request body over the limit of {limit} bytes")
        except TimeoutError:
            _remove(folder)
            if not started:
                await _error(send, 503, f"took longer than {self.limits.seconds:g} s")
        finally:
            if heavy:
                self.slots.release()
            _remove(folder)


def _remove(folder: str | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


async def _error(
    send: Send, status: int, message: str, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps({"error": message}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _fail(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def _max_results(request: Request) -> int:
    raw = request.query_params.get("maxResults", "10")
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError("maxResults must be a positive integer")
    return min(int(raw), _MAX_RESULTS)


def _remaining(request: Request) -> float:
    return max(0.0, float(request.state.deadline) - time.monotonic())


async def _save_body(request: Request, name: str) -> Path:
    """Stream the body into the request's temporary folder (the guard deletes it)."""
    path = Path(request.state.upload_dir) / name
    with open(path, "wb") as f:
        async for chunk in request.stream():
            f.write(chunk)
    return path


def create_app(
    registry: Registry,
    *,
    token: str | None = None,
    trust: Trust | None = None,
    require_trusted: bool = False,
    limits: ServerLimits | None = None,
) -> Starlette:
    """The resolution API over `registry`. `token` enables POST /manifests; `trust` and
    `require_trusted` decide which signers may register."""
    limits = limits or ServerLimits()

    def matches_body(found: list[Any]) -> dict[str, Any]:
        return {
            "matches": [
                {"manifestId": m.manifest_id, "similarityScore": m.similarity} for m in found
            ]
        }

    async def by_binding(request: Request, alg: str | None, value: str | None) -> Response:
        try:
            max_results = _max_results(request)
        except ValueError as e:
            return _fail(400, str(e))
        if alg not in ALGS:
            return _fail(400, f"unsupported soft binding algorithm {alg!r}; this service: {_ALGS}")
        try:
            query = Query.decode(base64.b64decode(value or "", validate=True))
        except (binascii.Error, ValueError, SoftBindingError) as e:
            return _fail(400, f"invalid query value ({e})")
        found = await anyio.to_thread.run_sync(
            lambda: registry.search(query, max_results=max_results)
        )
        return JSONResponse(matches_body(found))

    async def get_by_binding(request: Request) -> Response:
        params = request.query_params
        return await by_binding(request, params.get("alg"), params.get("value"))

    async def post_by_binding(request: Request) -> Response:
        try:
            doc = json.loads(await request.body())
        except ValueError:
            return _fail(400, "the body must be a JSON soft binding query")
        if not isinstance(doc, dict):
            return _fail(400, "the body must be a JSON object with alg and value")
        return await by_binding(request, doc.get("alg"), doc.get("value"))

    async def by_content(request: Request) -> Response:
        try:
            max_results = _max_results(request)
        except ValueError as e:
            return _fail(400, str(e))
        alg = request.query_params.get("alg")
        if alg is not None and alg not in ALGS:
            return _fail(400, f"unsupported soft binding algorithm {alg!r}; this service: {_ALGS}")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if not ctype.startswith(_MEDIA_PREFIXES):
            return _fail(415, f"unsupported media type {ctype or 'none'}: send a photo or video")
        path = await _save_body(request, "asset")
        budget = _remaining(request)
        try:
            result = await anyio.to_thread.run_sync(
                lambda: lookup_file(registry, path, max_results=max_results, time_limit=budget)
            )
        except InputError as e:  # unsupported or undecodable media, whatever it claimed
            return _fail(415, str(e).replace(str(path), "the asset"))
        return JSONResponse(matches_body(list(result.matches)))

    async def get_manifest(request: Request) -> Response:
        manifest_id = request.path_params["manifest_id"]
        if len(manifest_id) > 512:
            return _fail(400, "invalid manifest id")
        store = await anyio.to_thread.run_sync(lambda: registry.manifest_store(manifest_id))
        if store is None:
            return _fail(404, f"no manifest {manifest_id} in this registry")
        return Response(store, media_type="application/c2pa")

    async def post_manifest(request: Request) -> Response:
        if token is None:
            return _fail(403, "registration is disabled on this server")
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return _fail(401, "a valid bearer token is required", **{"www-authenticate": "Bearer"})
        path = await _save_body(request, "manifest.c2pa")
        fmt = request.query_params.get("format")

        def register() -> Any:
            reg = read_store(
                path.read_bytes(), trust=trust, require_trusted=require_trusted, format=fmt
            )
            return registry.register([reg])[0]

        try:
            result = await anyio.to_thread.run_sync(register)
        except RegistrationRefused as e:
            return _fail(422, str(e))
        if result.status is RegisterStatus.CONFLICT:
            return _fail(409, f"another manifest store is registered as {result.manifest_id}")
        status = 201 if result.status is RegisterStatus.ADDED else 200
        return JSONResponse(
            {"manifestId": result.manifest_id, "status": result.status.value}, status
        )

    async def algorithms(request: Request) -> Response:
        return JSONResponse(
            {"fingerprints": [{"alg": a} for a in registry.algorithms()], "watermarks": []}
        )

    app = Starlette(
        routes=[
            Route("/services/supportedAlgorithms", algorithms, methods=["GET"]),
            Route("/matches/byBinding", get_by_binding, methods=["GET"]),
            Route("/matches/byBinding", post_by_binding, methods=["POST"]),
            Route("/matches/byContent", by_content, methods=["POST"]),
            Route("/manifests/{manifest_id}", get_manifest, methods=["GET"]),
            Route("/manifests", post_manifest, methods=["POST"]),
        ]
    )
    app.add_middleware(_Guard, limits=limits)
    return app
