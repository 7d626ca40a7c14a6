"""The end-to-end demo: make an identity, sign a photo and a video, tamper with
copies, verify everything. What `provenance demo` runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import _demo_media
from .errors import InputError, OutputError
from .keygen import generate_dev_identity
from .models import VerificationReport
from .sign import sign
from .verify import verify

__all__ = ["DemoCase", "run_demo"]


@dataclass(frozen=True)
class DemoCase:
    """One case of the demo: what was done to the file, and its verification report."""

    label: str
    report: VerificationReport
    reference: str | None = None  # the signed original it was checked against (--reference)


def _flip_byte(src: Path, dst: Path, *, from_end: int) -> None:
    """Copy `src` with one byte of media data (near the end, past the manifest) changed."""
    data = bytearray(src.read_bytes())
    data[-from_end] ^= 0x55
    dst.write_bytes(bytes(data))


def run_demo(workdir: Path | str) -> list[DemoCase]:
    """Make an identity, sign a photo and a video, tamper with copies, verify them all.
    The files stay in `workdir` (created if needed) for the user to look at."""
    work = Path(workdir)
    if work.exists() and not work.is_dir():
        raise InputError(f"{work}: exists and is not a folder; give a folder for the demo files")
    try:
        work.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{work}: cannot create the demo folder ({e.strerror})") from None
    dev = generate_dev_identity(work / "keys", org="Provenance Demo", force=True)
    identity = dev.load()
    photo = _demo_media.make_photo(work / "photo.jpg")
    video = _demo_media.make_video(work / "clip.mp4", seconds=2.0)
    signed_photo = work / "photo.signed.jpg"
    signed_video = work / "clip.signed.mp4"
    # The samples are made by software, and say so.
    for src, dst, author in ((photo, signed_photo, "Demo Photographer"),
                             (video, signed_video, "Demo Videographer")):  # fmt: skip
        sign(src, dst, identity=identity, author=author, source_type="digitalCreation", force=True)
    tampered_photo = work / "photo.tampered.jpg"
    _flip_byte(signed_photo, tampered_photo, from_end=200)
    tampered_video = work / "clip.tampered.mp4"
    _flip_byte(signed_video, tampered_video, from_end=2000)
    swapped_video = work / "clip.swapped.mp4"
    _swap_faces(signed_video, swapped_video, frames=range(20, 40))
    trust = [dev.ca]
    return [
        DemoCase("unsigned photo", verify(photo, trust=trust)),
        DemoCase("signed photo", verify(signed_photo, trust=trust)),
        DemoCase("signed video", verify(signed_video, trust=trust)),
        DemoCase("signed photo, untrusted", verify(signed_photo)),
        DemoCase("tampered photo", verify(tampered_photo, trust=trust)),
        DemoCase("tampered video", verify(tampered_video, trust=trust)),
        DemoCase(
            "face swap, frames 20-39, manifest stripped",
            verify(swapped_video, trust=trust, reference=signed_video),
            reference=signed_video.name,
        ),
    ]


def _swap_faces(src: Path, dst: Path, *, frames: range) -> None:
    """Decode, paint over a face-sized region of some frames, re-encode: what a face-swap
    pipeline does (and it drops the manifest, as most tools do)."""
    from ._demo_media import paste_object, read_frames, write_video

    w, h = _size(src)
    rect = (w // 3, h // 4, w // 4, h // 4)
    pictures = (
        paste_object(img, rect) if i in frames else img for i, img in enumerate(read_frames(src))
    )
    write_video(dst, pictures, options={"crf": "20", "preset": "veryfast"})


def _size(video: Path) -> tuple[int, int]:
    import av

    with av.open(str(video)) as c:
        s = c.streams.video[0]
        return s.codec_context.width, s.codec_context.height
