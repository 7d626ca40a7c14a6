"""The Soft Binding Resolution API served for real (uvicorn on 127.0.0.1), its limits and
temporary files, registration with a bearer token, and the HTTP client."""

from __future__ import annotations

import base64
import glob
import http.client
import json
import os
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mediautil import SCHEMAS

from provenance import RegistrationRefused, RegistryError, ServerLimits, Trust, open_registry
from provenance._registry.client import HttpRegistry
from provenance._registry.lookup import lookup_file
from provenance._registry.manifest import read_store
from provenance._registry.query import Query
from provenance._registry.server import create_app
from provenance._registry.softbinding import ALG, ALG_V1
from provenance._registry.sqlite import SqliteRegistry
from provenance._registry.store import Registry

TOKEN = "test-token-0123456789"


def _schema(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SCHEMAS / "registry-api.schema.json").read_text())
    return {"$schema": doc["$schema"], "$defs": doc["$defs"], "$ref": f"#/$defs/{name}"}


def _call(
    url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _uploads() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "provenance-upload-*")))


@pytest.fixture
def registry(tmp_path: Path, media: Any) -> Iterator[Registry]:
    reg = SqliteRegistry(tmp_path / "served.db", create=True)
    reg.register([read_store(media.store), read_store(media.photo_store)])
    yield reg
    reg.close()


@pytest.fixture
def server(registry: Registry, live_server: Callable[..., Any]) -> Any:
    return live_server(create_app(registry, token=TOKEN, limits=ServerLimits(upload_bytes=8 << 20)))


def test_supported_algorithms(server: Any) -> None:
    status, headers, body = _call(server.url, "GET", "/services/supportedAlgorithms")
    assert status == 200 and headers["content-type"] == "application/json"
    doc = json.loads(body)
    jsonschema.validate(doc, _schema("softBindingAlgList"))
    assert doc == {"fingerprints": [{"alg": ALG}, {"alg": ALG_V1}], "watermarks": []}


def _query_value(media: Any, copy: str) -> str:
    from provenance._registry.decode import video_frames, video_info
    from provenance._registry.query import video_query

    path = media.copies[copy]
    info = video_info(path)
    query = video_query(list(video_frames(path)), (info.width, info.height))
    return base64.b64encode(query.encode()).decode()


def test_matches_by_binding_get_and_post(server: Any, media: Any) -> None:
    original = read_store(media.store).manifest_id
    value = _query_value(media, "reencoded")
    params = urllib.parse.urlencode({"alg": ALG, "value": value, "maxResults": 3})
    status, _, body = _call(server.url, "GET", f"/matches/byBinding?{params}")
    assert status == 200, body
    doc = json.loads(body)
    jsonschema.validate(doc, _schema("softBindingQueryResult"))
    assert doc["matches"][0]["manifestId"] == original
    assert 0 <= doc["matches"][0]["similarityScore"] <= 100

    query = json.dumps({"alg": ALG, "value": value}).encode()
    status, _, body = _call(server.url, "POST", "/matches/byBinding?maxResults=1", query,
                            {"content-type": "application/json"})  # fmt: skip
    assert status == 200
    assert [m["manifestId"] for m in json.loads(body)["matches"]] == [original]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("alg=com.example.watermark.1&value=AAAA", 400),
        (f"alg={ALG}&value=not-base64!!", 400),
        (f"alg={ALG}&value=AAAA", 400),
        (f"alg={ALG}&value=AAAA&maxResults=0", 400),
        (f"alg={ALG}&value=" + "A" * 40_000, 414),
    ],
)
def test_bad_binding_queries(server: Any, query: str, status: int) -> None:
    got, _, body = _call(server.url, "GET", f"/matches/byBinding?{query}")
    assert got == status
    assert "error" in json.loads(body)


def test_matches_by_content(server: Any, media: Any) -> None:
    before = _uploads()
    original = read_store(media.store).manifest_id
    data = media.copies["letterbox_caption"].read_bytes()
    status, _, body = _call(server.url, "POST", "/matches/byContent", data,
                            {"content-type": "video/mp4"})  # fmt: skip
    assert status == 200, body
    assert json.loads(body)["matches"][0]["manifestId"] == original
    photo = media.photo_copies["jpeg50"].read_bytes()
    status, _, body = _call(server.url, "POST", "/matches/byContent", photo,
                            {"content-type": "image/jpeg"})  # fmt: skip
    assert [m["manifestId"] for m in json.loads(body)["matches"]] == [
        read_store(media.photo_store).manifest_id
    ]
    assert _uploads() == before  # uploads are deleted once answered


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        ("text/plain", b"hello"),
        ("application/pdf", b"%PDF-1.4 nothing"),
        ("video/mp4", b"this is not a video at all" * 10),  # claims video, is not
        ("audio/wav", b"RIFF\x00\x00\x00\x00WAVEfmt "),
    ],
)
def test_unsupported_media_is_415(server: Any, ctype: str, body: bytes) -> None:
    before = _uploads()
    status, _, answer = _call(server.url, "POST", "/matches/byContent", body,
                              {"content-type": ctype})  # fmt: skip
    assert status == 415, answer
    assert _uploads() == before


def test_uploads_over_the_limit_are_413_and_removed(server: Any) -> None:
    before = _uploads()
    big = b"\0" * (9 << 20)
    status, _, _ = _call(server.url, "POST", "/matches/byContent", big,
                         {"content-type": "video/mp4"})  # fmt: skip
    assert status == 413
    # the same without a Content-Length: chunked, cut off while streaming
    parts = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.putrequest("POST", "/matches/byContent")
    conn.putheader("content-type", "video/mp4")
    conn.putheader("transfer-encoding", "chunked")
    conn.endheaders()
    try:
        for _ in range(9):
            chunk = b"\0" * (1 << 20)
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may stop reading once it has answered
    assert conn.getresponse().status == 413
    conn.close()
    assert _uploads() == before


def test_time_limit(registry: Registry, live_server: Callable[..., Any], media: Any) -> None:
    server = live_server(create_app(registry, limits=ServerLimits(seconds=0.05)))
    before = _uploads()
    data = media.copies["cropped"].read_bytes()
    status, _, body = _call(server.url, "POST", "/matches/byContent", data,
                            {"content-type": "video/mp4"})  # fmt: skip
    assert status == 503
    assert "longer than" in json.loads(body)["error"]
    assert _uploads() == before


def test_busy_server_answers_503(registry: Registry, live_server: Callable[..., Any]) -> None:
    server = live_server(create_app(registry, token=TOKEN, limits=ServerLimits(concurrent=0)))
    status, headers, _ = _call(server.url, "POST", "/matches/byContent", b"x",
                               {"content-type": "image/png"})  # fmt: skip
    assert status == 503 and headers["retry-after"] == "5"


def test_get_manifest(server: Any, media: Any) -> None:
    manifest_id = read_store(media.store).manifest_id
    status, headers, body = _call(server.url, "GET", f"/manifests/{manifest_id}")
    assert status == 200
    assert headers["content-type"] == "application/c2pa"
    assert body == media.store
    status, _, _ = _call(server.url, "GET", "/manifests/urn:c2pa:00000000-0000-0000-0000-0")
    assert status == 404


def test_registration_needs_the_token(
    tmp_path: Path, live_server: Callable[..., Any], media: Any
) -> None:
    with SqliteRegistry(tmp_path / "empty.db", create=True) as reg:
        server = live_server(create_app(reg, token=TOKEN))
        store = media.store
        ctype = {"content-type": "application/c2pa"}
        assert _call(server.url, "POST", "/manifests", store, ctype)[0] == 401
        wrong = {**ctype, "authorization": "Bearer nope"}
        status, headers, _ = _call(server.url, "POST", "/manifests", store, wrong)
        assert status == 401 and headers["www-authenticate"] == "Bearer"
        good = {**ctype, "authorization": f"Bearer {TOKEN}"}
        status, _, body = _call(server.url, "POST", "/manifests", store, good)
        assert status == 201
        assert json.loads(body) == {
            "manifestId": read_store(store).manifest_id,
            "status": "added",
        }
        assert _call(server.url, "POST", "/manifests", store, good)[0] == 200  # unchanged
        garbage = _call(server.url, "POST", "/manifests", b"\0" * 100, good)
        assert garbage[0] == 422
        assert "not a usable C2PA manifest store" in json.loads(garbage[2])["error"]
        disabled = live_server(create_app(reg, token=None))
        assert _call(disabled.url, "POST", "/manifests", store, good)[0] == 403


def test_trusted_only_registration(
    tmp_path: Path, live_server: Callable[..., Any], media: Any, dev: Any
) -> None:
    from support.certs import make_root_ca

    good = {"content-type": "application/c2pa", "authorization": f"Bearer {TOKEN}"}
    with SqliteRegistry(tmp_path / "trusted.db", create=True) as reg:
        ours = Trust.load([dev.ca])
        server = live_server(create_app(reg, token=TOKEN, trust=ours, require_trusted=True))
        assert _call(server.url, "POST", "/manifests", media.store, good)[0] == 201
        stranger = tmp_path / "other-ca.pem"
        stranger.write_bytes(make_root_ca().pem)
        strict = live_server(
            create_app(reg, token=TOKEN, trust=Trust.load([stranger]), require_trusted=True)
        )
        status, _, body = _call(strict.url, "POST", "/manifests", media.photo_store, good)
        assert status == 422
        assert "not trusted" in json.loads(body)["error"]
    with pytest.raises(RegistrationRefused, match="not trusted"):
        read_store(media.store, trust=Trust.load([stranger]), require_trusted=True)


def test_http_client_looks_up_and_registers(
    tmp_path: Path, live_server: Callable[..., Any], media: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SqliteRegistry(tmp_path / "remote.db", create=True) as reg:
        server = live_server(create_app(reg, token=TOKEN))
        monkeypatch.setenv("PROVENANCE_REGISTRY_TOKEN", TOKEN)
        client = open_registry(server.url)
        assert isinstance(client, HttpRegistry)
        results = client.register([read_store(media.store), read_store(media.photo_store)])
        assert [r.status.value for r in results] == ["added", "added"]
        found = lookup_file(client, media.copies["excerpt_25fps"])
        best = found.matches[0]
        assert best.manifest_id == read_store(media.store).manifest_id
        assert best.signed_range is not None
        assert best.signed_range[0] == pytest.approx(2.4, abs=0.15)
        assert lookup_file(client, media.photo_copies["half_webp"]).found
        assert not lookup_file(client, media.unrelated).found


def test_the_client_checks_what_the_server_claims(
    tmp_path: Path, live_server: Callable[..., Any], media: Any
) -> None:
    """A registry that answers every query with the photo's manifest: the client fetches
    it, finds its signed fingerprint does not align with the video, and drops it."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    photo_id = read_store(media.photo_store).manifest_id

    async def lie(request: Any) -> JSONResponse:
        return JSONResponse({"matches": [{"manifestId": photo_id, "similarityScore": 100}]})

    async def store(request: Any) -> Response:
        return Response(media.photo_store, media_type="application/c2pa")

    liar = live_server(
        Starlette(
            routes=[
                Route("/matches/byBinding", lie, methods=["POST"]),
                Route("/manifests/{mid}", store),
            ]
        )  # fmt: skip
    )
    assert not lookup_file(HttpRegistry(liar.url), media.copies["reencoded"]).found


def test_client_reports_an_unreachable_registry() -> None:
    client = HttpRegistry("http://127.0.0.1:9", timeout=5)
    query = Query("image", 10, 10, (0, 0, 128, 128), ())
    with pytest.raises(RegistryError, match="cannot reach"):
        client.search(query)
