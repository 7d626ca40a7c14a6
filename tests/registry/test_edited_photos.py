"""Edited photos found by lookup: a signed photo with an object pasted in its centre (0.5%
and 1% of the picture), stripped and re-saved as JPEG, is found through its regional
blocks on SQLite, PostgreSQL and HTTP, and the edit is localized; unrelated photos find
nothing; a photo signed with the first form of the binding (one block) still verifies,
registers and is found."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mediautil import schema_validator
from PIL import Image
from support.registrations import sign_with_binding
from support.synth import iou

import provenance
from provenance import (
    DevIdentity,
    Identity,
    SoftBindingError,
    SourceKind,
    Verdict,
)
from provenance._demo_media import Scene, make_photo, paste_object
from provenance._fingerprints import check_soft_binding
from provenance._read import EMBEDDED, context, open_asset, read_store
from provenance._registry import compute
from provenance._registry.decode import image_analysis
from provenance._registry.fingerprint import HYPOTHESES, REGIONS
from provenance._registry.manifest import binding_of
from provenance._registry.query import Query, image_query
from provenance._registry.softbinding import ALG, ALG_V1, SoftBinding

W, H = 640, 480
WHITE = (255, 255, 255)
Rect = tuple[int, int, int, int]


def _centre(fraction: float) -> Rect:
    """A square of `fraction` of the picture's area in its centre (x, y, w, h)."""
    s = int((fraction * W * H) ** 0.5)
    return (W // 2 - s // 2, H // 2 - s // 2, s, s)


@dataclass(frozen=True)
class Photos:
    signed: Path
    other_signed: Path  # a second registered photo
    copies: dict[str, tuple[Path, Rect]]  # edited, stripped copies and the pasted box in them
    unrelated: list[Path]


def _manifest(path: Path) -> dict[str, Any]:
    store = read_store(open_asset(path), EMBEDDED, context(provenance.Trust.coerce(None)))
    return json.loads(json.dumps(store.active))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory, identity: Identity) -> Photos:
    root = tmp_path_factory.mktemp("edited-photos")
    original = root / "photo.png"
    Image.fromarray(Scene(W, H, seed=5).frame(40)).save(original)
    signed = root / "photo.signed.png"
    sign_with_binding(original, signed, identity)
    other = make_photo(root / "other.png", size=(W, H), seed=3)
    other_signed = root / "other.signed.png"
    sign_with_binding(other, other_signed, identity)

    pixels = np.asarray(Image.open(signed).convert("RGB"))
    copies: dict[str, tuple[Path, Rect]] = {}
    for name, fraction in (("centre_0.5pct_q75", 0.005), ("centre_1pct_q75", 0.01)):
        box = _centre(fraction)
        path = root / f"{name}.jpg"
        Image.fromarray(paste_object(pixels, box, WHITE)).save(path, quality=75)
        copies[name] = (path, box)
    x, y, w, h = _centre(0.01)
    half = Image.fromarray(paste_object(pixels, (x, y, w, h), WHITE))
    path = root / "centre_1pct_half_q75.jpg"
    half.resize((W // 2, H // 2), Image.BILINEAR).save(path, quality=75)
    copies["centre_1pct_half_q75"] = (path, (x // 2, y // 2, w // 2, h // 2))

    unrelated = []
    for seed in (21, 33, 47, 61):
        p = root / f"unrelated_{seed}.jpg"
        Image.fromarray(Scene(W, H, seed=seed).frame(10)).save(p, quality=90)
        unrelated.append(p)
    # the registered photo's own neighbourhood: the same scene a moment later, edited
    p = root / "unrelated_later.jpg"
    later = Scene(W, H, seed=5).frame(400)
    Image.fromarray(paste_object(later, _centre(0.01), WHITE)).save(p, quality=75)
    unrelated.append(p)
    return Photos(signed, other_signed, copies, unrelated)


def test_a_signed_photo_carries_regional_blocks_that_agree_with_its_region_table(
    photos: Photos,
) -> None:
    manifest = _manifest(photos.signed)
    data = next(a["data"] for a in manifest["assertions"] if a["label"] == "c2pa.soft-binding")
    schema_validator("soft-binding-assertion.schema.json").validate(data)
    assert data["alg"] == ALG
    assert data["blocks"][0]["scope"] == {}
    shapes = [b["scope"]["region"]["region"][0]["shape"] for b in data["blocks"][1:]]
    assert len(shapes) == len(REGIONS) == 16
    assert shapes[0]["origin"] == {"x": 0.0, "y": 0.0} and shapes[0]["width"] == 40.0
    binding = binding_of(manifest)  # checked against the region table
    assert [b.region for b in binding.blocks] == list(range(17))
    assert provenance.verify(photos.signed).verdict is Verdict.VALID


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d["blocks"].pop(7),  # a region missing
        lambda d: d.update(alg=ALG_V1),  # version 1: the whole picture's block alone
        lambda d: d["blocks"].insert(0, d["blocks"].pop(3)),  # the whole picture's not first
        lambda d: d["blocks"][2]["scope"].update(timespan={"start": 0, "end": 1000}),
    ],
)
def test_malformed_still_bindings_are_refused(photos: Photos, spoil: Any) -> None:
    manifest = _manifest(photos.signed)
    data = next(a["data"] for a in manifest["assertions"] if a["label"] == "c2pa.soft-binding")
    SoftBinding.from_assertion_data(data)
    spoil(data)
    with pytest.raises(SoftBindingError):
        SoftBinding.from_assertion_data(data)


def test_a_still_query_names_only_the_blocks_a_still_has(photos: Photos) -> None:
    gray, size = image_analysis(photos.copies["centre_1pct_q75"][0])
    query = image_query(gray, size, HYPOTHESES[:3])
    assert {p.start_ms for p in query.probes} == {i * 1000 for i in range(17)}
    assert Query.decode(query.encode()) == query
    hostile = replace(query, probes=(*query.probes, replace(query.probes[0], start_ms=17_000)))
    with pytest.raises(SoftBindingError, match="a still does not have"):
        Query.decode(hostile.encode())


@pytest.mark.parametrize(
    "spoiled",
    [slice(5, 13), slice(5, 21)],  # its hash alone; its hash and table copy alike
    ids=["hash", "hash-and-table"],
)
def test_a_regional_block_that_disagrees_with_the_region_table_is_invalid(
    photos: Photos, spoiled: slice
) -> None:
    """A photo claiming another picture's regions (to borrow credentials through a
    registry) is invalid, however well it is signed."""
    report = provenance.verify(photos.signed)
    manifest = _manifest(photos.signed)
    binding = next(a for a in manifest["assertions"] if a["label"] == "c2pa.soft-binding")
    raw = binding["data"]["blocks"][6]["value"]
    value = bytearray(base64.b64decode(raw) if isinstance(raw, str) else bytes(raw))
    value[spoiled] = bytes(b ^ 0xFF for b in value[spoiled])  # inverted
    binding["data"]["blocks"][6]["value"] = list(value)
    checked = check_soft_binding(replace(report), manifest)
    assert checked.verdict is Verdict.INVALID
    assert "disagrees with the signed region table in region 6" in checked.message


@pytest.mark.parametrize("copy", ["centre_0.5pct_q75", "centre_1pct_q75", "centre_1pct_half_q75"])
def test_an_edited_photo_is_found_and_its_edit_localized(
    location: str, photos: Photos, copy: str, dev: DevIdentity
) -> None:
    provenance.register([photos.signed, photos.other_signed], registry=location)
    (mine,) = provenance.register([photos.signed], registry=location)
    path, box = photos.copies[copy]
    report = provenance.verify(path, lookup=location, trust=[dev.ca])
    assert report.verdict is Verdict.TAMPERED, report.message
    assert report.manifest_source is SourceKind.REGISTRY
    assert report.lookup is not None
    best = report.lookup.matches[0]
    assert best.manifest_id == mine.manifest_id and best.kind == "image"
    # found by its regions: at least half of the sixteen align (docs/registry.md)
    assert best.aligned_blocks >= 9 and best.compared_blocks == 17
    assert report.regions and max(iou(r, box) for r in report.regions) > 0.5


def test_unrelated_photos_find_nothing(location: str, photos: Photos, dev: DevIdentity) -> None:
    provenance.register([photos.signed, photos.other_signed], registry=location)
    for path in photos.unrelated:
        report = provenance.verify(path, lookup=location, trust=[dev.ca])
        assert report.verdict is Verdict.UNSIGNED, path.name
        assert report.lookup is not None and not report.lookup.found, path.name
    # while the same registry finds an edited copy of the registered photo
    found = provenance.lookup(photos.copies["centre_1pct_q75"][0], registry=location)
    assert [m.title for m in found.matches] == [photos.signed.name]


def test_a_photo_signed_with_the_single_block_binding_still_verifies_and_is_found(
    tmp_path: Path,
    photos: Photos,
    identity: Identity,
    dev: DevIdentity,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Photos signed before regional blocks (algorithm .1, the whole picture's block
    alone) still verify, register and are found."""
    original = tmp_path / "old.png"
    Image.fromarray(Scene(W, H, seed=8).frame(20)).save(original)
    signed = tmp_path / "old.signed.png"
    first_form = compute.image_binding

    def single_block(image: Any, fingerprint: Any = None) -> Any:
        return first_form(image, fingerprint, regions=False)

    monkeypatch.setattr(compute, "image_binding", single_block)
    sign_with_binding(original, signed, identity)
    monkeypatch.undo()

    manifest = _manifest(signed)
    data = next(a["data"] for a in manifest["assertions"] if a["label"] == "c2pa.soft-binding")
    schema_validator("soft-binding-assertion.schema.json").validate(data)
    assert data["alg"] == ALG_V1 and len(data["blocks"]) == 1
    assert binding_of(manifest).alg == ALG_V1
    assert provenance.verify(signed).verdict is Verdict.VALID

    registry = tmp_path / "old.db"
    (added,) = provenance.register([signed, photos.signed], registry=registry)[:1]
    copy = tmp_path / "old.q75.jpg"
    Image.open(signed).convert("RGB").save(copy, quality=75)
    report = provenance.verify(copy, lookup=registry, trust=[dev.ca])
    assert report.lookup is not None and report.lookup.matches
    assert report.lookup.matches[0].manifest_id == added.manifest_id
    assert report.lookup.matches[0].compared_blocks == 1
    for path in photos.unrelated:  # the one block decides, as before regional blocks
        assert not provenance.lookup(path, registry=registry).found, path.name
