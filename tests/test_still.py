"""provenance._still: a still is decoded once, at reduced scale where the format allows
(JPEG draft mode), for both its signed thumbnail and its region fingerprint; small
regions are still located in a large photo; the still path loads no video modules."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import c2pa
import numpy as np
import pytest
from PIL import Image, ImageDraw
from support import synth

from provenance import DevIdentity, Identity, _still, sign, verify
from provenance.frames.features import FINE_SIZE
from provenance.frames.image import _changed_regions, compare_image, fingerprint_image

W, H = 4608, 3072  # a JPEG of this size decodes at 1/2: 2304x1536
FACE = (2250, 1200, 165, 195)  # 0.23% of the picture: a face in a group photo


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A noisy picture with hard edges: the synthetic scene enlarged without smoothing,
    with sharp-edged patches and sensor noise."""
    big = Image.fromarray(synth.Scene(768, 512, seed=3).frame(5)).resize((W, H))
    rng = np.random.default_rng(1)
    draw = ImageDraw.Draw(big)
    for _ in range(60):
        x, y = int(rng.integers(0, W - 300)), int(rng.integers(0, H - 300))
        w, h = (int(v) for v in rng.integers(30, 300, 2))
        draw.rectangle((x, y, x + w, y + h), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    noisy = np.asarray(big, dtype=np.float32) + rng.normal(0.0, 4.0, (H, W, 3))
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _jpeg(img: np.ndarray, path: Path, quality: int = 90, **kw: Any) -> Path:
    Image.fromarray(img).save(path, "JPEG", quality=quality, **kw)
    return path


def test_a_large_jpeg_is_decoded_at_reduced_scale(photo: np.ndarray, tmp_path: Path) -> None:
    still = _still.decode(_jpeg(photo, tmp_path / "a.jpg"))
    assert still.image.size == (W // 2, H // 2) and (still.width, still.height) == (W, H)
    assert _still.DECODE_EDGE == 6 * FINE_SIZE
    # The smallest scale that keeps both sides at least DECODE_EDGE.
    for size, decoded in (((6000, 4000), (3000, 2000)), ((4000, 3000), (4000, 3000))):
        big = tmp_path / "big.jpg"
        Image.new("RGB", size, (90, 120, 200)).save(big, quality=50)
        assert _still.decode(big).image.size == decoded
    # A picture turned by its EXIF orientation: the size is the one viewers show.
    exif = Image.Exif()
    exif[0x0112] = 6
    turned = _still.decode(_jpeg(photo, tmp_path / "turned.jpg", exif=exif.tobytes()))
    assert turned.image.size == (H // 2, W // 2) and (turned.width, turned.height) == (H, W)
    fp = fingerprint_image(turned)
    assert (fp.width, fp.height) == (H, W)
    # Small pictures and other formats decode in full.
    png = tmp_path / "a.png"
    Image.fromarray(photo[:600, :900]).save(png)
    assert _still.decode(png).image.size == (900, 600)


def test_a_copy_decoded_another_way_shows_no_region(photo: np.ndarray, tmp_path: Path) -> None:
    """Signed from a PNG (decoded in full), checked as a JPEG (decoded at reduced scale):
    no region. The check can fail: decoded at 1/8, the same copy gets regions at its hard
    edges, each of its pixels standing for a whole 8x8 block."""
    png = tmp_path / "signed.png"
    Image.fromarray(photo).save(png)
    signed = fingerprint_image(png)
    jpeg = _jpeg(photo, tmp_path / "copy.jpg")
    assert compare_image(signed, jpeg) == []
    with Image.open(jpeg) as im:
        im.draft("RGB", (W // 8, H // 8))
        im.load()
        eighth = fingerprint_image(_still.Still(im, W, H))
    assert _changed_regions(signed, eighth) != []


def test_a_small_face_is_located_in_a_large_jpeg(photo: np.ndarray, tmp_path: Path) -> None:
    """The region grid finds a face of 0.23% of a 14-megapixel photo decoded at 1/2, through
    a JPEG re-save, and an unedited re-save shows no region."""
    signed = fingerprint_image(_jpeg(photo, tmp_path / "signed.jpg", quality=92))
    edited = synth.paste_object(photo, FACE, shade=(90, 60, 50))
    rects = compare_image(signed, _jpeg(edited, tmp_path / "face.jpg", quality=80))
    assert rects and max(synth.iou(r, FACE) for r in rects) > 0.3, rects
    for quality in (95, 75):
        assert compare_image(signed, _jpeg(photo, tmp_path / f"q{quality}.jpg", quality)) == []


def test_sign_decodes_a_still_once_for_its_thumbnail_and_fingerprint(
    photo: np.ndarray,
    identity: Identity,
    dev: DevIdentity,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    src = _jpeg(photo, tmp_path / "photo.jpg")
    decoded: list[Path] = []
    real = _still._open  # every decode, prefetched or not, opens the picture here

    def counted(path: Path | str) -> tuple[Image.Image, int, int]:
        decoded.append(Path(path))
        return real(path)

    monkeypatch.setattr(_still, "_open", counted)
    out = tmp_path / "signed.jpg"
    sign(src, out, identity=identity, source_type="digitalCapture")
    assert decoded == [src]
    with open(out, "rb") as f, c2pa.Reader("image/jpeg", f) as reader:
        store = json.loads(reader.json())
        manifest = store["manifests"][store["active_manifest"]]
        thumb = io.BytesIO()
        reader.resource_to_stream(manifest["thumbnail"]["identifier"], thumb)
    assert "org.provenance.regions" in [a["label"] for a in manifest["assertions"]]
    with Image.open(thumb) as t:
        assert t.format == "JPEG" and t.size == (_still.THUMBNAIL_EDGE, 341)
    assert verify(out, trust=[dev.ca]).verdict.value == "trusted"


def _loaded_by_signing(args: list[str]) -> list[str]:
    """The heavy or video modules a fresh interpreter has loaded after signing."""
    script = (
        "import sys\n"
        "from provenance.cli import app\n"
        "from typer.testing import CliRunner\n"
        f"result = CliRunner().invoke(app, {args!r})\n"
        "assert result.exit_code == 0, result.output\n"
        "heavy = ('av', 'numpy')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy and '.' not in m\n"
        "             or m.startswith('provenance.frames.') or m == 'provenance._demo_media'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    loaded: list[str] = json.loads(proc.stdout.strip().replace("'", '"'))
    return loaded


def test_signing_a_still_loads_no_video_modules(
    media: Callable[[str], Path], dev: DevIdentity, tmp_path: Path
) -> None:
    keys = ["--key", str(dev.key), "--cert", str(dev.cert), "--source-type", "digitalCapture"]
    args = ["sign", str(media("jpg")), "-o", str(tmp_path / "a.jpg"), *keys]
    assert _loaded_by_signing(args) == [
        "numpy",
        "provenance.frames.errors",
        "provenance.frames.features",
        "provenance.frames.grid",
        "provenance.frames.image",
    ]
    # Without fingerprints, the thumbnail needs no NumPy either.
    args = [*args[:3], str(tmp_path / "b.jpg"), *keys, "--no-fingerprints"]
    assert _loaded_by_signing(args) == []


def _counting_opens(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every decode of a still, prefetched or not, opens it through `_still._open`."""
    opened: list[Path] = []
    real = _still._open

    def counted(path: Path | str) -> tuple[Image.Image, int, int]:
        opened.append(Path(path))
        return real(path)

    monkeypatch.setattr(_still, "_open", counted)
    return opened


def test_a_prefetched_still_is_taken_once_while_its_file_is_unchanged(
    photo: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _jpeg(photo[:600, :900], tmp_path / "a.jpg")
    direct = _still.decode(src)
    opened = _counting_opens(monkeypatch)
    _still.prefetch(src)
    _still.prefetch(src)  # already under way: not decoded twice
    taken = _still.load(src)
    assert opened == [src]
    assert taken is not None and taken.image.tobytes() == direct.image.tobytes()
    assert (taken.width, taken.height) == (direct.width, direct.height)
    assert _still.load(src) is not None and opened == [src, src]  # taken once only

    # Rewritten after the decode started: the next load decodes the new picture.
    _still.prefetch(src)
    _jpeg(photo[:300, :400], src)
    changed = _still.load(src)
    assert changed is not None and changed.image.size == (400, 300)

    # Not a picture, or dropped unused: nothing is left pending.
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    _still.prefetch(text)
    _still.prefetch(tmp_path / "missing.jpg")
    _still.prefetch(src)
    _still.discard(src)
    assert _still._pending == {}


def test_the_cli_decodes_a_photo_once_from_its_prefetch(
    photo: np.ndarray, dev: DevIdentity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from provenance.cli import app

    src = _jpeg(photo[:800, :1200], tmp_path / "photo.jpg")
    opened = _counting_opens(monkeypatch)
    prefetched: list[Path] = []
    real = _still.prefetch
    monkeypatch.setattr(_still, "prefetch", lambda p: (prefetched.append(Path(p)), real(p)))
    out = tmp_path / "signed.jpg"
    args = ["sign", str(src), "-o", str(out), "--key", str(dev.key), "--cert", str(dev.cert)]
    result = CliRunner().invoke(app, [*args, "--source-type", "digitalCapture"])
    assert result.exit_code == 0, result.output
    assert prefetched[0] == src and opened == [src] and _still._pending == {}
    assert verify(out, trust=[dev.ca]).verdict.value == "trusted"
