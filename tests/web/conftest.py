"""The web verifier under test: a real uvicorn server on 127.0.0.1 (an ephemeral port),
and media made here: a signed clip, the clip with frames 30-59 edited and its manifest
put back (tampered), the same edit with the manifest gone (stripped), signed and tampered
photos, a sidecar-signed audio file."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import uvicorn
from mediautil import transplant_manifest
from PIL import Image, ImageDraw
from support.synth import Scene, make_audio, read_frames, replace_rect, write_video

from provenance import DevIdentity, Identity, Trust, sign, verify
from provenance import _demo_media as samples
from provenance._vocab import Progress
from provenance._web import Found, Lookup, Settings, create_app

W, H, N = 320, 240, 90
RECT = (80, 60, 80, 60)
EDITED = range(30, 60)
PHOTO_EDIT = (260, 160, 380, 320)  # an ellipse's box: x0, y0, x1, y1
REGISTRY = "one signed original"


class Server:
    """The verifier served by uvicorn in a thread, on a socket bound here."""

    def __init__(self, settings: Settings) -> None:
        sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(create_app(settings), log_level="warning", server_header=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                break
            threading.Event().wait(0.01)
        assert self.server.started, "the server did not start"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def one_original(original: Path) -> Lookup:
    """A lookup over a registry of one signed original (the registry's interface): the
    stripped file judged against it, as `verify --reference` does."""

    def lookup(path: Path, *, trust: Trust, progress: Progress | None) -> Found | None:
        report = verify(path, trust=trust, reference=original, progress=progress)
        frames = report.frames
        if frames is None:
            return None
        alike = frames.summary["intact"] + frames.summary["reencoded"]
        label = report.manifest_label or ""
        report = replace(report, sidecar=f"{REGISTRY}#{label}")  # no path of the server's
        return Found(report, REGISTRY, label, alike / frames.checked_frame_count)

    return lookup


@pytest.fixture
def serve() -> Iterator[Callable[[Settings], Server]]:
    """Start servers with the given settings; all are stopped after the test."""
    running: list[Server] = []

    def start(settings: Settings) -> Server:
        running.append(Server(settings))
        return running[-1]

    yield start
    for s in running:
        s.stop()


@dataclass(frozen=True)
class Media:
    folder: Path
    signed_video: Path
    tampered_video: Path
    stripped_video: Path
    signed_photo: Path
    tampered_photo: Path
    unsigned_photo: Path
    audio: Path  # signed into a sidecar beside it (as is the tampered photo)
    ca: Path


@pytest.fixture(scope="session")
def web_media(
    tmp_path_factory: pytest.TempPathFactory, dev: DevIdentity, identity: Identity
) -> Media:
    folder = tmp_path_factory.mktemp("web")
    opts = {"crf": "16", "preset": "veryfast", "threads": "1"}
    write_video(folder / "camera.mp4", Scene(W, H, seed=3).frames(N), options=opts)
    signed = folder / "signed.mp4"
    sign(folder / "camera.mp4", signed, identity=identity, source_type="digitalCapture",
         author="A. Reporter")  # fmt: skip
    foreign = list(Scene(W, H, seed=9).frames(N))
    edited = [
        replace_rect(f, RECT, foreign[i]) if i in EDITED else f
        for i, f in enumerate(read_frames(signed))
    ]
    opts["crf"] = "20"
    write_video(folder / "stripped.mp4", edited, options=opts)
    tampered = folder / "tampered.mp4"
    write_video(tampered, edited, options=opts)
    transplant_manifest(signed, tampered)

    photo = samples.make_photo(folder / "photo.jpg")
    signed_photo = folder / "photo.signed.jpg"
    sign(photo, signed_photo, identity=identity, source_type="digitalCapture", author="A. Reporter")
    # a photo signed into a sidecar, then a "face" painted in: tampered, regions located
    tampered_photo = samples.make_photo(folder / "portrait.png")
    sign(tampered_photo, identity=identity, sidecar=True, source_type="digitalCreation")
    with Image.open(tampered_photo) as im:
        im.load()
        edited_photo = im.copy()
    ImageDraw.Draw(edited_photo).ellipse(PHOTO_EDIT, fill=(90, 60, 50))
    edited_photo.save(tampered_photo)

    audio = make_audio(folder / "song.wav")
    sign(audio, None, identity=identity, source_type="digitalCreation", sidecar=True)
    return Media(folder, signed, tampered, folder / "stripped.mp4", signed_photo,
                 tampered_photo, photo, audio, dev.ca)  # fmt: skip
