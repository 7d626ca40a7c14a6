"""Who made it and how, end to end through the command line: `keygen --identity`, `sign`
with a creator identity, capture metadata and redaction, `verify` and `history` in text
and JSON (valid against their schemas), and `check` with the identity and capture rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from captureutil import gps_ifd, make_exif_photo, make_tagged_video
from mediautil import schema_validator
from typer.testing import CliRunner

from provenance.cli import app

runner = CliRunner()


def run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    root = tmp_path_factory.mktemp("keys")
    signer = json.loads(run("keygen", "-o", root / "desk", "--org", "Newsroom", "--json").stdout)
    jane = run(
        "keygen", "--identity", "--name", "Jane Doe", "--org", "Daily Planet",
        "-o", root / "jane", "--json",
    )  # fmt: skip
    return {"signer": signer, "jane": json.loads(jane.stdout)}


def sign(keys: dict[str, dict[str, str]], src: Path, out: Path, *extra: str) -> dict[str, Any]:
    s = keys["signer"]
    result = run("sign", src, "-o", out, "--key", s["key"], "--cert", s["cert"], "--json", *extra)
    doc: dict[str, Any] = json.loads(result.stdout)
    schema_validator("sign-result.schema.json").validate(doc)
    return doc


def with_jane(keys: dict[str, dict[str, str]], *roles: str) -> list[str]:
    j = keys["jane"]
    args = ["--identity-key", j["key"], "--identity-cert", j["cert"]]
    for role in roles:
        args += ["--identity-role", role]
    return args


def test_keygen_identity_writes_a_creator(keys: dict[str, dict[str, str]]) -> None:
    j = keys["jane"]
    assert [Path(j[k]).name for k in ("key", "cert", "ca")] == [
        "creator.key", "creator.pem", "creator-ca.pem",
    ]  # fmt: skip
    result = run("keygen", "--identity", "-o", Path(j["key"]).parent / "x", code=2)
    assert result.output.strip() == "error: --identity needs the creator's name (--name)"


def test_photo_signed_by_a_creator_with_location_withheld(
    keys: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    src = make_exif_photo(tmp_path / "photo.jpg")
    out = tmp_path / "signed.jpg"
    doc = sign(
        keys, src, out, "--source-type", "digitalCapture", "--redact", "location",
        *with_jane(keys, "cawg.creator", "cawg.publisher"),
    )  # fmt: skip
    assert doc["creator"] == "CN=Jane Doe, O=Daily Planet"
    assert doc["creator_roles"] == ["cawg.creator", "cawg.publisher"]
    assert doc["redacted"] == ["location"]
    assert doc["capture"]["make"] == "Acme" and doc["capture"]["position"] is None
    assert gps_ifd(src) and not gps_ifd(out)

    trust = ["--trust", keys["signer"]["ca"], "--identity-trust", keys["jane"]["ca"]]
    result = run("verify", out, *trust, "--json")
    batch = json.loads(result.stdout)
    schema_validator("verification-report.schema.json").validate(batch)
    (report,) = batch["reports"]
    assert report["verdict"] == "trusted" and report["metadata_location"] is False
    (who,) = report["identities"]
    assert (who["name"], who["organization"], who["status"]) == (
        "Jane Doe", "Daily Planet", "trusted",
    )  # fmt: skip
    assert who["roles"] == ["cawg.creator", "cawg.publisher"]
    assert "cawg.x509.signature.validated" in who["success"]
    capture = report["capture"]
    assert capture["captured_at"] == "2024-05-01T14:34:56+02:00"
    assert capture["exposure_time"] == "1/125" and capture["f_number"] == 2.8
    assert capture["position"] is None and capture["redacted"] == ["location"]

    text = run("verify", out, *trust).stdout
    assert "creator     Jane Doe, Daily Planet (cawg.creator, cawg.publisher): TRUSTED" in text
    assert (
        "capture     Acme Shooter S1 with 24-70mm F2.8; taken 2024-05-01T14:34:56+02:00; "
        "1/125 s f/2.8 ISO 200 35 mm; location redacted"
    ) in text
    # Without identity anchors the claim is still trusted; the creator is only valid.
    text = run("verify", out, "--trust", keys["signer"]["ca"]).stdout
    assert "TRUSTED" in text.splitlines()[0]
    assert "(cawg.creator, cawg.publisher): VALID - signature valid; credential not trusted" in text

    original = run("verify", src, code=1).stdout
    assert "UNSIGNED" in original and "gives away where it was made" in original

    h = run("history", out, *trust, "--json")
    tree = json.loads(h.stdout)
    schema_validator("history.schema.json").validate(tree)
    assert tree["root"]["identities"][0]["status"] == "trusted"
    assert tree["root"]["capture"]["redacted"] == ["location"]
    lines = run("history", out, *trust).stdout
    assert "creator: Jane Doe, Daily Planet (cawg.creator, cawg.publisher): TRUSTED" in lines


def test_video_capture_time_through_the_cli(
    keys: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    src = make_tagged_video(tmp_path / "clip.mp4")
    out = tmp_path / "signed.mp4"
    doc = sign(keys, src, out, "--source-type", "digitalCapture", "--no-fingerprints")
    assert doc["capture"]["captured_at"] == "2024-05-01T12:34:56Z"
    assert doc["capture"]["position"]["latitude"] == pytest.approx(48.8584)
    (report,) = json.loads(run("verify", out, "--json").stdout)["reports"]
    assert report["capture"]["captured_at"] == "2024-05-01T12:34:56Z"
    assert report["metadata_location"] is True  # not redacted: the container still says


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--identity-key", "k.pem"], "give --identity-key and --identity-cert"),
        (["--identity-role", "cawg.editor"], "--identity-role and --identity-passphrase-env need"),
        (["--redact", "location", "--sidecar"], "a sidecar leaves the file as it is"),
    ],
)
def test_usage_errors_are_one_line(
    keys: dict[str, dict[str, str]], tmp_path: Path, args: list[str], message: str
) -> None:
    src = make_exif_photo(tmp_path / "photo.jpg")
    s = keys["signer"]
    result = run(
        "sign", src, "-o", tmp_path / "o.jpg", "--key", s["key"], "--cert", s["cert"],
        "--source-type", "digitalCapture", *args, code=2,
    )  # fmt: skip
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: ") and message in line
    assert not (tmp_path / "o.jpg").exists()


def test_check_applies_the_identity_and_capture_rules(
    keys: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    src = make_exif_photo(tmp_path / "photo.jpg")
    sign(keys, src, repo / "good.jpg", "--source-type", "digitalCapture",
         "--redact", "location", *with_jane(keys))  # fmt: skip
    sign(keys, src, repo / "gps.jpg", "--source-type", "digitalCapture", *with_jane(keys))
    sign(keys, src, repo / "nobody.jpg", "--source-type", "digitalCapture",
         "--redact", "location", "--redact", "time")  # fmt: skip
    fingerprint = json.loads(run("verify", repo / "good.jpg", "--json").stdout)["reports"][0][
        "identities"
    ][0]["certificate_sha256"]
    (repo / "certs").mkdir()
    for name in ("signer", "jane"):
        (repo / "certs" / f"{name}.pem").write_text(Path(keys[name]["ca"]).read_text())
    (repo / "provenance.toml").write_text(
        "[trust]\n"
        'anchors = ["certs/signer.pem"]\n'
        'identity_anchors = ["certs/jane.pem"]\n'
        "[rules]\n"
        "require_identity = true\n"
        f'allowed_identities = ["sha256:{fingerprint}"]\n'
        "require_capture_time = true\n"
        "forbid_location = true\n"
    )
    result = run("check", repo, "--format", "json", "--jobs", "1", "--no-cache", code=1)
    doc = json.loads(result.stdout)
    got = {
        Path(r["path"]).name: sorted(v["rule"] for v in r["violations"]) for r in doc["results"]
    }
    assert got == {
        "good.jpg": [],
        "gps.jpg": ["location-published"],
        "nobody.jpg": ["capture-time-missing", "identity-missing", "identity-not-allowed"],
    }
