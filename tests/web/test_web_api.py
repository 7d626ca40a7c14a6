"""The web verifier's HTTP API, through a real uvicorn server on 127.0.0.1: verdicts for
signed, tampered, stripped (looked up) and bad files, the limits (413, 415, 503, time),
the security headers, and the request's temporary folder gone after every answer."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import EDITED, PHOTO_EDIT, RECT, Media, Server, one_original
from mediautil import schema_validator
from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from support.synth import iou
from typer.testing import CliRunner

from provenance import InputError, Trust, create_resolution_app, register
from provenance._web import HEADERS, Limits, Settings, registry_lookup
from provenance.cli import app
from provenance.frames.visual import OUTLINES

Serve = Callable[[Settings], Server]


def _files(path: Path, sidecar: Path | None = None) -> dict[str, Any]:
    files: dict[str, Any] = {"file": (path.name, path.read_bytes())}
    if sidecar is not None:
        files["sidecar"] = (sidecar.name, sidecar.read_bytes())
    return files


def _view(server: Server, path: Path, sidecar: Path | None = None) -> tuple[list[Any], Any]:
    """POST /api/view: its progress events and its last line."""
    r = httpx.post(f"{server.url}/api/view", files=_files(path, sidecar), timeout=120)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    events = [json.loads(line) for line in r.text.splitlines()]
    return [e["progress"] for e in events[:-1]], events[-1]


def _cli_json(path: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`provenance verify NAME --json` run beside the file, as a user would."""
    monkeypatch.chdir(path.parent)
    out = CliRunner().invoke(app, ["verify", path.name, "--json", *args])
    return json.loads(out.stdout)


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


def _trusted(web_media: Media, uploads: Path, **kw: Any) -> Settings:
    return Settings(trust=Trust.load([web_media.ca]), temp_dir=uploads, **kw)


# ------------------------------------------------------------------------------ verdicts


def test_verify_answers_what_verify_json_prints(
    serve: Serve, web_media: Media, uploads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(_trusted(web_media, uploads))
    for path in (web_media.signed_video, web_media.tampered_video, web_media.unsigned_photo):
        r = httpx.post(f"{server.url}/api/verify", files=_files(path), timeout=120)
        assert r.status_code == 200, r.text
        assert r.json() == _cli_json(path, "--trust", str(web_media.ca), monkeypatch=monkeypatch)
        assert list(uploads.iterdir()) == []
    verdicts = [
        httpx.post(f"{server.url}/api/verify", files=_files(p), timeout=120).json()["reports"][0]
        for p in (web_media.signed_video, web_media.unsigned_photo)
    ]
    assert [v["verdict"] for v in verdicts] == ["trusted", "unsigned"]


def test_tampered_video_view_has_progress_timeline_and_outlined_frame(
    serve: Serve, web_media: Media, uploads: Path
) -> None:
    server = serve(_trusted(web_media, uploads))
    steps, last = _view(server, web_media.tampered_video)
    assert [s["stage"] for s in steps][0] == "reading"
    decoding = [s for s in steps if s["stage"] == "decoding"]
    assert decoding and decoding[-1]["done"] == decoding[-1]["total"] == 90
    view = last["result"]
    schema_validator("web-view.schema.json").validate(view)
    report = view["report"]["reports"][0]
    assert report["path"] == "tampered.mp4" and report["verdict"] == "tampered"
    edited = [s for s in report["frames"]["segments"] if s["status"] == "edited"]
    assert [s["checked_range"] for s in edited] == [[EDITED[0], EDITED[-1]]]
    (picture,) = view["pictures"]
    k = report["frames"]["segments"].index(edited[0])
    assert picture["segment"] == k and EDITED[0] <= picture["frame"] <= EDITED[-1]
    assert max(iou(tuple(r), RECT) for r in picture["regions"]) > 0.5
    assert _outline_share(picture) > 0.9
    assert view["history"]["root"]["status"] == "tampered"
    assert view["words"]["codes"]["assertion.bmffHash.mismatch"]
    assert "captured with a camera" in view["words"]["source_types"].values()
    assert list(uploads.iterdir()) == []


def _outline_share(picture: dict[str, Any]) -> float:
    """The share of the first region's border pixels drawn in an outline colour."""
    png = base64.b64decode(picture["src"].split(",", 1)[1])
    with Image.open(io.BytesIO(png)) as im:
        rgb = im.convert("RGB")
    assert rgb.size == (picture["width"], picture["height"])
    x, y, w, h = picture["regions"][0]  # the picture is the frame's own size here
    border = [(i, y) for i in range(x, x + w)] + [(x, j) for j in range(y, y + h)]
    return sum(rgb.getpixel(p) in OUTLINES for p in border) / len(border)


def test_photo_with_its_sidecar(serve: Serve, web_media: Media, uploads: Path) -> None:
    server = serve(_trusted(web_media, uploads))
    photo = web_media.tampered_photo
    sidecar = photo.with_name(photo.name + ".c2pa")
    r = httpx.post(f"{server.url}/api/view", files=_files(photo, sidecar), timeout=60)
    assert str(uploads) not in r.text and "provenance-web-" not in r.text
    view = json.loads(r.text.splitlines()[-1])["result"]
    report = view["report"]["reports"][0]
    assert report["verdict"] == "tampered" and report["manifest_source"] == "sidecar"
    assert report["sidecar"] == "portrait.png.c2pa"
    x0, y0, x1, y1 = PHOTO_EDIT
    assert max(iou(tuple(r), (x0, y0, x1 - x0, y1 - y0)) for r in report["regions"]) > 0.5
    (picture,) = view["pictures"]
    assert picture["segment"] is None and picture["regions"] == report["regions"]
    # the same file without its sidecar carries no credentials
    alone = httpx.post(f"{server.url}/api/verify", files=_files(photo), timeout=60).json()
    assert alone["reports"][0]["verdict"] == "unsigned"
    audio = web_media.audio
    r = httpx.post(
        f"{server.url}/api/verify",
        files=_files(audio, audio.with_name(audio.name + ".c2pa")),
        timeout=60,
    )
    assert r.json()["reports"][0]["verdict"] == "trusted"


def test_stripped_copy_is_looked_up_only_with_a_registry(
    serve: Serve, web_media: Media, uploads: Path
) -> None:
    without = serve(_trusted(web_media, uploads))
    _, last = _view(without, web_media.stripped_video)
    assert last["result"]["report"]["reports"][0]["verdict"] == "unsigned"
    assert last["result"]["registry"] is None
    assert httpx.get(f"{without.url}/api/info").json()["registry"] is False

    found = serve(_trusted(web_media, uploads, lookup=one_original(web_media.signed_video)))
    assert httpx.get(f"{found.url}/api/info").json()["registry"] is True
    steps, last = _view(found, web_media.stripped_video)
    assert "looking up" in [s["stage"] for s in steps]
    view = last["result"]
    schema_validator("web-view.schema.json").validate(view)
    assert view["registry"]["registry"] == "one signed original"
    assert view["registry"]["similarity"] == pytest.approx(60 / 90)
    report = view["report"]["reports"][0]
    assert report["path"] == "stripped.mp4" and report["manifest_source"] == "reference"
    assert report["frames"]["summary"]["edited"] == len(EDITED)
    assert view["pictures"] and view["history"] is None

    def unreachable(path: Path, *, trust: Trust, progress: Any) -> None:
        raise InputError("https://registry.example: cannot connect")

    down = serve(_trusted(web_media, uploads, lookup=unreachable))
    r = httpx.post(f"{down.url}/api/verify", files=_files(web_media.stripped_video), timeout=60)
    report = r.json()["reports"][0]
    assert report["verdict"] == "unsigned"
    assert report["message"].endswith(
        "registry lookup failed (https://registry.example: cannot connect)"
    )
    assert list(uploads.iterdir()) == []


def test_stripped_copy_found_in_a_real_registry(
    serve: Serve, web_media: Media, uploads: Path, tmp_path: Path
) -> None:
    """With a SQLite registry holding the signed clip, a stripped upload is found there,
    judged against the original's manifest and localized; the registry's resolution API
    answers on the same server."""
    db = tmp_path / "registry.db"
    (done,) = register([web_media.signed_video], registry=db)
    server = serve(
        _trusted(
            web_media,
            uploads,
            lookup=registry_lookup(str(db)),
            routes=[Mount("/registry", app=create_resolution_app(db))],
        )
    )
    _, last = _view(server, web_media.stripped_video)
    view = last["result"]
    schema_validator("web-view.schema.json").validate(view)
    assert view["registry"]["manifest_id"] == done.manifest_id
    assert 0.5 < view["registry"]["similarity"] <= 1
    report = view["report"]["reports"][0]
    assert report["manifest_source"] == "registry" and report["verdict"] == "tampered"
    assert report["frames"]["summary"]["edited"] == len(EDITED)
    r = httpx.get(f"{server.url}/registry/services/supportedAlgorithms", timeout=30)
    assert r.status_code == 200 and "org.provenance.fingerprint.2" in r.text
    assert list(uploads.iterdir()) == []


def test_bad_uploads(serve: Serve, web_media: Media, uploads: Path, tmp_path: Path) -> None:
    server = serve(_trusted(web_media, uploads))
    url = f"{server.url}/api/verify"

    def post(files: dict[str, Any]) -> httpx.Response:
        return httpx.post(url, files=files, timeout=60)

    r = post({"file": ("notes.txt", b"just some text, not media")})
    assert r.status_code == 415 and "notes.txt: not a supported media format" in r.json()["error"]
    store = web_media.audio.with_name(web_media.audio.name + ".c2pa")
    r = post({"file": ("song.wav.c2pa", store.read_bytes())})
    assert r.status_code == 415 and "'sidecar'" in r.json()["error"]
    r = post({**_files(web_media.unsigned_photo), "sidecar": ("x.c2pa", b"not a store")})
    assert r.status_code == 415 and "x.c2pa: not a C2PA manifest store" in r.json()["error"]
    r = post({"other": ("a.jpg", web_media.unsigned_photo.read_bytes())})
    assert r.status_code == 400 and "field 'file'" in r.json()["error"]
    r = httpx.post(url, content=web_media.unsigned_photo.read_bytes(), timeout=60)
    assert r.status_code == 415
    # a video cut short: recognized, but it cannot be checked: a report, as verify gives
    cut = web_media.signed_video.read_bytes()[:3000]
    r = post({"file": ("cut.mp4", cut)})
    assert r.status_code == 200
    assert r.json()["reports"][0]["verdict"] in ("error", "invalid", "unsigned")
    assert list(uploads.iterdir()) == []


# -------------------------------------------------------------------------------- limits


def test_upload_cap_413_declared_or_streamed(serve: Serve, web_media: Media, uploads: Path) -> None:
    server = serve(_trusted(web_media, uploads, limits=Limits(upload_bytes=50_000)))
    big = web_media.signed_video  # well over 50 kB
    r = httpx.post(f"{server.url}/api/verify", files=_files(big), timeout=60)
    assert r.status_code == 413 and "50000 bytes" in r.json()["error"]
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
        ).encode()
        + big.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for i in range(0, len(body), 16384):
            yield body[i : i + 16384]

    r = httpx.post(
        f"{server.url}/api/view",
        content=chunks(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        timeout=60,
    )
    assert r.status_code == 413
    for header, value in HEADERS.items():
        assert r.headers[header] == value
    assert list(uploads.iterdir()) == []


def test_busy_server_answers_503_and_frees_its_slot(
    serve: Serve, web_media: Media, uploads: Path
) -> None:
    server = serve(_trusted(web_media, uploads, limits=Limits(concurrent=1)))
    boundary = "b0undary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\n\r\n'
    release = threading.Event()

    def slow() -> Iterator[bytes]:  # holds the only slot until released
        yield head.encode()
        yield web_media.unsigned_photo.read_bytes()
        release.wait(30)
        yield f"\r\n--{boundary}--\r\n".encode()

    answer: list[httpx.Response] = []
    holder = threading.Thread(
        target=lambda: answer.append(
            httpx.post(
                f"{server.url}/api/verify",
                content=slow(),
                headers={"content-type": f"multipart/form-data; boundary={boundary}"},
                timeout=60,
            )
        )
    )
    holder.start()
    try:
        for _ in range(200):
            if any(uploads.iterdir()):
                break
            time.sleep(0.02)
        assert any(uploads.iterdir()), "the first upload never started"
        r = httpx.post(f"{server.url}/api/verify", files=_files(web_media.unsigned_photo))
        assert r.status_code == 503 and "busy" in r.json()["error"]
    finally:
        release.set()
        holder.join(60)
    assert answer[0].status_code == 200
    assert answer[0].json()["reports"][0]["verdict"] == "unsigned"
    r = httpx.post(f"{server.url}/api/verify", files=_files(web_media.unsigned_photo))
    assert r.status_code == 200
    assert list(uploads.iterdir()) == []


def test_a_client_gone_mid_answer_stops_the_work(
    serve: Serve, web_media: Media, uploads: Path
) -> None:
    server = serve(_trusted(web_media, uploads, limits=Limits(concurrent=1)))
    files = _files(web_media.tampered_video)
    with httpx.stream("POST", f"{server.url}/api/view", files=files, timeout=60) as r:
        first = json.loads(next(r.iter_lines()))
        assert first["progress"]["stage"] == "reading"
    # the connection is closed: the work stops, its folder goes, its slot frees
    for _ in range(300):
        if not any(uploads.iterdir()):
            break
        time.sleep(0.05)
    assert list(uploads.iterdir()) == []
    r = httpx.post(f"{server.url}/api/verify", files=_files(web_media.unsigned_photo))
    assert r.status_code == 200


def test_time_limits_503(serve: Serve, web_media: Media, uploads: Path) -> None:
    def slow_lookup(path: Path, *, trust: Trust, progress: Any) -> None:
        time.sleep(1.5)  # a registry taking its time, then reporting progress
        progress(1, 2)

    server = serve(_trusted(web_media, uploads, lookup=slow_lookup, limits=Limits(seconds=1)))
    photo = web_media.unsigned_photo  # unsigned, so it is looked up
    _, last = _view(server, photo)
    assert last["status"] == 503 and "result" not in last
    assert "the verification took longer than this server's limit of 1 s" in last["error"]
    r = httpx.post(f"{server.url}/api/verify", files=_files(photo), timeout=60)
    assert r.status_code == 503 and "verification took longer" in r.json()["error"]

    boundary = "b0undary"

    def stalled() -> Iterator[bytes]:
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\n'.encode()
        time.sleep(1.5)
        yield photo.read_bytes() + f"\r\n--{boundary}--\r\n".encode()

    r = httpx.post(
        f"{server.url}/api/verify",
        content=stalled(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        timeout=60,
    )
    assert r.status_code == 503 and "the upload took longer" in r.json()["error"]
    assert list(uploads.iterdir()) == []


def test_more_routes_share_the_app(serve: Serve, web_media: Media, uploads: Path) -> None:
    """How the registry's own API joins the verifier: routes on the same application."""

    async def algorithms(request: Request) -> JSONResponse:
        return JSONResponse({"fingerprints": [], "watermarks": []})

    route = Route("/services/supportedAlgorithms", algorithms)
    server = serve(_trusted(web_media, uploads, routes=[route]))
    r = httpx.get(f"{server.url}/services/supportedAlgorithms")
    assert r.json() == {"fingerprints": [], "watermarks": []}
    assert r.headers["content-security-policy"] == HEADERS["content-security-policy"]
    assert httpx.get(f"{server.url}/").status_code == 200


# ------------------------------------------------------------------------ page, headers


def test_page_static_files_and_headers(serve: Serve, web_media: Media, uploads: Path) -> None:
    server = serve(_trusted(web_media, uploads))
    page = httpx.get(f"{server.url}/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<script src="/static/app.js"' in page.text and "http" not in page.text.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    for path in ("/static/app.js", "/static/app.css"):
        r = httpx.get(server.url + path)
        assert r.status_code == 200 and r.content
    info = httpx.get(f"{server.url}/api/info").json()
    assert info["trust"]["anchors"] == 1 and info["limits"]["concurrent"] == 2
    missing = httpx.get(f"{server.url}/static/../../etc/passwd")
    assert missing.status_code == 404
    wrong = httpx.get(f"{server.url}/api/verify")
    assert wrong.status_code == 405 and "Traceback" not in wrong.text
    for r in (page, missing, wrong):
        for header, value in HEADERS.items():
            assert r.headers[header] == value
    assert "'unsafe-inline'" not in HEADERS["content-security-policy"]
    assert "server" not in page.headers
