"""Single-pass BMFF signing through the library's embeddable API (provenance._single_pass):
real MP4/MOV/M4A files from PyAV, read back by c2pa-python and decoded by FFmpeg; as
`provenance.sign`'s write step, and its fallback to the library's own signing, both when
a file's layout is refused and when the native API is missing or changed."""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import c2pa
import pytest
from captureutil import make_tagged_video
from mediautil import (
    BMFF_MIME,
    C2PA_UUID,
    bmff_boxes,
    flip_media_byte,
    make_mp4,
    sha256,
    sign_single_pass,
    single_pass_builder,
)
from support.tsa import TimestampServer

from provenance import (
    Creator,
    DevIdentity,
    Identity,
    IdentityStatus,
    Redaction,
    Trust,
    Verdict,
    _embeddable,
    _single_pass,
    _streams,
    generate_dev_creator,
    generate_dev_identity,
    sign,
    verify,
)
from provenance._vocab import FRAMES_LABEL

MADE = "digitalCreation"  # how the generated media were made


def decoded(path: Path) -> list[str]:
    """A digest of every decoded frame of the first stream (video or audio)."""
    with av.open(str(path)) as container:
        return [
            hashlib.sha256(b"".join(bytes(p) for p in frame.planes)).hexdigest()
            for frame in container.decode(container.streams[0])
        ]


def assertions(path: Path, mime: str) -> list[dict[str, Any]]:
    with open(path, "rb") as f, c2pa.Reader(mime, f) as r:
        store = json.loads(r.json())
    return list(store["manifests"][store["active_manifest"]]["assertions"])


def labels(path: Path, mime: str) -> list[str]:
    return [a["label"] for a in assertions(path, mime)]


def bmff_hash(path: Path, mime: str) -> dict[str, Any]:
    (a,) = [a for a in assertions(path, mime) if a["label"].startswith("c2pa.hash.bmff")]
    return dict(a["data"])


@pytest.fixture(scope="module")
def big_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 11 MB: three Merkle leaves."""
    return make_mp4(tmp_path_factory.mktemp("big") / "big.mp4", 3, noise=True)


def test_the_library_build_passes_the_self_check() -> None:
    assert _embeddable.contract_mismatch() is None
    assert _embeddable.NATIVE is not None, "libc2pa_c lacks the embeddable API"
    assert _single_pass.available()


@pytest.mark.parametrize("ext", sorted(BMFF_MIME))
def test_signs_in_one_pass_and_verifies_trusted(
    ext: str, media: Callable[[str], Path], identity: Identity, dev: DevIdentity, tmp_path: Path
) -> None:
    src = media(ext)
    before = sha256(src)
    out = tmp_path / f"out.{ext}"
    store = sign_single_pass(src, out, identity)
    assert sha256(src) == before, "the input must never change"

    report = verify(out, trust=[dev.ca], localize=False)
    assert report.verdict is Verdict.TRUSTED, report.to_dict()
    assert report.title == "single pass"
    assert decoded(out) == decoded(src), "every chunk offset must follow its media data"

    data = out.read_bytes()
    boxes = bmff_boxes(data)
    # C2PA A.5.3: the manifest box right after ftyp, before any mdat and moov.
    assert [b.kind for b in boxes[:2]] == ["ftyp", "uuid:c2pa"]
    box = data[boxes[1].start : boxes[1].end]
    assert box[8:24] == C2PA_UUID and box[28:37] == b"manifest\0" and box[45:].startswith(store)
    for mdat in (b for b in boxes if b.kind == "mdat"):
        assert struct.unpack(">I", data[mdat.start : mdat.start + 4]) == (1,), "64-bit header"
    (merkle,) = bmff_hash(out, BMFF_MIME[ext])["merkle"]
    # Variable-size leaves. (The library's JSON shows number arrays as base64 bytes, so
    # the sizes themselves are checked by validation, not read here.)
    assert merkle["count"] == len(merkle["hashes"]) and "variableBlockSizes" in merkle


def test_media_data_is_hashed_as_4_mib_leaves(
    big_mp4: Path, identity: Identity, dev: DevIdentity, tmp_path: Path
) -> None:
    out = tmp_path / "out.mp4"
    sign_single_pass(big_mp4, out, identity)
    assert verify(out, trust=[dev.ca], localize=False).verdict is Verdict.TRUSTED
    assert decoded(out) == decoded(big_mp4)

    (mdat,) = (b for b in bmff_boxes(big_mp4.read_bytes()) if b.kind == "mdat")
    payload = mdat.size - 8
    (merkle,) = bmff_hash(out, "video/mp4")["merkle"]
    assert merkle["count"] == len(merkle["hashes"]) == -(-payload // _single_pass.LEAF_BYTES) >= 3


def test_moov_before_mdat(identity: Identity, dev: DevIdentity, tmp_path: Path) -> None:
    src = make_mp4(tmp_path / "faststart.mp4", 20, options={"movflags": "faststart"})
    assert [b.kind for b in bmff_boxes(src.read_bytes())][:2] == ["ftyp", "moov"]
    out = tmp_path / "out.mp4"
    sign_single_pass(src, out, identity)
    assert verify(out, trust=[dev.ca], localize=False).verdict is Verdict.TRUSTED
    assert decoded(out) == decoded(src)


def test_signing_a_signed_file_replaces_its_manifest_box(
    media: Callable[[str], Path], identity: Identity, dev: DevIdentity, tmp_path: Path
) -> None:
    once, twice = tmp_path / "once.mp4", tmp_path / "twice.mp4"
    sign_single_pass(media("mp4"), once, identity)
    sign_single_pass(once, twice, identity)
    kinds = [b.kind for b in bmff_boxes(twice.read_bytes())]
    assert kinds.count("uuid:c2pa") == 1
    assert verify(twice, trust=[dev.ca], localize=False).verdict is Verdict.TRUSTED
    assert decoded(twice) == decoded(media("mp4"))


@pytest.mark.parametrize("where", ["mdat", "moov"])
def test_a_changed_byte_is_tampered(
    where: str, big_mp4: Path, identity: Identity, tmp_path: Path
) -> None:
    out = tmp_path / "out.mp4"
    sign_single_pass(big_mp4, out, identity)
    if where == "mdat":
        flip_media_byte(out, big_mp4)
    else:
        data = bytearray(out.read_bytes())
        (moov,) = (b for b in bmff_boxes(bytes(data)) if b.kind == "moov")
        data[moov.start + 40] ^= 0x01  # inside mvhd: timing, not an offset
        out.write_bytes(bytes(data))
    report = verify(out, localize=False)
    assert report.verdict is Verdict.TAMPERED, report.to_dict()
    assert "assertion.bmffHash.mismatch" in report.status_codes


def test_fragmented_mp4_is_not_applicable_and_leaves_the_output_empty(
    identity: Identity, tmp_path: Path
) -> None:
    src = make_mp4(tmp_path / "frag.mp4", 20, options={"movflags": "frag_keyframe+empty_moov"})
    b = single_pass_builder(identity)
    with open(src, "rb") as f, open(tmp_path / "out.mp4", "w+b") as out:
        out.write(b"stale")
        with pytest.raises(_single_pass.NotApplicable, match="moof"):
            _single_pass.sign_bmff(b, "video/mp4", f, out)
        assert out.seek(0, 2) == 0
    assert not b.is_valid, "the builder is spent either way"


def test_other_formats_are_not_applicable(
    media: Callable[[str], Path], identity: Identity, tmp_path: Path
) -> None:
    with open(media("jpg"), "rb") as f, open(tmp_path / "out.jpg", "w+b") as out:
        with pytest.raises(_single_pass.NotApplicable, match="image/jpeg"):
            _single_pass.sign_bmff(single_pass_builder(identity), "image/jpeg", f, out)


def test_unavailable_when_the_api_is_missing_or_the_self_check_fails(
    monkeypatch: pytest.MonkeyPatch,
    media: Callable[[str], Path],
    identity: Identity,
    tmp_path: Path,
) -> None:
    def fails() -> None:
        raise AssertionError("the signed file does not validate")

    for patch in (("NATIVE", None, _embeddable), ("_self_check", fails, _single_pass)):
        name, value, module = patch
        with monkeypatch.context() as m:
            m.setattr(module, name, value)
            _single_pass._self_check_passed.cache_clear()
            assert not _single_pass.available()
            with open(media("mp4"), "rb") as f, open(tmp_path / "o.mp4", "w+b") as out:
                with pytest.raises(_single_pass.NotApplicable):
                    _single_pass.sign_bmff(single_pass_builder(identity), "video/mp4", f, out)
        _single_pass._self_check_passed.cache_clear()
    assert _single_pass.available()


@pytest.mark.parametrize("alg", ["es384", "ps256", "ed25519"])
def test_other_signing_algorithms(alg: str, media: Callable[[str], Path], tmp_path: Path) -> None:
    dev = generate_dev_identity(tmp_path / "keys", alg=alg)
    out = tmp_path / "out.mp4"
    sign_single_pass(media("mp4"), out, dev.load())
    report = verify(out, trust=[dev.ca], localize=False)
    assert report.verdict is Verdict.TRUSTED, report.to_dict()
    assert report.signer is not None and report.signer.algorithm == alg


def test_timestamped(media: Callable[[str], Path], identity: Identity, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    with TimestampServer() as tsa:
        sign_single_pass(media("mp4"), out, identity, tsa_url=tsa.url)
        assert tsa.granted_count == 1
    report = verify(out, localize=False)
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert report.timestamp is not None and report.timestamp.validated


def test_an_edit_records_its_signed_parent(
    media: Callable[[str], Path], identity: Identity, dev: DevIdentity, tmp_path: Path
) -> None:
    parent, edit = tmp_path / "parent.mp4", tmp_path / "edit.mp4"
    sign_single_pass(media("mp4"), parent, identity)
    sign_single_pass(parent, edit, identity, parent=parent)
    report = verify(edit, trust=[dev.ca], localize=False)
    assert report.verdict is Verdict.TRUSTED, report.to_dict()
    assert [a.action for a in report.actions] == ["c2pa.opened", "c2pa.edited"]
    (ingredient,) = report.ingredients
    assert ingredient.relationship == "parentOf" and ingredient.manifest and not ingredient.failures


# ------------------------------------------------------------- as provenance.sign's write


@pytest.fixture
def ways(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many files were written in one pass, refused by it, or signed by the library."""
    seen = {"one pass": 0, "refused": 0, "library": 0}
    one_pass, library = _single_pass.sign_bmff, _streams.sign_fds

    def counted_one_pass(*args: Any) -> bytes:
        try:
            store = one_pass(*args)
        except _single_pass.NotApplicable:
            seen["refused"] += 1
            raise
        seen["one pass"] += 1
        return store

    def counted_library(*args: Any) -> bytes:
        seen["library"] += 1
        return library(*args)

    monkeypatch.setattr(_single_pass, "sign_bmff", counted_one_pass)
    monkeypatch.setattr(_streams, "sign_fds", counted_library)
    return seen


def _only(folder: Path, *names: str) -> bool:
    """Nothing but these files in the folder: no partial output left behind."""
    return sorted(p.name for p in folder.iterdir()) == sorted(names)


@pytest.mark.parametrize("ext", sorted(BMFF_MIME))
def test_sign_writes_bmff_in_one_pass(
    ext: str,
    ways: dict[str, int],
    media: Callable[[str], Path],
    identity: Identity,
    dev: DevIdentity,
    tmp_path: Path,
) -> None:
    src = media(ext)
    before = sha256(src)
    out = tmp_path / f"out.{ext}"
    result = sign(src, out, identity=identity, source_type=MADE)
    assert ways == {"one pass": 1, "refused": 0, "library": 0}
    assert sha256(src) == before and _only(tmp_path, src.name, out.name)
    assert [b.kind for b in bmff_boxes(out.read_bytes())[:2]] == ["ftyp", "uuid:c2pa"]
    report = verify(out, trust=[dev.ca])
    assert report.verdict is Verdict.TRUSTED, report.to_dict()
    assert report.title == out.name
    # The frame fingerprints went in with the rest.
    assert (result.frames_signed is None) == (ext == "m4a")
    assert (FRAMES_LABEL in labels(out, BMFF_MIME[ext])) == (ext != "m4a")
    assert decoded(out) == decoded(src)


def test_an_edit_signed_in_one_pass_records_its_parent(
    ways: dict[str, int],
    media: Callable[[str], Path],
    identity: Identity,
    dev: DevIdentity,
    tmp_path: Path,
) -> None:
    """The signing builder is a copy of the planned one (through an archive): the parent
    ingredient, its manifest and the editing intent survive the copy."""
    parent, edit = tmp_path / "parent.mp4", tmp_path / "edit.mp4"
    sign(media("mp4"), parent, identity=identity, source_type=MADE, fingerprints=False)
    sign(parent, edit, identity=identity, action="cropped", fingerprints=False)
    assert ways["one pass"] == 2 and ways["library"] == 0
    report = verify(edit, trust=[dev.ca], localize=False)
    assert report.verdict is Verdict.TRUSTED, report.to_dict()
    assert [a.action for a in report.actions] == ["c2pa.opened", "c2pa.cropped"]
    (ingredient,) = report.ingredients
    assert ingredient.relationship == "parentOf" and ingredient.manifest


def test_a_layout_the_single_pass_refuses_is_signed_by_the_library(
    ways: dict[str, int], identity: Identity, dev: DevIdentity, tmp_path: Path
) -> None:
    src = make_mp4(tmp_path / "frag.mp4", 20, options={"movflags": "frag_keyframe+empty_moov"})
    out = tmp_path / "out.mp4"
    sign(src, out, identity=identity, source_type=MADE, fingerprints=False)
    assert ways == {"one pass": 0, "refused": 1, "library": 1}
    assert _only(tmp_path, src.name, out.name)
    report = verify(out, trust=[dev.ca], localize=False)
    assert report.verdict is Verdict.TRUSTED, report.to_dict()
    # c2pa-rs 0.91 rejects the Merkle map it writes for a fragmented file: a plain hash.
    assert "merkle" not in bmff_hash(out, "video/mp4")


@pytest.mark.parametrize("layout", ["one mdat", "fragmented"])
def test_a_stream_output_gets_what_a_file_would(
    layout: str,
    ways: dict[str, int],
    media: Callable[[str], Path],
    identity: Identity,
    dev: DevIdentity,
    tmp_path: Path,
) -> None:
    """`-o -`: the asset is signed into a scratch file, in one pass where its layout
    allows (else by the library), and the signed bytes are then copied to the stream."""
    fragmented = {"movflags": "frag_keyframe+empty_moov"}
    src = (
        media("mp4")
        if layout == "one mdat"
        else make_mp4(tmp_path / "frag.mp4", 20, options=fragmented)
    )
    stream = io.BytesIO()
    result = sign(src, stream, identity=identity, source_type=MADE, fingerprints=False)
    one_pass = layout == "one mdat"
    refused = 0 if one_pass else 1
    assert ways == {"one pass": 1 - refused, "refused": refused, "library": refused}
    assert result.output == "-" and result.action == "c2pa.created"
    out = tmp_path / "from-stream.mp4"
    out.write_bytes(stream.getvalue())
    assert bmff_boxes(out.read_bytes())[1].kind == "uuid:c2pa"
    assert verify(out, trust=[dev.ca], localize=False).verdict is Verdict.TRUSTED


@pytest.fixture(scope="module")
def jane(tmp_path_factory: pytest.TempPathFactory) -> DevIdentity:
    return generate_dev_creator(tmp_path_factory.mktemp("creator"), name="Jane Doe", alg="es256")


@pytest.mark.parametrize("layout", ["one mdat", "fragmented"])
def test_a_creator_identity_is_signed_in_one_pass_or_by_the_library(
    layout: str,
    ways: dict[str, int],
    media: Callable[[str], Path],
    identity: Identity,
    dev: DevIdentity,
    jane: DevIdentity,
    tmp_path: Path,
) -> None:
    """The combined claim and identity signer sits in the single pass's context; where
    the single pass refuses the file, the library signs with a fresh combined signer
    (each is good for one signing)."""
    fragmented = {"movflags": "frag_keyframe+empty_moov"}
    src = (
        media("mp4")
        if layout == "one mdat"
        else make_mp4(tmp_path / "frag.mp4", 20, options=fragmented)
    )
    out = tmp_path / "out.mp4"
    creator = Creator(jane.load(), ("cawg.creator",))
    result = sign(src, out, identity=identity, source_type=MADE, creator=creator)
    refused = 0 if layout == "one mdat" else 1
    assert ways == {"one pass": 1 - refused, "refused": refused, "library": refused}
    assert _only(tmp_path, *{src.name, out.name})
    assert result.creator == "CN=Jane Doe, O=Provenance Development"
    report = verify(out, trust=Trust.load([dev.ca], identity=[jane.ca]), localize=False)
    assert report.verdict is Verdict.TRUSTED, report.to_dict()
    (who,) = report.identities
    assert (who.name, who.status) == ("Jane Doe", IdentityStatus.TRUSTED)
    # One pass widens the media data's header; the library keeps it.
    header = _bmff_headers(out)
    assert header == ([16] if layout == "one mdat" else [8] * len(header))


def test_a_single_pass_without_the_identity_falls_back_to_the_library(
    ways: dict[str, int],
    media: Callable[[str], Path],
    identity: Identity,
    dev: DevIdentity,
    jane: DevIdentity,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A native library whose embeddable flow ignored the identity part of the signer
    (played by a plain claim signer in the single pass's context): that manifest is
    thrown away, the output emptied, and the library signs with the identity."""
    from provenance import _cawg

    combined, calls = _cawg.with_identity, []

    def first_without_identity(claim: Identity, creator: Creator, **kw: Any) -> c2pa.Signer:
        calls.append(1)
        if len(calls) == 1:
            alg = c2pa.C2paSigningAlg[claim.alg.upper()]
            return c2pa.Signer.from_callback(claim.sign, alg, claim.chain_pem, None)
        return combined(claim, creator, **kw)

    monkeypatch.setattr(_cawg, "with_identity", first_without_identity)
    out = tmp_path / "out.mp4"
    creator = Creator(jane.load(), ("cawg.creator",))
    sign(media("mp4"), out, identity=identity, source_type=MADE, creator=creator)
    assert ways == {"one pass": 1, "refused": 0, "library": 1} and len(calls) == 2
    report = verify(out, trust=Trust.load([dev.ca], identity=[jane.ca]), localize=False)
    assert report.verdict is Verdict.TRUSTED, report.to_dict()
    assert [(who.name, who.status) for who in report.identities] == [
        ("Jane Doe", IdentityStatus.TRUSTED)
    ]
    assert _bmff_headers(out) == [8]  # the library's own layout, not the single pass's


def _bmff_headers(path: Path) -> list[int]:
    from provenance import _bmff

    with open(path, "rb") as f:
        return [m.header for m in _bmff.scan(f).mdats] if b"moof" not in f.read() else [8]


@pytest.mark.parametrize("ext", ["mov", "mp4"])
def test_a_redacted_video_is_signed_in_one_pass_from_its_stripped_copy(
    ext: str, ways: dict[str, int], identity: Identity, dev: DevIdentity, tmp_path: Path
) -> None:
    """The signature covers the copy without the withheld metadata, not the input."""
    src = make_tagged_video(tmp_path / f"clip.{ext}")
    before = sha256(src)
    out = tmp_path / f"out.{ext}"
    result = sign(src, out, identity=identity, source_type="digitalCapture", redact=["location"])
    assert ways == {"one pass": 1, "refused": 0, "library": 0}
    assert result.redacted == (Redaction.LOCATION,)
    assert sha256(src) == before and _only(tmp_path, src.name, out.name)
    position = b"+48.8584" if ext == "mov" else b"loci"
    assert position in src.read_bytes() and position not in out.read_bytes()
    report = verify(out, trust=[dev.ca], localize=False)
    assert report.verdict is Verdict.TRUSTED, report.to_dict()
    assert not report.metadata_location
    assert report.capture is not None and report.capture.redacted == (Redaction.LOCATION,)
    assert [a.action for a in report.actions] == ["c2pa.created", "c2pa.edited.metadata"]


@pytest.fixture(params=["library version", "error check"])
def native_api_changed(request: pytest.FixtureRequest) -> Iterator[str]:
    """c2pa-python as it would be with another native library, or with its error check
    changed: `_embeddable`, loaded again, must notice and stand down."""
    from c2pa import c2pa as layer

    with pytest.MonkeyPatch.context() as m:
        if request.param == "library version":
            m.setattr(c2pa, "sdk_version", lambda: "0.99.0")
        else:
            original = layer._check_ffi_operation_result

            def changed(result: Any, fallback_msg: str, *, context: Any = None, **kw: Any) -> Any:
                return original(result, fallback_msg, **kw)

            m.setattr(layer, "_check_ffi_operation_result", changed)
        importlib.reload(_embeddable)
        yield request.param
    importlib.reload(_embeddable)
    assert _embeddable.contract_mismatch() is None and _single_pass.available()


@pytest.mark.parametrize("ext", sorted(BMFF_MIME))
def test_with_the_native_api_changed_sign_keeps_the_library_path(
    ext: str,
    native_api_changed: str,
    ways: dict[str, int],
    media: Callable[[str], Path],
    identity: Identity,
    dev: DevIdentity,
    tmp_path: Path,
) -> None:
    mismatch = _embeddable.contract_mismatch()
    assert mismatch is not None
    assert ("0.99.0" if native_api_changed == "library version" else "takes") in mismatch
    assert _embeddable.NATIVE is None and not _single_pass.available()
    out = tmp_path / f"out.{ext}"
    sign(media(ext), out, identity=identity, source_type=MADE, fingerprints=False)
    assert ways == {"one pass": 0, "refused": 0, "library": 1}
    report = verify(out, trust=[dev.ca], localize=False)
    assert report.verdict is Verdict.TRUSTED, report.to_dict()
    # The library's own path keeps its memory flat too: a Merkle map, whatever the size.
    assert bmff_hash(out, BMFF_MIME[ext]).get("merkle")
