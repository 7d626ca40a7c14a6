"""Finding the signed original of stripped, transformed copies (SQLite and PostgreSQL),
and never finding one for unrelated media."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mediautil import schema_validator
from support.registrations import sign_with_binding, synthetic

from provenance import Identity, LookupResult, UnsupportedFormatError
from provenance._demo_media import Scene, read_frames, write_video
from provenance._registry.lookup import lookup_file
from provenance._registry.manifest import read_store
from provenance._registry.store import Registry


@pytest.fixture
def filled(new_registry: Callable[[], Registry], media: Any) -> Registry:
    reg = new_registry()
    reg.register([read_store(media.store), read_store(media.photo_store)])
    reg.register([synthetic(i, seconds=30) for i in range(50)])  # bystanders
    return reg


@pytest.mark.parametrize("copy", ["reencoded", "letterbox_caption", "cropped", "excerpt_25fps"])
def test_stripped_video_copies_find_their_original(filled: Registry, media: Any, copy: str) -> None:
    original = read_store(media.store).manifest_id
    result = lookup_file(filled, media.copies[copy])
    assert result.found, copy
    doc = result.to_dict()
    schema_validator("lookup.schema.json").validate(doc)
    assert LookupResult.from_dict(doc).to_dict() == doc
    best = result.matches[0]
    assert best.manifest_id == original
    assert best.similarity >= 60
    assert best.aligned_blocks >= 2
    assert best.signed_range is not None and best.checked_range is not None
    if copy == "excerpt_25fps":
        # 3.5 s taken 2.4 s into the signed clip
        assert best.checked_range[0] == pytest.approx(0.0, abs=0.1)
        assert best.signed_range[0] == pytest.approx(2.4, abs=0.15)
        assert best.signed_range[1] - best.signed_range[0] == pytest.approx(3.5, abs=0.2)
    else:
        assert best.signed_range == pytest.approx(best.checked_range, abs=0.1)


def test_letterbox_geometry_maps_the_signed_frame_inside_the_bars(
    filled: Registry, media: Any
) -> None:
    best = lookup_file(filled, media.copies["letterbox_caption"]).matches[0]
    x, y, w, h = best.geometry.signed_box
    # 320x180 inside 320x240: bars of 30 px above and below
    assert (x, y, w, h) == pytest.approx((0, 30, 320, 180), abs=4)
    # a region of the signed frame lands 30 px lower in the checked one
    assert best.geometry.to_checked((80, 60, 80, 60), (320, 180)) == pytest.approx(
        (80, 90, 80, 60), abs=4
    )


@pytest.mark.parametrize("copy", ["jpeg50", "half_webp", "cropped"])
def test_photo_copies_find_their_original(filled: Registry, media: Any, copy: str) -> None:
    result = lookup_file(filled, media.photo_copies[copy])
    assert [m.manifest_id for m in result.matches] == [read_store(media.photo_store).manifest_id]


def test_unrelated_media_finds_nothing(filled: Registry, media: Any) -> None:
    assert not lookup_file(filled, media.unrelated).found
    assert not lookup_file(filled, media.unrelated_photo).found


def test_audio_and_documents_cannot_be_looked_up(filled: Registry, tmp_path: Any) -> None:
    from support.synth import make_audio

    audio = make_audio(tmp_path / "tone.wav")
    with pytest.raises(UnsupportedFormatError, match="cannot be looked up"):
        lookup_file(filled, audio)


def test_a_long_copy_is_found_from_a_stretch(
    new_registry: Callable[[], Registry], tmp_path: Path, identity: Identity
) -> None:
    """Over 12 s only 4 s are decoded (from 10% of the way in), and the match still maps
    the whole copy onto the signed timeline."""
    scene = Scene(320, 180, seed=8)
    original = tmp_path / "long.mp4"
    write_video(original, scene.frames(30 * 16), options={"crf": "16", "preset": "veryfast"})
    signed = tmp_path / "long.signed.mp4"
    store = sign_with_binding(original, signed, identity)
    copy = tmp_path / "long.copy.mp4"
    write_video(copy, read_frames(signed, scale=0.5), options={"crf": "30", "preset": "veryfast"})
    reg = new_registry()
    reg.register([read_store(store)])
    result = lookup_file(reg, copy)
    assert 3000 <= result.decoded_ms <= 4100
    best = result.matches[0]
    assert best.signed_range == pytest.approx((0.0, 16.0), abs=0.1)
    assert best.checked_range == pytest.approx((0.0, 16.0), abs=0.1)


def test_lookups_stop_at_the_time_limit(filled: Registry, media: Any) -> None:
    with pytest.raises(TimeoutError):
        lookup_file(filled, media.copies["cropped"], time_limit=0)
