"""Stripped copies end to end: sign and register, strip by re-encoding with PyAV, and let
`verify --lookup` find the signed original and localize the edits without it; unrelated
media finds nothing. Through SQLite, PostgreSQL and the HTTP resolution API (uvicorn on
127.0.0.1), with the library and the CLI."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mediautil import schema_validator
from PIL import Image
from support.synth import iou, transcode
from typer.testing import CliRunner

import provenance
from provenance import (
    DevIdentity,
    RegisterStatus,
    RegistrationRefused,
    SourceKind,
    Verdict,
)
from provenance._demo_media import paste_object
from provenance._fingerprints import check_soft_binding
from provenance._read import EMBEDDED, context, open_asset, read_store
from provenance.cli import app

SWAP = (150, 50, 64, 64)  # x, y, w, h of the swapped region, frames 90-179 (3-6 s)
runner = CliRunner()


@pytest.fixture(scope="module")
def swapped(media: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The signed clip with a region swapped for 3 s, stripped by re-encoding (CRF 28)."""
    out = tmp_path_factory.mktemp("swapped") / "swapped.mp4"

    def edit(i: int, img: Any) -> Any:
        return paste_object(img, SWAP) if 90 <= i < 180 else img

    transcode(media.signed, out, crf=28, edit=edit)
    return out


def test_a_stripped_copy_is_found_and_its_swapped_region_localized(
    location: str, media: Any, swapped: Path, dev: DevIdentity
) -> None:
    (added,) = provenance.register([media.signed], registry=location)
    assert added.status is RegisterStatus.ADDED
    (again,) = provenance.register([media.signed], registry=location)
    assert again.status is RegisterStatus.UNCHANGED  # idempotent

    assert provenance.verify(swapped).verdict is Verdict.UNSIGNED  # stripped indeed
    report = provenance.verify(swapped, lookup=location, trust=[dev.ca])
    batch = replace(provenance.verify_many([]), reports=(report,))
    schema_validator("verification-report.schema.json").validate(batch.to_dict())

    assert report.manifest_source is SourceKind.REGISTRY
    assert report.verdict is Verdict.TAMPERED
    assert "found in the registry" in report.message
    assert report.lookup is not None and report.lookup.found
    best = report.lookup.matches[0]
    assert best.manifest_id == added.manifest_id
    assert best.verdict is Verdict.TRUSTED  # the original's own manifest, validated
    assert best.similarity >= 60
    assert best.signed_range == pytest.approx((0.0, 8.0), abs=0.1)

    # the edits, localized against the recovered manifest's fingerprints alone
    assert report.frames is not None
    edited = [s for s in report.frames.segments if s.status == "edited"]
    assert edited, report.frames.summary
    assert all(85 <= s.signed_range[0] and s.signed_range[1] <= 185 for s in edited)
    assert sum(s.signed_range[1] - s.signed_range[0] + 1 for s in edited) >= 60
    assert max(iou(r, SWAP) for s in edited for r in s.regions) > 0.3
    assert {s.status for s in report.frames.segments} <= {"reencoded", "edited"}


def test_unrelated_media_is_not_found(location: str, media: Any, dev: DevIdentity) -> None:
    provenance.register([media.signed, media.photo_signed], registry=location)
    for path in (media.unrelated, media.unrelated_photo):
        report = provenance.verify(path, lookup=location, trust=[dev.ca])
        assert report.verdict is Verdict.UNSIGNED
        assert "no signed original found in" in report.message
        assert report.lookup is not None and not report.lookup.found
        assert provenance.lookup(path, registry=location).matches == ()


def test_audio_without_credentials_stays_unsigned_with_lookup(tmp_path: Path) -> None:
    from support.synth import make_audio

    registry = tmp_path / "empty.db"
    provenance.open_registry(registry, create=True).close()
    report = provenance.verify(make_audio(tmp_path / "tone.wav"), lookup=registry)
    assert report.verdict is Verdict.UNSIGNED
    assert "only photos and video can be looked up" in report.message


def test_a_stripped_photo_is_found_and_its_edit_localized(
    tmp_path: Path, media: Any, dev: DevIdentity
) -> None:
    registry = tmp_path / "photos.db"
    provenance.register([media.photo_signed], registry=registry)
    copy = tmp_path / "copy.jpg"
    # outside the picture's core (its central half), which a still is found by: an edit
    # inside it changes the still's only fingerprint (docs/registry.md)
    rect = (480, 350, 90, 90)
    pixels = np.asarray(Image.open(media.photo_signed).convert("RGB"))
    Image.fromarray(paste_object(pixels, rect)).save(copy, quality=85)
    report = provenance.verify(copy, lookup=registry, trust=[dev.ca])
    assert report.verdict is Verdict.TAMPERED and report.manifest_source is SourceKind.REGISTRY
    assert report.lookup is not None and report.lookup.matches[0].kind == "image"
    assert report.regions and max(iou(r, rect) for r in report.regions) > 0.3


def test_the_cli_signs_registers_and_looks_up(
    tmp_path: Path, media: Any, swapped: Path, dev: DevIdentity
) -> None:
    registry = str(tmp_path / "cli.db")
    keys = ["--key", str(dev.key), "--cert", str(dev.cert)]
    signed = tmp_path / "signed.mp4"
    result = runner.invoke(
        app,
        ["sign", str(media.original), "-o", str(signed), *keys,
         "--source-type", "digitalCapture", "--register", registry],  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert "registered (added)" in result.output

    result = runner.invoke(app, ["register", str(media.signed), str(signed), "--registry",
                                 registry, "--trust", str(dev.ca), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    schema_validator("register-result.schema.json").validate(doc)
    assert [r["status"] for r in doc["results"]] == ["added", "unchanged"]

    result = runner.invoke(
        app, ["verify", str(swapped), "--lookup", "--trust", str(dev.ca)],
        env={"PROVENANCE_REGISTRY": registry},
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # tampered: the copy is not the original
    assert "found in the registry" in result.output and "edited" in result.output

    result = runner.invoke(app, ["verify", str(media.unrelated), "--lookup", registry, "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)["reports"][0]
    assert report["verdict"] == "unsigned" and report["lookup"]["found"] is False

    result = runner.invoke(app, ["verify", str(media.unrelated)])
    assert "--lookup" in result.output  # the hint

    result = runner.invoke(app, ["register", str(media.unrelated), "--registry", registry])
    assert result.exit_code == 1
    assert "no content credentials to register" in result.output


def test_lookup_takes_the_registry_as_its_value(
    tmp_path: Path, media: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = str(tmp_path / "reg.db")
    provenance.register([media.photo_signed], registry=registry)
    copy = str(media.photo_copies["jpeg50"])
    monkeypatch.delenv("PROVENANCE_REGISTRY", raising=False)
    for args in (
        [copy, "--lookup", registry, "--no-frames"],
        ["--lookup", registry, copy],  # REG first, then FILE
        [copy, "--lookup=" + registry],
    ):
        result = runner.invoke(app, ["verify", *args])
        assert result.exit_code == 1, (args, result.output)  # tampered: found, not the asset
        assert "found in the registry" in result.output, args

    # without REG: $PROVENANCE_REGISTRY, whether --lookup comes last or before an option
    for args in ([copy, "--lookup"], [copy, "--lookup", "--no-frames"]):
        result = runner.invoke(app, ["verify", *args], env={"PROVENANCE_REGISTRY": registry})
        assert "found in the registry" in result.output, (args, result.output)
        result = runner.invoke(app, ["verify", *args])
        assert result.exit_code == 2 and "no registry given" in result.output, result.output

    # the footgun: the option before FILE takes FILE as the registry
    for args in (["--lookup", copy], ["--lookup", copy, str(media.photo_signed)]):
        result = runner.invoke(app, ["verify", *args])
        assert result.exit_code == 2, result.output
        line = result.output.strip()
        assert "\n" not in line and "put FILE first" in line, line
        assert f"provenance verify {copy} --lookup" in line

    # one way in: verify has no --registry of its own
    result = runner.invoke(app, ["verify", copy, "--lookup", "--registry", registry])
    assert result.exit_code == 2


def test_registration_refuses_untrusted_signers_and_registers_nothing(
    tmp_path: Path, media: Any
) -> None:
    from support.certs import make_root_ca

    stranger = tmp_path / "other-ca.pem"
    stranger.write_bytes(make_root_ca().pem)
    registry = tmp_path / "strict.db"
    with pytest.raises(RegistrationRefused, match="not trusted"):
        provenance.register(
            [media.photo_signed, media.signed], registry=registry, trust=[stranger],
            require_trusted=True,
        )  # fmt: skip
    assert not registry.exists() or provenance.lookup(media.signed, registry=registry).matches == ()


def test_verify_refuses_a_soft_binding_that_disagrees_with_its_frame_table(media: Any) -> None:
    """A manifest claiming another picture's fingerprint (to borrow credentials through a
    registry) is invalid, however well it is signed."""
    asset = open_asset(media.signed)
    store = read_store(asset, EMBEDDED, context(provenance.Trust.coerce(None)))
    report = provenance.verify(media.signed)
    assert report.verdict is Verdict.VALID
    manifest = json.loads(json.dumps(store.active))
    binding = next(a for a in manifest["assertions"] if a["label"] == "c2pa.soft-binding")
    raw = binding["data"]["blocks"][3]["value"]  # base64, as c2pa-python returns bytes
    value = bytearray(base64.b64decode(raw) if isinstance(raw, str) else bytes(raw))
    value[13:21] = bytes(8)  # the block's frame-table majority, zeroed
    binding["data"]["blocks"][3]["value"] = list(value)
    checked = check_soft_binding(replace(report), manifest)
    assert checked.verdict is Verdict.INVALID
    assert "disagrees with the signed frame table at 3 s" in checked.message
