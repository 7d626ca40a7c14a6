"""The command line: keygen, sign, verify, demo; JSON outputs validate against schemas."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from mediautil import SCHEMAS, flip_media_byte
from typer.testing import CliRunner

import provenance
from provenance.cli import app

runner = CliRunner()


def schema(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((SCHEMAS / name).read_text())
    return loaded


def test_every_exported_name_imports() -> None:
    for name in provenance.__all__:
        assert getattr(provenance, name) is not None, name


def test_help_lists_every_command_with_the_first_paragraph_of_its_docstring() -> None:
    """`provenance --help` lists the commands from a table, without loading them: the
    table must say what each command's own help says."""
    import inspect

    import typer.main

    from provenance.cli import COMMANDS

    group = typer.main.get_command(app)
    top = " ".join(runner.invoke(app, ["--help"], terminal_width=400).output.split())
    for name, (_, line) in COMMANDS.items():
        command = group.get_command(None, name)  # type: ignore[attr-defined]
        first = inspect.cleandoc(command.help).split("\n\n")[0]
        assert " ".join(first.split()) == line, name
        assert f"{name} {line}" in top


@pytest.mark.parametrize("command", ["keygen", "sign", "verify", "demo", "register"])
def test_help_has_examples_and_exit_codes(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    if command == "verify":
        assert "Exit codes" in result.output


@pytest.mark.parametrize("key_type", ["es256", "es384", "ps256", "ed25519"])
def test_keygen_sign_verify_roundtrip(
    key_type: str, tmp_path: Path, media: Callable[[str], Path]
) -> None:
    keys = tmp_path / "keys"
    result = runner.invoke(
        app, ["keygen", "--out", str(keys), "--org", "Newsroom", "--type", key_type, "--json"]
    )
    assert result.exit_code == 0, result.output
    paths = json.loads(result.stdout)
    assert stat.S_IMODE(Path(paths["key"]).stat().st_mode) == 0o600
    assert "PRIVATE KEY" not in result.output

    src, out = media("jpg"), tmp_path / "signed.jpg"
    result = runner.invoke(
        app,
        [
            "sign",
            str(src),
            "-o",
            str(out),
            "--key",
            paths["key"],
            "--cert",
            paths["cert"],
            "--author",
            "Ann",
            "--source-type",
            "digitalCreation",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["output"] == str(out)

    result = runner.invoke(app, ["verify", str(out), "--trust", paths["ca"], "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, schema("verification-report.schema.json"))
    (report,) = doc["reports"]
    assert report["verdict"] == "trusted" and report["path"] == str(out)
    assert report["signer"]["subject"].startswith("CN=Newsroom Signer")
    assert report["signer"]["algorithm"] == key_type


def test_keygen_refuses_overwrite(tmp_path: Path) -> None:
    assert runner.invoke(app, ["keygen", "--out", str(tmp_path)]).exit_code == 0
    before = (tmp_path / "signer.key").read_bytes()
    result = runner.invoke(app, ["keygen", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert (tmp_path / "signer.key").read_bytes() == before


def test_verify_mixed_batch_exit_codes_and_schema(
    signed: Callable[[str], Path],
    media: Callable[[str], Path],
    dev: provenance.DevIdentity,
    tmp_path: Path,
) -> None:
    good = signed("png")
    bad = signed("mp4")
    flip_media_byte(bad, tmp_path / "sample.mp4")
    unsigned = media("wav")

    ok = runner.invoke(app, ["verify", str(good), "--trust", str(dev.ca)])
    assert ok.exit_code == 0 and "TRUSTED" in ok.output

    result = runner.invoke(app, ["verify", str(good), str(bad), str(unsigned), "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, schema("verification-report.schema.json"))
    assert [r["verdict"] for r in doc["reports"]] == ["valid", "tampered", "unsigned"]
    assert "assertion.bmffHash.mismatch" in doc["reports"][1]["status_codes"]
    assert doc["summary"]["verdicts"]["tampered"] == 1

    human = runner.invoke(app, ["verify", str(bad)])
    assert human.exit_code == 1
    assert "TAMPERED" in human.output and "assertion.bmffHash.mismatch" in human.output

    with_error = runner.invoke(app, ["verify", str(good), str(tmp_path / "missing.jpg")])
    assert with_error.exit_code == 2


def test_valid_fails_when_trust_required(signed: Callable[[str], Path], tmp_path: Path) -> None:
    other = provenance.generate_dev_identity(tmp_path / "o")
    result = runner.invoke(app, ["verify", str(signed("jpg")), "--trust", str(other.ca)])
    assert result.exit_code == 1 and "VALID" in result.output


def test_sign_sidecar_cli(media: Callable[[str], Path], dev: provenance.DevIdentity) -> None:
    src = media("wav")
    result = runner.invoke(
        app,
        ["sign", str(src), "--sidecar", "--key", str(dev.key), "--cert", str(dev.cert),
         "--source-type", "digitalCreation"],  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert Path(str(src) + ".c2pa").is_file()
    result = runner.invoke(app, ["verify", str(src), "--trust", str(dev.ca)])
    assert result.exit_code == 0 and "sidecar" in result.output


def test_sidecar_refused_where_the_library_rewrites_the_asset(
    media: Callable[[str], Path], dev: provenance.DevIdentity
) -> None:
    src = media("mp3")
    before = src.read_bytes()
    args = ["sign", str(src), "--sidecar", "--key", str(dev.key), "--cert", str(dev.cert),
            "--source-type", "digitalCreation"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "embedded instead" in result.output
    assert not Path(str(src) + ".c2pa").exists() and src.read_bytes() == before


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--workdir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    # Point 17: the folder it names is kept, and the case checked with --reference says so.
    assert f"demo files kept in {tmp_path}" in result.stderr
    assert (tmp_path / "clip.swapped.mp4").is_file() and (tmp_path / "keys" / "ca.pem").is_file()
    references = {c["case"]: c["reference"] for c in json.loads(result.stdout)}
    assert references.pop("face swap, frames 20-39, manifest stripped") == "clip.signed.mp4"
    assert set(references.values()) == {None}
    verdicts = {c["case"]: c["verdict"] for c in json.loads(result.stdout)}
    assert verdicts == {
        "unsigned photo": "unsigned",
        "signed photo": "trusted",
        "signed video": "trusted",
        "signed photo, untrusted": "valid",
        "tampered photo": "tampered",
        "tampered video": "tampered",
        "face swap, frames 20-39, manifest stripped": "tampered",
    }
    swap = json.loads(result.stdout)[-1]["frames"]
    edited = [s for s in swap["segments"] if s["status"] == "edited"]
    assert [s["signed_range"] for s in edited] == [[20, 39]]


def test_demo_without_a_folder_keeps_the_one_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point 17: it printed a temporary folder, then deleted it."""
    import re
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = runner.invoke(app, ["demo"], terminal_width=200)
    assert result.exit_code == 0, result.output
    (where,) = re.findall(r"demo files kept in (\S+)", result.stderr)
    assert Path(where).parent == tmp_path and (Path(where) / "photo.signed.jpg").is_file()
    assert "manifest stripped: checked with --reference clip.signed.mp4\n" in result.stdout


def test_version_and_shell_completion() -> None:
    """Point 15."""
    from provenance._c2pa import SDK_VERSION

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    version = f"provenance-toolkit {provenance.__version__} (C2PA library c2pa-rs {SDK_VERSION})"
    assert result.stdout == version + "\n"
    assert runner.invoke(app, ["-V"]).stdout == result.stdout
    help_text = runner.invoke(app, ["--help"]).stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text

    def complete(words: str) -> str:
        """What the shell's completion function gets back for the words typed so far
        (the protocol the installed bash script speaks)."""
        env = {"_PROVENANCE_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - 1)}  # fmt: skip
        result = runner.invoke(app, [], prog_name="provenance", env=env)
        assert result.exit_code == 0, result.output
        return result.stdout

    assert complete("provenance ver") == "verify\n"
    assert complete("provenance verify --no") == "--no-frames\n"


@pytest.mark.parametrize("command", ["check", "demo", "history", "keygen", "sign", "verify"])
def test_help_reads_like_other_command_line_tools(command: str) -> None:
    """Point 15: `--no-frames`, not `--no-no-frames`; no `<bool>`, `<path>` or
    `<list[Path]>` labels; `FILE...`, not `{files}`; paragraphs reflowed."""
    text = runner.invoke(app, [command, "--help"], terminal_width=100).stdout
    assert "--no-no-" not in text and "{" not in text.split("Options")[0]
    for label in ("<bool>", "<path>", "<list[", "<str>", "<int>"):
        assert label not in text, (command, label)
    usage = {
        "check": "[OPTIONS] [PATH...]", "demo": "[OPTIONS]", "history": "[OPTIONS] FILE",
        "keygen": "[OPTIONS]", "sign": "[OPTIONS] FILE", "verify": "[OPTIONS] FILE...",
    }[command]  # fmt: skip
    assert f"Usage: provenance {command} {usage}" in text
    root = runner.invoke(app, ["--help"], terminal_width=100).stdout
    assert "<bool>" not in root
    assert "Run the whole flow on generated media: make a development" in root


def test_flags_are_single_words() -> None:
    text = runner.invoke(app, ["verify", "--help"], terminal_width=100).stdout
    assert "--no-frames " in text
    sign = runner.invoke(app, ["sign", "--help"], terminal_width=100).stdout
    assert all(f in sign for f in ("--sidecar ", "--no-fingerprints ", "--force "))
    assert "--no-sidecar" not in sign and "--no-force" not in sign
