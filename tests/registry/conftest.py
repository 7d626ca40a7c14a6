"""Fixtures for the registry tests: generated clips and photos with their stripped and
transformed copies, manifests signed with our soft binding, registries on SQLite and on a
real PostgreSQL server, and the HTTP server on 127.0.0.1.

PostgreSQL: a throwaway cluster is started for the session when initdb and pg_ctl exist
(Debian: apt-get install postgresql). Without them the PostgreSQL variants skip and say
so, unless PROVENANCE_REQUIRE_POSTGRES=1 (set by .ci/run), which makes them fail.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pytest
from PIL import Image, ImageDraw
from support.postgres import Cluster, find_bindir
from support.registrations import sign_with_binding

from provenance import Identity, create_resolution_app, open_registry
from provenance._demo_media import Scene, read_frames, write_video
from provenance._registry.config import TOKEN_ENV
from provenance._registry.sqlite import SqliteRegistry
from provenance._registry.store import Registry

REQUIRE_ENV = "PROVENANCE_REQUIRE_POSTGRES"
TOKEN = "registry-tests-token"  # the HTTP registry's bearer token (`location`)
W, H, FPS, SECONDS = 320, 180, 30, 8


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    bindir = find_bindir()
    if bindir is None:
        _unavailable("PostgreSQL tests: initdb/pg_ctl not found (apt-get install postgresql)")
    cluster = Cluster(bindir)
    try:
        cluster.start()
    except Exception as e:  # noqa: BLE001 - say why, then skip or fail
        cluster.stop()
        _unavailable(f"PostgreSQL tests: cannot start a throwaway cluster ({e})")
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def new_registry(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], Registry]]:
    """Make an empty registry (each call a new one) on SQLite or PostgreSQL."""
    made: list[Registry] = []

    def make() -> Registry:
        if request.param == "sqlite":
            reg: Registry = SqliteRegistry(tmp_path / f"{uuid.uuid4().hex}.db", create=True)
        else:
            from provenance._registry.postgres import PostgresRegistry

            cluster: Cluster = request.getfixturevalue("pg_cluster")
            reg = PostgresRegistry(cluster.create_database(f"t_{uuid.uuid4().hex}"))
        made.append(reg)
        return reg

    yield make
    for reg in made:
        reg.close()


# --- media -----------------------------------------------------------------------------


def _caption(img: np.ndarray) -> np.ndarray:
    """A news caption band over the bottom 10% of the frame."""
    pic = Image.fromarray(img)
    draw = ImageDraw.Draw(pic)
    h, w = img.shape[:2]
    draw.rectangle((0, int(h * 0.9), w, h), fill=(15, 15, 40))
    draw.text((6, int(h * 0.91)), "BREAKING: stripped copy", fill=(255, 255, 255))
    return np.asarray(pic)


def _letterbox(img: np.ndarray) -> np.ndarray:
    """16:9 into 4:3 with black bars, as a 4:3 player would show it."""
    h, w = img.shape[:2]
    out = np.zeros((w * 3 // 4 // 2 * 2, w, 3), dtype=np.uint8)
    top = (out.shape[0] - h) // 2
    out[top : top + h] = img
    return out


def _crop(img: np.ndarray, left: float, top: float, right: float, bottom: float) -> np.ndarray:
    h, w = img.shape[:2]
    out = img[int(h * top) : h - int(h * bottom), int(w * left) : w - int(w * right)]
    return out[: out.shape[0] // 2 * 2, : out.shape[1] // 2 * 2]


def _half(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return np.asarray(Image.fromarray(img).resize((w // 4 * 2, h // 4 * 2), Image.BILINEAR))


@dataclass(frozen=True)
class Media:
    """The signed originals and their stripped copies."""

    original: Path  # the clip (lossless-ish master)
    signed: Path  # signed original, our soft binding inside
    store: bytes  # its manifest store
    copies: dict[str, Path]  # stripped, transformed copies of the clip
    unrelated: Path  # a clip never registered
    photo: Path
    photo_signed: Path
    photo_store: bytes
    photo_copies: dict[str, Path]
    unrelated_photo: Path


def _encode(dst: Path, frames_: Any, fps: int = FPS, crf: int = 23) -> Path:
    write_video(dst, frames_, fps=fps, options={"crf": str(crf), "preset": "veryfast"})
    return dst


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory, identity: Identity) -> Media:
    root = tmp_path_factory.mktemp("registry-media")
    scene = Scene(W, H, seed=3)
    original = _encode(root / "original.mp4", scene.frames(FPS * SECONDS), crf=16)
    signed = root / "signed.mp4"
    store = sign_with_binding(original, signed, identity)
    src = list(read_frames(signed))
    copies = {
        "reencoded": _encode(root / "reencoded.mp4", (_half(f) for f in src), crf=35),
        "letterbox_caption": _encode(
            root / "letterbox_caption.mp4", (_letterbox(_caption(f)) for f in src)
        ),
        "cropped": _encode(
            root / "cropped.mp4", (_crop(f, 0.04, 0.02, 0.01, 0.05) for f in src), crf=28
        ),
        # 3.5 s from 2.4 s in, re-encoded at 25 fps
        "excerpt_25fps": _encode(
            root / "excerpt_25fps.mp4",
            (src[min(len(src) - 1, round((2.4 + k / 25) * FPS))] for k in range(int(3.5 * 25))),
            fps=25,
        ),
    }
    unrelated = _encode(root / "unrelated.mp4", Scene(W, H, seed=11).frames(FPS * 6))

    photo = root / "photo.png"
    Image.fromarray(Scene(640, 480, seed=5).frame(40)).save(photo)
    photo_signed = root / "photo.signed.png"
    photo_store = sign_with_binding(photo, photo_signed, identity)
    pic = Image.open(photo_signed).convert("RGB")
    photo_copies = {"jpeg50": root / "photo.q50.jpg", "half_webp": root / "photo.half.webp",
                    "cropped": root / "photo.crop.png"}  # fmt: skip
    pic.save(photo_copies["jpeg50"], quality=50)
    pic.resize((320, 240), Image.BILINEAR).save(photo_copies["half_webp"], quality=80)
    Image.fromarray(_crop(np.asarray(pic), 0.05, 0.05, 0.05, 0.05)).save(photo_copies["cropped"])
    unrelated_photo = root / "unrelated.jpg"
    Image.fromarray(Scene(640, 480, seed=21).frame(10)).save(unrelated_photo, quality=90)
    return Media(original, signed, store, copies, unrelated, photo, photo_signed, photo_store,
                 photo_copies, unrelated_photo)  # fmt: skip


# --- the HTTP server -----------------------------------------------------------------------


class LiveServer:
    """uvicorn serving an app on 127.0.0.1 (an ephemeral port) in a thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        sock = self.server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], LiveServer]]:
    started: list[LiveServer] = []

    def start(app: Any) -> LiveServer:
        server = LiveServer(app).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__()


@pytest.fixture(params=["sqlite", "postgres", "http"])
def location(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    live_server: Callable[[Any], LiveServer],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """An empty registry's location, as a user gives it: a SQLite path, a PostgreSQL URL,
    or the URL of the HTTP resolution API (registering with `TOKEN`)."""
    if request.param == "sqlite":
        yield str(tmp_path / "registry.db")
    elif request.param == "postgres":
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        yield cluster.create_database(f"t_{uuid.uuid4().hex}")
    else:
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        backing = open_registry(tmp_path / "served.db", create=True)
        yield live_server(create_resolution_app(backing, token=TOKEN)).url
        backing.close()
