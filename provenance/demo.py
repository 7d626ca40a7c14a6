"""The end-to-end demo: make an identity, sign a photo and a video, tamper with
copies, verify everything. What `provenance demo` runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import samples
from .keygen import generate_dev_identity
from .models import VerificationReport
from .sign import sign
from .verify import verify

__all__ = ["DemoCase", "run_demo"]


@dataclass(frozen=True)
class DemoCase:
    label: str
    report: VerificationReport


def _flip_byte(src: Path, dst: Path, *, from_end: int) -> None:
    """Copy `src` with one byte of media data (near the end, past the manifest) changed."""
    data = bytearray(src.read_bytes())
    data[-from_end] ^= 0x55
    dst.write_bytes(bytes(data))


def run_demo(workdir: Path | str) -> list[DemoCase]:
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    dev = generate_dev_identity(work / "keys", org="Provenance Demo", force=True)
    identity = dev.load()
    photo = samples.make_photo(work / "photo.jpg")
    video = samples.make_video(work / "clip.mp4", seconds=2.0)
    signed_photo = work / "photo.signed.jpg"
    signed_video = work / "clip.signed.mp4"
    sign(photo, signed_photo, identity=identity, author="Demo Photographer", force=True)
    sign(video, signed_video, identity=identity, author="Demo Videographer", force=True)
    tampered_photo = work / "photo.tampered.jpg"
    _flip_byte(signed_photo, tampered_photo, from_end=200)
    tampered_video = work / "clip.tampered.mp4"
    _flip_byte(signed_video, tampered_video, from_end=2000)
    trust = [dev.ca]
    return [
        DemoCase("unsigned photo", verify(photo, trust=trust)),
        DemoCase("signed photo", verify(signed_photo, trust=trust)),
        DemoCase("signed video", verify(signed_video, trust=trust)),
        DemoCase("signed photo, untrusted", verify(signed_photo)),
        DemoCase("tampered photo", verify(tampered_photo, trust=trust)),
        DemoCase("tampered video", verify(tampered_video, trust=trust)),
    ]
