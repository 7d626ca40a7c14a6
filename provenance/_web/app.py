"""The web verifier as an ASGI application (Starlette): the page, its static files, and the
JSON API behind it.

    GET  /               the page (static HTML, one script, one style sheet)
    GET  /static/...     the page's files, served from the package
    GET  /api/info       the server's limits and trust settings, for the page
    POST /api/verify     multipart: `file` (+ `sidecar`) -> the `verify --json` document
    POST /api/view       the same upload -> NDJSON: progress lines, then the page's view
                         (report, history tree, pictures) or an error

Every limit is enforced in one place, `Job`: the upload cap (413, from Content-Length
at once, else while the body streams), bounded concurrency (503 at once when every slot
is busy, never a queue that grows until memory runs out), the time per request (503),
and the request's own temporary folder, deleted when its response is done. Every
response carries a strict Content-Security-Policy; errors never show a traceback.
"""

from __future__ import annotations

import json
import logging
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._c2pa import generator
from .._media import detect
from .._version import __version__
from ..errors import ProvenanceError
from ..models import VerificationBatch
from ..trust import Trust
from .uploads import FILE, SIDECAR, TooLarge, UploadRefused, receive
from .view import Lookup, Step, Upload, verify_upload, view_upload

__all__ = ["HEADERS", "Limits", "Settings", "create_app"]

_log = logging.getLogger("provenance")
STATIC = Path(__file__).parent / "static"

HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
"""Sent with every response."""


@dataclass(frozen=True)
class Limits:
    """What one request may cost."""

    upload_bytes: int = 2 << 30  # the file and its sidecar together
    seconds: float = 600.0  # per request, decoding included
    concurrent: int = 2  # files being verified at once; more get 503


@dataclass(frozen=True)
class Settings:
    """How the server verifies, and what else it serves.

    lookup: finds the signed original of an unsigned upload (a registry); None when no
        registry is configured, and the page then offers no lookup.
    routes: more routes on the same application (the registry's resolution API).
    temp_dir: where each request's own folder is made (default: the system's).
    """

    trust: Trust = field(default_factory=Trust)
    limits: Limits = field(default_factory=Limits)
    lookup: Lookup | None = None
    routes: Sequence[BaseRoute] = ()
    temp_dir: Path | None = None


class _OutOfTime(BaseException):
    """Stops the work at its next progress call. A BaseException, so that the library's
    "localization failed, the verdict stands" handlers let it through."""


class _Failed(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Job:
    """One admitted request: its concurrency slot, its temporary folder, its clock."""

    folder: Path
    deadline: float
    seconds: float
    slots: threading.BoundedSemaphore  # one of them is this job's until it closes
    cancelled: threading.Event = field(default_factory=threading.Event)
    closed: bool = False
    inbox: queue.SimpleQueue[dict[str, Any]] = field(default_factory=queue.SimpleQueue)
    shown: dict[str, Any] = field(default_factory=lambda: {"at": 0.0, "stage": None})

    def step_guard(self, emit: Callable[[dict[str, Any]], None]) -> Step:
        """A `Step` that passes progress on and stops the work when time is up or the
        client has gone."""

        def step(stage: str, done: int, total: int | None) -> None:
            if self.cancelled.is_set() or time.monotonic() > self.deadline:
                raise _OutOfTime
            emit({"stage": stage, "done": done, "total": total})

        return step

    def start(self, work: Callable[[Step], Any]) -> None:
        """Run `work` in a thread of its own, which closes the job when the work stops:
        finished, failed, out of time, or its client gone (`events` stops it then)."""

        def emit(event: dict[str, Any]) -> None:
            """Each new stage, its end, and at most five counts a second in between."""
            now = time.monotonic()
            new_stage = event["stage"] != self.shown["stage"]
            if new_stage or now - self.shown["at"] >= 0.2 or event["done"] == event["total"]:
                self.shown.update(at=now, stage=event["stage"])
                self.inbox.put({"progress": event})

        def run() -> None:
            try:
                outcome = {"result": work(self.step_guard(emit))}
            except _OutOfTime:
                outcome = _error(503, f"the verification {_TOO_LONG} {self.seconds:g} s")
            except Exception:  # a bug of ours: logged, never shown
                _log.exception("web verifier: internal error")
                outcome = _error(500, "internal error (please report it)")
            self.close()  # before the answer goes: the folder is gone when it arrives
            self.inbox.put(outcome)

        threading.Thread(target=run, name="provenance-web", daemon=True).start()

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """The work's progress events, then `{"result": ...}` or `{"error": ..., "status":
        ...}`. A client that goes away stops the work at its next progress call."""
        try:
            while True:
                try:
                    event = await anyio.to_thread.run_sync(self.inbox.get, True, 0.5)
                except queue.Empty:
                    continue
                yield event
                if "progress" not in event:
                    return
        finally:
            self.cancelled.set()

    def close(self) -> None:
        """Delete the folder and free the slot (once)."""
        if not self.closed:
            self.closed = True
            shutil.rmtree(self.folder, ignore_errors=True)
            self.slots.release()


_TOO_LONG = "took longer than this server's limit of"


def _error(status: int, message: str) -> dict[str, Any]:
    return {"error": message, "status": status}


def create_app(settings: Settings | None = None) -> Starlette:
    """The web verifier: the page at `/` and its API, plus `settings.routes`."""
    settings = settings or Settings()
    limits = settings.limits
    slots = threading.BoundedSemaphore(limits.concurrent)

    async def admit(request: Request) -> tuple[Job, Upload]:
        """Check the limits, take a slot, receive the upload into a folder of its own."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limits.upload_bytes:
            raise _Failed(413, _too_large(limits))
        if not slots.acquire(blocking=False):
            raise _Failed(503, "the server is busy verifying other files; try again shortly")
        folder = Path(tempfile.mkdtemp(prefix="provenance-web-", dir=settings.temp_dir))
        job = Job(folder, time.monotonic() + limits.seconds, limits.seconds, slots)
        try:
            with anyio.fail_after(limits.seconds):  # a slow upload holds a slot no longer
                got = await receive(
                    request.headers.get("content-type", ""),
                    request.stream(),
                    folder,
                    max_bytes=limits.upload_bytes,
                )
            upload = Upload(
                got.paths[FILE], got.names[FILE], got.paths.get(SIDECAR), got.names.get(SIDECAR)
            )
            _check_types(upload)
        except BaseException as e:
            job.close()
            if isinstance(e, TooLarge):
                raise _Failed(413, _too_large(limits)) from None
            if isinstance(e, UploadRefused):
                raise _Failed(e.status, str(e)) from None
            if isinstance(e, TimeoutError):
                raise _Failed(503, f"the upload {_TOO_LONG} {limits.seconds:g} s") from None
            raise
        return job, upload

    async def api_verify(request: Request) -> Response:
        try:
            job, upload = await admit(request)
        except _Failed as e:
            return _fail(e.status, str(e))

        def work(step: Step) -> Any:
            report, _ = verify_upload(
                upload, trust=settings.trust, lookup=settings.lookup, step=step
            )
            return VerificationBatch((report,), generator()).to_dict()

        job.start(work)
        last: dict[str, Any] = {}
        async for event in job.events():
            last = event
        if "result" not in last:
            return _fail(last.get("status", 500), last.get("error", "internal error"))
        return JSONResponse(last["result"], headers={"cache-control": "no-store"})

    async def api_view(request: Request) -> Response:
        try:
            job, upload = await admit(request)
        except _Failed as e:
            return _fail(e.status, str(e))

        def work(step: Step) -> Any:
            view = view_upload(upload, trust=settings.trust, lookup=settings.lookup, step=step)
            return view.to_dict()

        job.start(work)  # now, so that the job closes even if the answer never starts

        async def lines() -> AsyncIterator[bytes]:
            async for event in job.events():
                yield json.dumps(event).encode() + b"\n"

        return StreamingResponse(
            lines(), media_type="application/x-ndjson", headers={"cache-control": "no-store"}
        )

    async def info(request: Request) -> Response:
        trust = settings.trust
        return JSONResponse(
            {
                "version": __version__,
                "limits": {
                    "upload_bytes": limits.upload_bytes,
                    "seconds": limits.seconds,
                    "concurrent": limits.concurrent,
                },
                "trust": {
                    "anchors": len(trust.anchors),
                    "allowed_signers": len(trust.allowed),
                    "identity_anchors": len(trust.identity_anchors),
                },
                "registry": settings.lookup is not None,
            }
        )

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _fail(exc.status_code, exc.detail)

    async def server_error(request: Request, exc: Exception) -> Response:
        return _fail(500, "internal error (please report it)")

    app = Starlette(
        routes=[
            Route("/", page, methods=["GET"]),
            Route("/api/info", info, methods=["GET"]),
            Route("/api/verify", api_verify, methods=["POST"]),
            Route("/api/view", api_view, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            *settings.routes,
        ],
        exception_handlers={HTTPException: http_error, 500: server_error},
    )
    app.add_middleware(_Headers)
    return app


def _too_large(limits: Limits) -> str:
    return f"the upload is larger than this server's limit of {limits.upload_bytes} bytes"


def _check_types(upload: Upload) -> None:
    """Media the toolkit verifies, and a manifest store as the sidecar (else 415)."""
    try:
        media = detect(upload.path)
    except ProvenanceError as e:
        raise UploadRefused(_scrubbed(e, upload.path, upload.name), 415) from None
    if media.kind == "manifest":
        raise UploadRefused(
            f"{upload.name}: a manifest store; send the media file in 'file' and the "
            ".c2pa store in 'sidecar'",
            415,
        )
    if upload.sidecar is not None:
        try:
            kind = detect(upload.sidecar).kind
        except ProvenanceError:
            kind = None
        if kind != "manifest":
            raise UploadRefused(f"{upload.sidecar_name}: not a C2PA manifest store (.c2pa)", 415)


def _scrubbed(e: Exception, path: Path, name: str) -> str:
    return str(e).replace(str(path), name)


def _fail(status: int, message: str) -> Response:
    return JSONResponse({"error": message, "status": status}, status_code=status)


class _Headers:
    """Adds `HEADERS` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.encode(), v.encode())
                    for k, v in HEADERS.items()
                    if k.encode() not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
