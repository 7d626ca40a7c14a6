"""Interop: media signed by our toolkit must validate in @trustnxt/c2pa-ts.

c2pa-ts is a pure TypeScript C2PA implementation sharing no code with c2pa-rs (which
c2pa-python wraps). It has no trust-anchor check, so we compare the *signature* and
*hard-binding hash* verdicts only. See interop/c2pa-ts/README.md for the findings.

Signing currently goes through bare c2pa-python in :func:`_sign`; switch that one helper to
the project's ``provenance`` signing API once it lands.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import av
import c2pa
import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

import provenance
from provenance import Identity
from provenance._media import detect

Verdict = dict[str, Any]
Validator = Callable[..., list[Verdict]]

MIME = {"jpeg": "image/jpeg", "png": "image/png", "mp4": "video/mp4"}

# ---------------------------------------------------------------------------------------------
# Dev certificate chain (root CA -> end entity), one per signing algorithm
# ---------------------------------------------------------------------------------------------

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class DevCredential:
    sign: Callable[[bytes], bytes]
    chain_pem: str  # end-entity first, then the root


def _new_key(alg: str) -> PrivateKey:
    if alg.startswith("ES"):
        curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
        return ec.generate_private_key(curve)
    if alg.startswith("PS"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "ED25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(alg)


ShaHash = hashes.SHA256 | hashes.SHA384 | hashes.SHA512


def _hash_for(alg: str) -> ShaHash:
    bits = alg[-3:]
    if bits == "256":
        return hashes.SHA256()
    if bits == "384":
        return hashes.SHA384()
    if bits == "512":
        return hashes.SHA512()
    raise ValueError(alg)


def _signing_callback(alg: str, key: PrivateKey) -> Callable[[bytes], bytes]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        ecdsa = ec.ECDSA(_hash_for(alg))
        return lambda data: key.sign(data, ecdsa)
    if isinstance(key, rsa.RSAPrivateKey):
        digest = _hash_for(alg)
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        return lambda data: key.sign(data, pss, digest)
    return key.sign


def _cert_hash(key: PrivateKey, alg: str) -> ShaHash | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else _hash_for(alg)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Provenance Dev"),
        ]
    )


@cache
def _dev_credential(alg: str) -> DevCredential:
    now = dt.datetime.now(dt.UTC)
    root_key, ee_key = _new_key(alg), _new_key(alg)
    root_name = _name(f"Provenance Dev Root CA ({alg})")
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(root_ski, critical=False)
        .sign(root_key, _cert_hash(root_key, alg))
    )
    ee = (
        x509.CertificateBuilder()
        .subject_name(_name(f"Provenance Dev Signer ({alg})"))
        .issuer_name(root_name)
        .public_key(ee_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ee_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
            critical=False,
        )
        .sign(root_key, _cert_hash(root_key, alg))
    )
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (ee, root))
    return DevCredential(
        sign=_signing_callback(alg, ee_key),
        chain_pem=chain_pem.decode(),
    )


# ---------------------------------------------------------------------------------------------
# Signing: the one place to switch to the project's own API (provenance.sign) later
# ---------------------------------------------------------------------------------------------


def _sign(src: Path, dst: Path, fmt: str, alg: str = "ES256") -> None:
    """Sign ``src`` (format ``fmt``: jpeg/png/mp4) into ``dst`` with the toolkit itself."""
    cred = _dev_credential(alg)
    identity = Identity.from_callback(cred.sign, alg=alg.lower(), chain_pem=cred.chain_pem)
    provenance.sign(src, dst, identity=identity, title=dst.name, source_type="digitalCreation")
    assert detect(dst).mime == MIME[fmt]


# ---------------------------------------------------------------------------------------------
# Media generation and tampering
# ---------------------------------------------------------------------------------------------


def _pixels(width: int = 64, height: int = 48, seed: int = 0) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([(x * 4 + seed) % 256, (y * 5) % 256, ((x + y) * 3) % 256], axis=-1)
    return rgb.astype(np.uint8)


def _make_media(fmt: str, path: Path) -> Path:
    if fmt in ("jpeg", "png"):
        Image.fromarray(_pixels()).save(path, format=fmt.upper())
        return path
    if fmt == "mp4":
        with av.open(str(path), mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=10)
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            for i in range(5):
                frame = av.VideoFrame.from_ndarray(_pixels(seed=i * 17), format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        return path
    raise ValueError(fmt)


def _jpeg_scan_offset(data: bytes) -> int:
    """Offset of a byte in the middle of the first entropy-coded scan of a JPEG."""
    pos = 2
    while pos < len(data):
        assert data[pos] == 0xFF, f"bad JPEG marker at {pos}"
        marker = data[pos + 1]
        seglen = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:  # SOS: scan data follows the header
            start = pos + 2 + seglen
            end = data.index(b"\xff\xd9", start)
            return start + (end - start) // 2
        pos += 2 + seglen
    raise AssertionError("no SOS segment")


def _png_idat_offset(data: bytes) -> tuple[int, int, int]:
    """(chunk start, data length, offset of a byte in the middle) of the first IDAT chunk."""
    pos = 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == b"IDAT":
            return pos, length, pos + 8 + length // 2
        pos += 12 + length
    raise AssertionError("no IDAT chunk")


def _mp4_mdat_offset(data: bytes) -> int:
    pos = 0
    while pos < len(data):
        size, kind, header = int.from_bytes(data[pos : pos + 4], "big"), data[pos + 4 : pos + 8], 8
        if size == 1:  # 64-bit largesize
            size, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif size == 0:  # box extends to end of file
            size = len(data) - pos
        if kind == b"mdat":
            return pos + header + (size - header) // 2
        pos += size
    raise AssertionError("no mdat box")


def _tamper(fmt: str, src: Path, dst: Path) -> int:
    """Copy ``src`` to ``dst`` with one byte of media data (outside the manifest) flipped.

    The file stays structurally valid (PNG chunk CRC is recomputed), so only the
    hard-binding hash can notice. Returns the flipped offset.
    """
    data = bytearray(src.read_bytes())
    if fmt == "jpeg":
        off = _jpeg_scan_offset(bytes(data))
        # keep clear of 0xFF marker/stuffing bytes so the JPEG structure is unchanged
        while data[off] in (0xFE, 0xFF) or data[off - 1] == 0xFF:
            off += 1
        data[off] ^= 0x01
    elif fmt == "png":
        chunk, length, off = _png_idat_offset(bytes(data))
        data[off] ^= 0x01
        crc = zlib.crc32(bytes(data[chunk + 4 : chunk + 8 + length]))
        data[chunk + 8 + length : chunk + 12 + length] = crc.to_bytes(4, "big")
    elif fmt == "mp4":
        off = _mp4_mdat_offset(bytes(data))
        data[off] ^= 0x01
    else:
        raise ValueError(fmt)
    dst.write_bytes(bytes(data))
    return off


def _tamper_claim(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` with one byte of the signed claim changed.

    The last character of the claim's ``instanceID`` text is altered (ASCII stays ASCII, so
    the CBOR stays well-formed): only the claim signature can notice.
    """
    data = bytearray(src.read_bytes())
    claim = data.find(b"c2pa.claim")  # JUMBF label of the claim box (v1 or v2)
    assert claim >= 0, "no claim box"
    key = data.find(b"\x6ainstanceID", claim)  # CBOR text(10) "instanceID"
    assert key >= 0, "claim has no instanceID"
    head = key + 11
    if data[head] == 0x78:  # text, 1-byte length
        length, start = data[head + 1], head + 2
    else:
        assert 0x60 <= data[head] <= 0x77, f"unexpected CBOR header {data[head]:#x}"
        length, start = data[head] - 0x60, head + 1
    data[start + length - 1] ^= 0x01
    dst.write_bytes(bytes(data))


def _c2pa_rs_failures(path: Path, fmt: str) -> list[str]:
    """Failure codes from our own stack (c2pa-rs via c2pa-python), for cross-checking.

    ``signingCredential.untrusted`` is dropped: the dev root is in no trust list.
    """
    with path.open("rb") as f, c2pa.Reader(MIME[fmt], f) as reader:
        report = json.loads(reader.json())
    codes = [s["code"] for s in report.get("validation_status", [])]
    return [c for c in codes if c != "signingCredential.untrusted"]


def _why(verdict: Verdict) -> str:
    return f"c2pa-ts failures={verdict['failure_codes']} error={verdict['error']!r}"


# ---------------------------------------------------------------------------------------------
# Corpus: every (format, algorithm) signed once, batch-validated by a few node runs
# ---------------------------------------------------------------------------------------------

FORMATS = ("jpeg", "png", "mp4")
ALGS = ("ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "ED25519")
EXT = {"jpeg": "jpg", "png": "png", "mp4": "mp4"}

C2PA_TS_ES512_BUG = (
    "c2pa-ts 0.9.4 bug: its COSE algorithm table maps ES512 (-36) to ECDSA with SHA-256 "
    "instead of SHA-512, so every ES512 claim signature is reported as claimSignature.mismatch "
    "(proven by test_es512_rejection_is_c2pa_ts_hash_table_bug)"
)


@dataclass(frozen=True)
class Sample:
    fmt: str
    alg: str
    signed: Path
    tampered_media: Path  # one media byte flipped outside the manifest
    tampered_claim: Path  # one byte of the signed claim changed


@dataclass(frozen=True)
class Verdicts:
    plain: dict[Path, Verdict]  # c2pa-ts as shipped
    forced: dict[Path, Verdict]  # MP4 only, --force-bmff (brand check bypassed)
    es512_patched: dict[Path, Verdict]  # ES512 only, --patch-es512-hash (+ --force-bmff)

    def effective(self, path: Path) -> Verdict:
        """The verdict to judge interop by: MP4 needs --force-bmff to be read at all."""
        return self.forced[path] if path.suffix == ".mp4" else self.plain[path]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Sample]:
    root = tmp_path_factory.mktemp("c2pa_ts")
    out: dict[tuple[str, str], Sample] = {}
    for fmt in FORMATS:
        src = _make_media(fmt, root / f"unsigned.{EXT[fmt]}")
        for alg in ALGS:
            stem = f"{fmt}-{alg.lower()}"
            sample = Sample(
                fmt,
                alg,
                signed=root / f"{stem}.{EXT[fmt]}",
                tampered_media=root / f"{stem}-tampered-media.{EXT[fmt]}",
                tampered_claim=root / f"{stem}-tampered-claim.{EXT[fmt]}",
            )
            _sign(src, sample.signed, fmt, alg)
            _tamper(fmt, sample.signed, sample.tampered_media)
            _tamper_claim(sample.signed, sample.tampered_claim)
            out[fmt, alg] = sample
    return out


@pytest.fixture(scope="module")
def verdicts(c2pa_ts: Validator, corpus: dict[tuple[str, str], Sample]) -> Verdicts:
    def files(samples: list[Sample]) -> list[Path]:
        return [p for s in samples for p in (s.signed, s.tampered_media, s.tampered_claim)]

    def run(paths: list[Path], **flags: bool) -> dict[Path, Verdict]:
        return dict(zip(paths, c2pa_ts(paths, **flags), strict=True))

    samples = list(corpus.values())
    return Verdicts(
        plain=run(files(samples)),
        forced=run(files([s for s in samples if s.fmt == "mp4"]), force_bmff=True),
        es512_patched=run(
            [s.signed for s in samples if s.alg == "ES512"], force_bmff=True, patch_es512=True
        ),
    )


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def _param(fmt: str, alg: str) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=C2PA_TS_ES512_BUG)] if alg == "ES512" else []
    return pytest.param(fmt, alg, id=f"{fmt}-{alg}", marks=marks)


MATRIX = [_param(fmt, alg) for fmt in FORMATS for alg in ALGS]


@pytest.mark.parametrize(("fmt", "alg"), MATRIX)
def test_signed_media_validates(
    fmt: str, alg: str, corpus: dict[tuple[str, str], Sample], verdicts: Verdicts
) -> None:
    """Format x algorithm matrix: signature and hard binding both verify in c2pa-ts."""
    sample = corpus[fmt, alg]
    assert _c2pa_rs_failures(sample.signed, fmt) == [], "our own stack must accept it first"
    v = verdicts.effective(sample.signed)
    assert v["has_manifest"], _why(v)
    assert v["error"] is None, _why(v)
    assert v["signature_valid"] is True, _why(v)
    assert v["hash_valid"] is True, _why(v)
    assert v["valid"] is True, _why(v)
    hash_code = "assertion.bmffHash.match" if fmt == "mp4" else "assertion.dataHash.match"
    assert hash_code in v["status_codes"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_tampered_media_breaks_hash_not_signature(
    fmt: str, corpus: dict[tuple[str, str], Sample], verdicts: Verdicts
) -> None:
    sample = corpus[fmt, "ES256"]
    mismatch = "assertion.bmffHash.mismatch" if fmt == "mp4" else "assertion.dataHash.mismatch"
    assert _c2pa_rs_failures(sample.tampered_media, fmt) == [mismatch]  # both stacks agree
    v = verdicts.effective(sample.tampered_media)
    assert v["has_manifest"], _why(v)
    assert v["signature_valid"] is True, _why(v)
    assert v["hash_valid"] is False, _why(v)
    assert v["failure_codes"] == [mismatch], _why(v)


@pytest.mark.parametrize("fmt", FORMATS)
def test_tampered_claim_breaks_signature(
    fmt: str, corpus: dict[tuple[str, str], Sample], verdicts: Verdicts
) -> None:
    sample = corpus[fmt, "ES256"]
    assert "claimSignature.mismatch" in _c2pa_rs_failures(sample.tampered_claim, fmt)
    v = verdicts.effective(sample.tampered_claim)
    assert v["has_manifest"], _why(v)
    assert v["signature_valid"] is False, _why(v)
    assert "claimSignature.mismatch" in v["failure_codes"], _why(v)
    # c2pa-ts stops before the hard-binding check once any error is recorded
    assert v["hash_valid"] is None, _why(v)


def test_plain_mp4_is_refused_by_brand(
    corpus: dict[tuple[str, str], Sample], verdicts: Verdicts
) -> None:
    """As shipped, c2pa-ts only reads BMFF with brand heic/mif1; our MP4 is isom/mp41.

    This is an allow-list limitation, not a parsing problem: with the check bypassed
    (--force-bmff) the same files validate (see the mp4 cases above). If c2pa-ts starts
    accepting MP4, this test fails: drop it and --force-bmff then.
    """
    v = verdicts.plain[corpus["mp4", "ES256"].signed]
    assert v["format"] == "bmff"
    assert v["bmff_brands"][0] == "isom"
    assert not v["has_manifest"]
    assert v["signature_valid"] is None and v["hash_valid"] is None
    assert "refuses this ISO BMFF file" in v["error"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_es512_rejection_is_c2pa_ts_hash_table_bug(
    fmt: str, corpus: dict[tuple[str, str], Sample], verdicts: Verdicts
) -> None:
    """Our ES512 signatures are correct: fixing c2pa-ts's table entry makes them verify."""
    path = corpus[fmt, "ES512"].signed
    shipped = verdicts.effective(path)
    assert shipped["failure_codes"] == ["claimSignature.mismatch"], _why(shipped)
    patched = verdicts.es512_patched[path]
    assert patched["patched_es512"] is True, "upstream fixed ES512: remove the xfail marks"
    assert patched["signature_valid"] is True, _why(patched)
    assert patched["hash_valid"] is True, _why(patched)


def test_c2pa_ts_has_no_trust_list(
    corpus: dict[tuple[str, str], Sample], verdicts: Verdicts
) -> None:
    """Difference, not a verdict we compare: c2pa-ts says ``signingCredential.trusted`` for
    our throwaway dev root, meaning only "certificate profile checks passed" (it has no
    trust anchors), whereas c2pa-rs says ``signingCredential.untrusted``. Never read the
    c2pa-ts code as a trust decision.
    """
    sample = corpus["jpeg", "ES256"]
    v = verdicts.plain[sample.signed]
    assert "signingCredential.trusted" in v["status_codes"]
    assert v["credential_valid"] is True
    with sample.signed.open("rb") as f, c2pa.Reader("image/jpeg", f) as reader:
        codes = [s["code"] for s in json.loads(reader.json()).get("validation_status", [])]
    assert "signingCredential.untrusted" in codes


@pytest.mark.parametrize("fmt", ("jpeg", "png"))
def test_resigned_media_validates_with_its_parent(
    fmt: str, c2pa_ts: Validator, corpus: dict[tuple[str, str], Sample], tmp_path: Path
) -> None:
    """A signed file signed again keeps its first manifest as the parent ingredient (an
    edit, `c2pa.opened`): c2pa-ts, an independent implementation, reads both claims and
    validates the new signature, its hard binding and the ingredient link."""
    first = corpus[fmt, "ES256"].signed
    resigned = tmp_path / f"resigned.{EXT[fmt]}"
    cred = _dev_credential("PS256")
    identity = Identity.from_callback(cred.sign, alg="ps256", chain_pem=cred.chain_pem)
    result = provenance.sign(first, resigned, identity=identity, title=resigned.name)
    assert result.action == "c2pa.opened" and result.parent is not None
    assert _c2pa_rs_failures(resigned, fmt) == [], "our own stack must accept it first"
    (v,) = c2pa_ts([resigned])
    assert v["has_manifest"] and v["error"] is None, _why(v)
    assert v["signature_valid"] is True and v["hash_valid"] is True, _why(v)
    assert v["valid"] is True, _why(v)
    report = provenance.verify(resigned)
    assert [a.action for a in report.actions] == ["c2pa.opened"]
    assert report.ingredients[0].manifest is not None


def test_creator_identity_and_capture_metadata_validate(c2pa_ts: Validator, tmp_path: Path) -> None:
    """A photo signed with a creator's CAWG identity assertion, its capture metadata and a
    redaction: c2pa-ts, which does not read identity assertions, still validates the claim
    signature, every assertion's hash (the identity's too) and the hard binding over the
    stripped bytes."""
    from captureutil import make_exif_photo

    src = make_exif_photo(tmp_path / "photo.jpg")
    out = tmp_path / "by-creator.jpg"
    cred = _dev_credential("ES256")
    identity = Identity.from_callback(cred.sign, alg="es256", chain_pem=cred.chain_pem)
    jane = provenance.generate_dev_creator(tmp_path / "jane", name="Jane Doe")
    result = provenance.sign(
        src, out, identity=identity, source_type="digitalCapture", redact=["location"],
        creator=provenance.Creator(jane.load()),
    )  # fmt: skip
    assert result.redacted == (provenance.Redaction.LOCATION,)
    report = provenance.verify(out)
    assert report.verdict is provenance.Verdict.VALID and report.identities
    (v,) = c2pa_ts([out])
    assert v["has_manifest"] and v["error"] is None, _why(v)
    assert v["signature_valid"] is True and v["hash_valid"] is True, _why(v)
    assert v["valid"] is True, _why(v)
