"""provenance._c2pa: errors classified by c2pa-python's public exception classes, contexts
shared by settings (per process), and the generator stamp."""

from __future__ import annotations

import os
from pathlib import Path

import c2pa
import pytest

from provenance import Identity, ManifestError, sign, verify
from provenance._c2pa import SDK_VERSION, ErrorKind, classify, context, error_text, generator
from provenance._version import __version__
from provenance.models import Verdict


def _read_error(path: Path, mime: str) -> c2pa.C2paError:
    with open(path, "rb") as f, pytest.raises(c2pa.C2paError) as info:
        c2pa.Reader(mime, f, context=context())
    return info.value


def test_no_manifest(media_dir: Path) -> None:
    err = _read_error(media_dir / "sample.jpg", "image/jpeg")
    assert isinstance(err, c2pa.C2paError.ManifestNotFound)
    assert classify(err) is ErrorKind.NO_MANIFEST


def test_unsupported_format(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not media\n" * 20)
    err = _read_error(tmp_path / "notes.txt", "text/plain")
    assert isinstance(err, c2pa.C2paError.NotSupported)
    assert classify(err) is ErrorKind.UNSUPPORTED


def test_io_and_other_classes() -> None:
    assert classify(c2pa.C2paError.Io("Io: broken pipe")) is ErrorKind.IO
    assert classify(c2pa.C2paError.FileNotFound("FileNotFound: x")) is ErrorKind.IO
    assert classify(c2pa.C2paError.RemoteManifest("RemoteManifest: x")) is ErrorKind.REMOTE
    assert classify(c2pa.C2paError.Other("Other: unknown algorithm")) is ErrorKind.OTHER
    # Only the untyped base class is read by its message (see below), never a subclass.
    assert classify(c2pa.C2paError.Verify("Remote: not really")) is ErrorKind.OTHER


def _remote_only(src: Path, dst: Path, identity: Identity) -> bytes:
    """Sign `src` with its manifest stored remotely: the file carries only the URL."""
    definition = {
        "claim_generator_info": [{"name": "test"}],
        "title": dst.name,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/"
                "digitalCapture",
            }]}},
        ],
    }  # fmt: skip
    builder = c2pa.Builder(definition, context=context())
    builder.set_remote_url("https://example.invalid/manifests/photo.c2pa")
    builder.set_no_embed()
    alg = c2pa.C2paSigningAlg[identity.alg.upper()]
    with (
        c2pa.Signer.from_callback(identity.sign, alg, identity.chain_pem, None) as signer,
        open(src, "rb") as f,
        open(dst, "w+b") as out,
    ):
        return bytes(builder.sign(signer, "image/jpeg", f, out))


def test_remote_manifest_is_recognized_and_never_fetched(
    media_dir: Path, identity: Identity, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.jpg"
    store = _remote_only(media_dir / "sample.jpg", photo, identity)
    err = _read_error(photo, "image/jpeg")
    assert classify(err) is ErrorKind.REMOTE
    # c2pa-python 0.38 has no class for this error and raises the base class with a
    # "Remote:" message. When an upgrade types it, this fails: drop `_untyped_remote`.
    assert type(err) is c2pa.C2paError and str(err).startswith("Remote:")
    # Point 9: the URL is printed, so the user can fetch it and keep it as a sidecar.
    url = "https://example.invalid/manifests/photo.c2pa"
    with pytest.raises(ManifestError, match=f"stored remotely at {url} and is not fetched"):
        verify(photo)
    # Signing it would cut its history: refused the same way, with the URL.
    with pytest.raises(ManifestError, match=f"stored remotely at {url}"):
        sign(photo, tmp_path / "out.jpg", identity=identity, action="edited")
    # Saved beside the file, the manifest is used as a sidecar.
    (tmp_path / "photo.jpg.c2pa").write_bytes(store)
    assert verify(photo).verdict is Verdict.VALID


def test_error_text_is_one_line_without_the_wrapping() -> None:
    err = c2pa.C2paError("Failed to create reader: Other: bad thing\nmore detail")
    assert error_text(err) == "Other: bad thing"
    assert error_text(c2pa.C2paError("")) == "C2paError"


def test_contexts_are_shared_by_settings_within_a_process() -> None:
    a = context(trust_anchors_pem=None)
    assert context() is a
    assert context(core={"backing_store_memory_threshold_in_mb": 64}) is not a


def test_a_forked_process_builds_its_own_context() -> None:
    parent = id(context())
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: a native context of the parent's must not be reused
        os.write(write, b"1" if id(context()) != parent else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"


def test_generator_names_both_versions() -> None:
    g = generator()
    assert (g.name, g.version, g.c2pa) == ("provenance-toolkit", __version__, SDK_VERSION)
    assert SDK_VERSION == c2pa.sdk_version()


def test_a_corpus_file_s_remote_manifest_address_is_printed(corpus: Path) -> None:
    """Point 9, through the command line: the URL to fetch, and no fetch."""
    from typer.testing import CliRunner

    from provenance.cli import app

    png = corpus / "c2pa-rs" / "libpng-test_with_url.png"
    result = CliRunner().invoke(app, ["verify", str(png)])
    assert result.exit_code == 2
    assert "stored remotely at http://localhost:5000/libpng-test.c2pa and is not fetched" in (
        result.output
    )
    assert "libpng-test_with_url.png.c2pa" in result.output
