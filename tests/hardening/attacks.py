"""Hostile files for the hardening tests, the fuzz harness and benchmarks/hardening_report.py.

Everything here is built from generated media signed with throwaway identities: no file is
checked in. The parsers are deliberately small and only as strict as the attacks need:
JPEG segments, PNG chunks, ISO BMFF boxes, JUMBF boxes and a CBOR walker that reports byte
offsets (so attacks can change a signed manifest in place without re-serializing it).

Each attack is an `AttackCase`: a file, the verdicts we accept for it, and why.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from provenance import DevIdentity, Identity, generate_dev_identity, sign
from provenance import _demo_media as samples
from provenance.keygen import make_dev_chain

TESTS = Path(__file__).resolve().parents[1]
# This module also runs as a child script and from benchmarks/: make the shared test
# helpers importable there too.
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from mediautil import Span, bmff_boxes  # noqa: E402

ROOT = TESTS.parent
VERIFY_TIMEOUT = 30.0  # seconds per file, in a child process
MADE = "digitalCreation"  # how the samples were made (by software), as signing must say

# --------------------------------------------------------------------------------------
# Container parsers: (offset, length) of the pieces that matter.


def jpeg_segments(data: bytes) -> list[Span]:
    """Marker segments before the scan; `kind` is the marker as hex ('eb' = APP11)."""
    out: list[Span] = []
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        out.append(Span(i, i + 2 + length, f"{marker:02x}"))
        i += 2 + length
    return out


def jpeg_c2pa_segments(data: bytes) -> list[Span]:
    return [s for s in jpeg_segments(data) if s.kind == "eb" and b"c2pa" in data[s.start : s.end]]


def png_chunks(data: bytes) -> list[Span]:
    out: list[Span] = []
    i = 8
    while i + 12 <= len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        out.append(Span(i, i + 12 + length, data[i + 4 : i + 8].decode("latin1")))
        i += 12 + length
    return out


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def manifest_spans(data: bytes) -> list[Span]:
    """Where the format keeps the C2PA manifest store (whole segments/chunks/boxes)."""
    if data[4:8] == b"jumb":  # a bare store: a sidecar .c2pa file
        return [Span(0, len(data), "jumb")]
    if data.startswith(b"\xff\xd8"):
        return jpeg_c2pa_segments(data)
    if data.startswith(b"\x89PNG"):
        return [c for c in png_chunks(data) if c.kind == "caBX"]
    if data[4:8] == b"ftyp":
        return [b for b in bmff_boxes(data) if b.kind == "uuid:c2pa"]
    raise ValueError("not a JPEG, PNG or ISO BMFF file")


def manifest_region(data: bytes) -> tuple[int, int]:
    """The byte range holding the manifest store (first 'jumb' to the end of its box)."""
    spans = manifest_spans(data)
    if not spans:
        raise ValueError("no manifest store found")
    return spans[0].start, spans[-1].end


# --------------------------------------------------------------------------------------
# JUMBF: superboxes ('jumb') with a description box ('jumd') carrying a label.


@dataclass(frozen=True)
class JBox:
    start: int  # offset of LBox in the file
    end: int
    kind: str  # 'jumb', 'jumd', 'cbor', 'json', ...
    header: int  # 8, or 16 with XLBox
    label: str | None = None  # for a superbox: its description's label
    children: tuple[JBox, ...] = ()

    @property
    def payload(self) -> tuple[int, int]:
        return self.start + self.header, self.end

    def find(self, label: str) -> JBox | None:
        if self.label == label:
            return self
        for c in self.children:
            hit = c.find(label)
            if hit is not None:
                return hit
        return None

    def content(self) -> JBox:
        """The first non-description child of a superbox (e.g. the claim's 'cbor' box)."""
        return next(c for c in self.children if c.kind != "jumd")


def parse_jumbf(data: bytes, start: int, end: int) -> list[JBox]:
    out: list[JBox] = []
    i = start
    while i + 8 <= end:
        lbox, tbox = struct.unpack(">I4s", data[i : i + 8])
        header = 8
        if lbox == 1:
            (lbox,) = struct.unpack(">Q", data[i + 8 : i + 16])
            header = 16
        elif lbox == 0:
            lbox = end - i
        if lbox < header or i + lbox > end:
            break
        kind = tbox.decode("latin1")
        label = None
        children: tuple[JBox, ...] = ()
        if kind == "jumb":
            children = tuple(parse_jumbf(data, i + header, i + lbox))
            if children and children[0].kind == "jumd":
                d0 = children[0].start + children[0].header
                toggles = data[d0 + 16]
                if toggles & 0x02:
                    nul = data.index(b"\x00", d0 + 17)
                    label = data[d0 + 17 : nul].decode("utf-8", "replace")
        out.append(JBox(i, i + lbox, kind, header, label, children))
        i += lbox
    return out


def manifest_store(data: bytes) -> JBox:
    """The outer 'c2pa' superbox, parsed in place (offsets are file offsets).

    A JPEG store split over several APP11 segments is not contiguous in the file; our
    signed samples fit one segment, which is all the in-place attacks need."""
    start = data.index(b"jumb") - 4
    region_end = manifest_region(data)[1]
    boxes = parse_jumbf(data, start, region_end)
    if not boxes or boxes[0].label != "c2pa":
        raise ValueError("no contiguous C2PA manifest store")
    return boxes[0]


def active_manifest(store: JBox) -> JBox:
    return [c for c in store.children if c.kind == "jumb"][-1]


# --------------------------------------------------------------------------------------
# CBOR: a walker that reports where each item starts and ends (RFC 8949 major types).


@dataclass
class CborItem:
    start: int
    end: int
    major: int
    value: Any = None  # ints, text; bytes give (offset, length) of their content
    items: list[CborItem] = field(default_factory=list)  # arrays; maps as k, v, k, v


def cbor_item(data: bytes, i: int) -> CborItem:
    start = i
    ib = data[i]
    major, info = ib >> 5, ib & 0x1F
    i += 1
    if info < 24:
        arg = info
    elif info in (24, 25, 26, 27):
        n = 1 << (info - 24)
        arg = int.from_bytes(data[i : i + n], "big")
        i += n
    elif info == 31:
        raise ValueError("indefinite-length CBOR not supported by this walker")
    else:
        raise ValueError(f"bad CBOR additional info {info} at {start}")
    if major in (0, 1):
        return CborItem(start, i, major, arg if major == 0 else -1 - arg)
    if major in (2, 3):
        value: Any = (i, arg) if major == 2 else data[i : i + arg].decode("utf-8", "replace")
        return CborItem(start, i + arg, major, value)
    if major in (4, 5):
        items = []
        for _ in range(arg * (2 if major == 5 else 1)):
            item = cbor_item(data, i)
            items.append(item)
            i = item.end
        return CborItem(start, i, major, arg, items)
    if major == 6:
        inner = cbor_item(data, i)
        return CborItem(start, inner.end, major, arg, [inner])
    return CborItem(start, i, major, arg)  # simple values and floats


def cbor_map_get(item: CborItem, key: Any) -> CborItem | None:
    for k, v in zip(item.items[::2], item.items[1::2], strict=True):
        if k.value == key:
            return v
    return None


@dataclass(frozen=True)
class CoseSign1:
    """Offsets of a COSE_Sign1 in the file, and the parts needed to re-sign it."""

    protected: tuple[int, int]  # the protected header bstr content
    signature: tuple[int, int]
    certs: tuple[tuple[int, int], ...]  # x5chain DER certificates, leaf first
    alg: int


def cose_sign1(data: bytes, sig_box: JBox) -> CoseSign1:
    start, end = sig_box.content().payload
    top = cbor_item(data, start)
    arr = top.items[0] if top.major == 6 else top
    prot, unprot, _payload, sig = arr.items
    p_off, p_len = prot.value
    header = cbor_item(data, p_off)
    alg_item = cbor_map_get(header, 1)
    x5 = cbor_map_get(header, 33) or cbor_map_get(unprot, 33)
    if x5 is None:
        raise ValueError("no x5chain in the COSE headers")
    certs = [x5.value] if x5.major == 2 else [c.value for c in x5.items]
    return CoseSign1(
        protected=(p_off, p_len),
        signature=sig.value,
        certs=tuple((o, o + n) for o, n in certs),
        alg=alg_item.value if alg_item else 0,
    )


def sig_structure(data: bytes, cose: CoseSign1, claim: bytes) -> bytes:
    """The COSE Sig_structure for a detached payload (the claim box's content)."""
    p_off, p_len = cose.protected

    def bstr(b: bytes) -> bytes:
        n = len(b)
        if n < 24:
            return bytes([0x40 | n]) + b
        if n < 256:
            return bytes([0x58, n]) + b
        if n < 65536:
            return b"\x59" + n.to_bytes(2, "big") + b
        return b"\x5a" + n.to_bytes(4, "big") + b

    return b"\x84" + b"\x6aSignature1" + bstr(data[p_off : p_off + p_len]) + b"\x40" + bstr(claim)


def es256_raw(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


# --------------------------------------------------------------------------------------
# Running verification as a user would: a child process with a time limit.


@dataclass(frozen=True)
class Outcome:
    verdict: str  # a Verdict value, or 'timeout' / 'crash' / 'traceback'
    exit_code: int | None
    seconds: float
    message: str
    codes: tuple[str, ...] = ()
    unchanged: bool = True


def sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def run_cli(
    args: list[str], *, timeout: float = VERIFY_TIMEOUT, cwd: Path | None = None
) -> tuple[int | None, str, str, float]:
    """Run `python -m provenance ARGS`; exit code None means it timed out and was killed."""
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "provenance", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return None, out, "timed out", time.monotonic() - t0
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - t0


def verify_outcome(
    path: Path, *, trust: Path | None = None, timeout: float = VERIFY_TIMEOUT
) -> Outcome:
    """`provenance verify --json PATH` in a child process, reduced to an Outcome.

    The digest is taken through the path (following symlinks)."""
    digest = _digest_fn(path)
    before = digest()
    args = ["verify", "--json", str(path)]
    if trust is not None:
        args += ["--trust", str(trust)]
    code, out, err, secs = run_cli(args, timeout=timeout)
    unchanged = digest() == before
    if code is None:
        return Outcome("timeout", None, secs, f"no answer within {timeout:.0f} s", (), unchanged)
    if code < 0 or code > 3:
        return Outcome("crash", code, secs, err.strip()[-300:], (), unchanged)
    if "Traceback" in out + err or code == 3:
        return Outcome("traceback", code, secs, err.strip()[-300:], (), unchanged)
    try:
        (report,) = json.loads(out)["reports"]
    except (ValueError, KeyError) as e:
        return Outcome("crash", code, secs, f"unparsable output: {e}: {out[:200]}", (), unchanged)
    return Outcome(
        report["verdict"],
        code,
        secs,
        report["message"],
        tuple(report["status_codes"]),
        unchanged,
    )


def _serve() -> int:
    """Child side of `VerifyServer`: verify one file per request line, as the CLI does."""
    import c2pa  # noqa: F401  (loaded before "ready": start-up is not the first file's time)

    from provenance import verify_many

    selftest = os.environ.get("PROVENANCE_FUZZ_SELFTEST", "")
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        req = json.loads(line)
        t0 = time.monotonic()
        if selftest == "crash" and req["path"].endswith("crash-me"):
            os.abort()  # stands in for a crash in native code
        if selftest == "hang" and req["path"].endswith("hang-me"):
            time.sleep(3600)
        try:
            batch = verify_many([req["path"]], trust=[req["trust"]] if req["trust"] else None)
            (doc,) = json.loads(json.dumps(batch.to_dict()))["reports"]
            reply = {
                "verdict": doc["verdict"],
                "exit_code": int(batch.exit_code),
                "message": doc["message"],
                "codes": doc["status_codes"],
            }
        except Exception as e:  # the CLI would print 'internal error' and exit 3
            reply = {"verdict": "traceback", "exit_code": 3, "message": repr(e), "codes": []}
        reply["seconds"] = time.monotonic() - t0
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    return 0


class VerifyServer:
    """A child process verifying one file at a time with a time limit per file.

    Cheaper than a process per file (no interpreter start-up per case) while keeping what
    matters: a hang is cut off after `timeout` seconds and a native crash kills only the
    child; either becomes that file's outcome and a fresh child takes over."""

    def __init__(self, timeout: float = VERIFY_TIMEOUT, env: dict[str, str] | None = None) -> None:
        self.timeout = timeout
        self._env = {**os.environ, **(env or {})}
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None

    def _start(self) -> subprocess.Popen[bytes]:
        import tempfile

        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=self._env,
        )
        # The per-file limit starts once the child has imported everything: interpreter
        # start-up on a loaded machine is not a hang.
        assert self._proc.stdout is not None
        if self._proc.stdout.readline() != b"ready\n":
            raise RuntimeError(f"verify child did not start: {self._kill()}")
        return self._proc

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.stdin:
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout:
                self._proc.stdout.close()
            self._proc = None

    def __enter__(self) -> VerifyServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _kill(self) -> str:
        proc, self._proc = self._proc, None
        assert proc is not None
        proc.kill()
        code = proc.wait()
        self._stderr.seek(0)
        tail = self._stderr.read().decode(errors="replace").strip()[-300:]
        return f"exit {code}: {tail}"

    def verify(self, path: Path, *, trust: Path | None = None) -> Outcome:
        import select

        digest = _digest_fn(path)
        before = digest()
        proc = self._proc if self._proc and self._proc.poll() is None else self._start()
        assert proc.stdin is not None and proc.stdout is not None
        t0 = time.monotonic()
        req = {"path": str(path), "trust": str(trust) if trust else None}
        proc.stdin.write((json.dumps(req) + "\n").encode())
        proc.stdin.flush()
        fd, buf = proc.stdout.fileno(), b""
        while b"\n" not in buf:
            left = self.timeout - (time.monotonic() - t0)
            ready, _, _ = select.select([fd], [], [], max(0.0, left))
            if not ready:
                self._kill()
                secs = time.monotonic() - t0
                msg = f"no answer within {self.timeout:.0f} s"
                return Outcome("timeout", None, secs, msg, (), digest() == before)
            chunk = os.read(fd, 65536)
            if not chunk:
                why = self._kill()
                secs = time.monotonic() - t0
                return Outcome("crash", None, secs, why, (), digest() == before)
            buf += chunk
        reply = json.loads(buf)
        return Outcome(
            reply["verdict"],
            reply["exit_code"],
            reply["seconds"],
            reply["message"],
            tuple(reply["codes"]),
            digest() == before,
        )


def _digest_fn(path: Path) -> Callable[[], str | None]:
    """A digest of `path` through any symlink; devices and FIFOs are not read (reading
    /dev/zero never ends): they digest to a constant."""
    import stat as _stat

    def digest() -> str | None:
        try:
            if not _stat.S_ISREG(os.stat(path).st_mode):
                return "not-a-regular-file"
        except OSError:
            return None
        return sha256(path)

    return digest


# --------------------------------------------------------------------------------------
# The attack cases.


@dataclass(frozen=True)
class AttackCase:
    name: str
    path: Path
    expected: frozenset[str]  # verdicts that are right for this file
    why: str
    trust: Path | None = None  # --trust anchor to verify with
    group: str = "manifest"
    codes: frozenset[str] = frozenset()  # status codes the report must include


@dataclass(frozen=True)
class Workbench:
    """Two development identities and signed samples, the raw material of every attack."""

    folder: Path
    dev_a: DevIdentity
    dev_b: DevIdentity
    a: Identity
    b: Identity

    @classmethod
    def create(cls, folder: Path) -> Workbench:
        folder.mkdir(parents=True, exist_ok=True)
        dev_a = generate_dev_identity(folder / "keys-a", org="Alice Newsroom", force=True)
        dev_b = generate_dev_identity(folder / "keys-b", org="Mallory Agency", force=True)
        return cls(folder, dev_a, dev_b, dev_a.load(), dev_b.load())

    def original(self, ext: str, variant: int = 0) -> Path:
        """A generated, unsigned sample; variants differ in content."""
        path = self.folder / f"orig{variant}.{ext}"
        if not path.exists():
            if ext == "mp4":
                samples.make_video(path, seconds=0.5 + 0.25 * variant, size=(160, 120))
            else:
                samples.make_photo(path, size=(320, 240), seed=7 + variant)
        return path

    def sidecar(self) -> Path:
        """`sidecar/photo.jpg.c2pa`, Alice's manifest store for the unsigned `photo.jpg`."""
        folder = self.folder / "sidecar"
        store = folder / "photo.jpg.c2pa"
        if not store.exists():
            folder.mkdir(exist_ok=True)
            shutil.copyfile(self.original("jpg"), folder / "photo.jpg")
            sign(folder / "photo.jpg", store, identity=self.a, sidecar=True, source_type=MADE)
        return store

    def fuzz_base(self, fmt: str) -> Path:
        return self.sidecar() if fmt == "c2pa" else self.signed(fmt)

    def signed(self, ext: str, variant: int = 0, *, by: str = "a") -> Path:
        path = self.folder / f"signed{variant}-{by}.{ext}"
        if not path.exists():
            ident = self.a if by == "a" else self.b
            sign(
                self.original(ext, variant),
                path,
                identity=ident,
                author="Alice Reporter",
                title=f"attack sample {variant}",
                source_type=MADE,
            )
        return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _splice(data: bytes, spans: list[Span], replacement: bytes) -> bytes:
    return data[: spans[0].start] + replacement + data[spans[-1].end :]


def transplant(donor: bytes, target: bytes) -> bytes:
    """Put the donor's manifest store where the target keeps (or would keep) its own."""
    d_spans, t_spans = manifest_spans(donor), manifest_spans(target)
    piece = b"".join(donor[s.start : s.end] for s in d_spans)
    if t_spans:
        return _splice(target, t_spans, piece)
    if target.startswith(b"\xff\xd8"):
        at = 2
    elif target.startswith(b"\x89PNG"):
        at = png_chunks(target)[0].end  # after IHDR
    else:
        at = bmff_boxes(target)[0].end  # after ftyp (chunk offsets then shift: tampered too)
    return target[:at] + piece + target[at:]


def flip_in_media(signed: bytes, original: bytes) -> bytes:
    """Change one byte of media data (a distinctive chunk of the original, found in the
    signed file), leaving the manifest alone: a plain 'edited after signing' file."""
    for start in range(len(original) // 2, len(original) - 64, 61):
        chunk = original[start : start + 64]
        if len(set(chunk)) > 16 and signed.count(chunk) == 1:
            return _flip(signed, signed.find(chunk) + 32, 0x55)
    raise ValueError("no distinctive media data found")


def strip_manifest(data: bytes) -> bytes:
    spans = manifest_spans(data)
    for s in reversed(spans):
        data = data[: s.start] + data[s.end :]
    return data


def _flip(data: bytes, offset: int, mask: int = 0x01) -> bytes:
    out = bytearray(data)
    out[offset] ^= mask
    return bytes(out)


def _same_length_cert(der_len: int, org: str) -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    """An ES256 signer certificate of another organisation with exactly `der_len` bytes.

    The organisation name appears three times in the DER and the common name once, so
    padding both reaches any length; ECDSA signature lengths vary by a byte, so retry."""
    for _ in range(20):
        for org_pad in range(12):
            for cn_pad in range(4):
                name = org + "x" * org_pad
                key, cert, _root = make_dev_chain(
                    org=name, common_name=name + "y" * cn_pad + " Signer", alg="es256"
                )
                der = cert.public_bytes(serialization.Encoding.DER)
                if len(der) == der_len:
                    assert isinstance(key, ec.EllipticCurvePrivateKey)
                    return key, der
    raise RuntimeError(f"no certificate of {der_len} bytes found")


def _set_u32(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + struct.pack(">I", value) + data[offset + 4 :]


def _dimension_bomb_png(width: int, height: int) -> bytes:
    """A valid-looking PNG header declaring width x height over a few bytes of data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def _dimension_bomb_jpeg(src: bytes, width: int, height: int) -> bytes:
    """A real JPEG whose SOF0 now declares width x height."""
    sof = next(s for s in jpeg_segments(src) if s.kind in ("c0", "c1", "c2"))
    out = bytearray(src)
    struct.pack_into(">HH", out, sof.start + 5, height, width)
    return bytes(out)


def video_bomb_mp4(path: Path, edge: int = 8192, frames: int = 8) -> Path:
    """A ~200 KB H.264 MP4 of edge x edge black frames: ~100 MB each once decoded."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width = stream.height = edge
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, 30)
        stream.options = {"preset": "ultrafast", "crf": "51"}
        frame = av.VideoFrame(edge, edge, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        for i in range(frames):
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def many_frames_mp4(path: Path, frames: int = 5000, fps: int = 1000) -> Path:
    """An MP4 with thousands of tiny frames: large sample tables, little data."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.options = {"preset": "ultrafast", "crf": "40"}
        frame = av.VideoFrame(16, 16, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        for i in range(frames):
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


Builder = Callable[[Workbench, Path], list[AttackCase]]


def manifest_attacks(wb: Workbench, out: Path) -> list[AttackCase]:
    """Attacks on the manifest store of signed JPEG, PNG and MP4 files."""
    cases: list[AttackCase] = []
    for ext in ("jpg", "png", "mp4"):
        a0 = wb.signed(ext, 0).read_bytes()
        a1 = wb.signed(ext, 1).read_bytes()
        b1 = wb.original(ext, 1).read_bytes()
        store = manifest_store(a0)
        manifest = active_manifest(store)
        claim = manifest.find("c2pa.claim.v2") or manifest.find("c2pa.claim")
        sig_box = manifest.find("c2pa.signature")
        assert claim is not None and sig_box is not None
        cose = cose_sign1(a0, sig_box)
        c_start, c_end = claim.content().payload
        claim_bytes = a0[c_start:c_end]

        hash_mismatch = (
            "assertion.bmffHash.mismatch" if ext == "mp4" else "assertion.dataHash.mismatch"
        )

        def case(
            name: str,
            data: bytes,
            expected: set[str],
            why: str,
            codes: tuple[str, ...] = (),
            ext: str = ext,
            **kw: Any,
        ) -> None:
            path = _write(out / f"{name}.{ext}", data)
            cases.append(
                AttackCase(
                    f"{name}.{ext}", path, frozenset(expected), why, codes=frozenset(codes), **kw
                )
            )

        case(
            "control-signed",
            a0,
            {"trusted"},
            "unmodified signed file with its signer's root as anchor: the control",
            trust=wb.dev_a.ca,
            group="control",
        )
        case(
            "transplant-unsigned-target",
            transplant(a0, b1),
            {"tampered"},
            codes=(hash_mismatch,),
            why="A's manifest in unsigned B: the signature is A's and intact, but it binds A's "
            "content, so B's bytes miss the hard binding (dataHash/bmffHash mismatch)",
        )
        case(
            "transplant-signed-target",
            transplant(a0, a1),
            {"tampered"},
            codes=(hash_mismatch,),
            why="A's manifest replacing signed B's own: same as above, B's content is not what "
            "the (valid) signature covers",
        )
        case(
            "stripped",
            strip_manifest(a0),
            {"unsigned"},
            "the manifest store removed: nothing left to verify (a stripped file cannot "
            "be told from one never signed without --reference)",
        )
        sig_off, sig_len = cose.signature
        case(
            "signature-flipped",
            _flip(a0, sig_off + sig_len // 2),
            {"invalid"},
            codes=("claimSignature.mismatch",),
            why="one bit of the COSE signature flipped: claimSignature.mismatch",
        )
        title = a0.find(b"attack sample 0", c_start, c_end)
        assert title > 0, "title not found in the claim"
        case(
            "claim-title-edited",
            _flip(a0, title + 2, 0x20),  # 'attack' -> 'aTtack': same length, valid UTF-8
            {"invalid"},
            codes=("claimSignature.mismatch",),
            why="a byte of the title inside the signed claim changed: the claim no longer matches "
            "its signature (claimSignature.mismatch)",
        )
        # Sign the claim again with Mallory's key, keeping Alice's certificate.
        mallory = ec.generate_private_key(ec.SECP256R1())
        forged = es256_raw(mallory, sig_structure(a0, cose, claim_bytes))
        data = a0[:sig_off] + forged + a0[sig_off + sig_len :]
        case(
            "resigned-keep-cert",
            data,
            {"invalid"},
            codes=("claimSignature.mismatch",),
            why="claim re-signed with another key while keeping the original certificate: the "
            "signature does not verify under the certificate's public key",
            trust=wb.dev_a.ca,
        )
        # Same-length certificate of another organisation in the x5chain.
        leaf_start, leaf_end = cose.certs[0]
        m_key, m_cert = _same_length_cert(leaf_end - leaf_start, "Mallory")
        swapped = a0[:leaf_start] + m_cert + a0[leaf_end:]
        case(
            "cert-swapped",
            swapped,
            {"invalid"},
            codes=("claimSignature.mismatch",),
            why="signer certificate replaced by another one of the same length: Alice's signature "
            "does not verify under Mallory's key",
            trust=wb.dev_a.ca,
        )
        # Swap the certificate AND re-sign with the matching key: a well-formed signature by
        # someone the anchor does not know. Never trusted.
        resigned = es256_raw(m_key, sig_structure(swapped, cose, claim_bytes))
        case(
            "cert-swapped-resigned",
            swapped[:sig_off] + resigned + swapped[sig_off + sig_len :],
            {"valid"},
            "certificate swapped and claim re-signed with its key: a consistent signature by "
            "an unknown signer whose chain does not reach Alice's root; must never be trusted",
            trust=wb.dev_a.ca,
        )
        # Truncations and box-level damage.
        s_start, s_end = store.start, store.end
        case(
            "manifest-truncated",
            a0[: s_start + (s_end - s_start) // 2],
            {"invalid", "unsigned", "error"},
            "file cut in the middle of the manifest store: no media follows; the reader must "
            "refuse it cleanly (invalid, or unsigned/error when the container is unreadable)",
        )
        case(
            "store-lbox-huge",
            _set_u32(a0, s_start, 0x7FFFFFF0),
            {"valid", "invalid", "unsigned", "error"},
            "outer JUMBF box length set to ~2 GiB: must not allocate it or read past the end. "
            "The store's own header is neither signed nor hashed; the reader bounds it by "
            "the container and still finds an intact claim, so 'valid' is right too",
        )
        case(
            "claim-lbox-huge",
            _set_u32(a0, claim.start, 0xFFFFFFF0),
            {"invalid", "unsigned", "error"},
            "claim box length set to ~4 GiB inside the store",
        )
        case(
            "claim-xlbox-huge",
            a0[: claim.start]
            + struct.pack(">I", 1)
            + a0[claim.start + 4 : claim.start + 8]
            + struct.pack(">Q", 0xFFFF_FFFF_FFFF_FF00)
            + a0[claim.start + 8 :],
            {"invalid", "unsigned", "error"},
            "claim box switched to a 64-bit XLBox of ~2^64 bytes",
        )
        cbor_start = c_start
        case(
            "claim-cbor-huge-length",
            a0[:cbor_start] + b"\xbb" + b"\xff" * 8 + a0[cbor_start + 9 :],
            {"invalid"},
            "claim CBOR replaced by a map header declaring 2^64-1 entries",
        )
        case(
            "signature-cbor-huge-bstr",
            a0[: sig_off - 2] + b"\x5b\x7f" + b"\xff" * 7 + a0[sig_off + 7 :],
            {"invalid"},
            "COSE signature byte string declared 2^63 bytes long",
        )
        rng = _rng(ext)
        junk = bytearray(a0)
        for _ in range(64):
            pos = rng.randrange(s_start + 8, s_end)
            junk[pos] = rng.randrange(256)
        case(
            "store-random-bytes",
            bytes(junk),
            {"invalid", "tampered", "unsigned", "error"},
            "64 random bytes scattered over the manifest store",
        )
        c_mid = (c_start + c_end) // 2
        case(
            "claim-random-block",
            a0[:c_mid] + _random_bytes(rng, 64) + a0[c_mid + 64 :],
            {"invalid"},
            "64 random bytes overwriting the middle of the signed claim",
        )
        pad = _padding_span(a0, sig_box)
        case(
            "signature-padding-random",
            a0[: pad[0]] + _random_bytes(rng, pad[1] - pad[0]) + a0[pad[1] :],
            {"valid"},
            "random bytes in the COSE unprotected 'pad' field: C2PA reserves it so the "
            "signature can be written in place; it is outside everything signed or hashed, "
            "so the file is still valid (not trusted: no anchor given)",
        )
        # Two manifest stores: Alice's signed file 1 with file 0's store added before its own.
        own = manifest_spans(a1)
        extra = b"".join(a0[sp.start : sp.end] for sp in manifest_spans(a0))
        case(
            "two-stores",
            a1[: own[0].start] + extra + a1[own[0].start :],
            {"invalid", "tampered"},
            "a second manifest store added beside the file's own: C2PA allows one store; "
            "c2pa-rs refuses PNG and MP4 outright and, for JPEG, the extra segment falls in "
            "the hashed data (tampered). Never valid",
        )
        # Re-signed on top by an untrusted key: Mallory signs Alice's signed file again.
        resigned_path = out / f"resigned-untrusted.{ext}"
        resigned_path.unlink(missing_ok=True)
        sign(wb.signed(ext, 0), resigned_path, identity=wb.b, title="re-signed", action="edited")
        cases.append(
            AttackCase(
                f"resigned-untrusted.{ext}",
                resigned_path,
                frozenset({"valid"}),
                "Alice's signed file signed again by Mallory (Alice's manifest becomes an "
                "ingredient); with only Alice's root trusted the active signer is untrusted: "
                "valid at most, never trusted",
                trust=wb.dev_a.ca,
            )
        )
    return cases


def _random_bytes(rng: Any, n: int) -> bytes:
    return bytes(rng.randrange(256) for _ in range(n))


def _padding_span(data: bytes, sig_box: JBox) -> tuple[int, int]:
    """The content of the COSE unprotected header's 'pad' byte string."""
    start, _end = sig_box.content().payload
    top = cbor_item(data, start)
    arr = top.items[0] if top.major == 6 else top
    pad = cbor_map_get(arr.items[1], "pad")
    if pad is None or pad.major != 2:
        raise ValueError("no padding in the COSE unprotected header")
    off, n = pad.value
    return off, off + n


def _rng(seed: str) -> Any:
    import random

    return random.Random(f"hardening-{seed}")


def container_attacks(wb: Workbench, out: Path) -> list[AttackCase]:
    """Hostile length fields in the containers around the manifest."""
    cases: list[AttackCase] = []
    jpg = wb.signed("jpg").read_bytes()
    app11 = jpeg_c2pa_segments(jpg)[0]
    lenient = frozenset({"invalid", "unsigned", "error", "tampered"})

    def add(name: str, data: bytes, expected: frozenset[str], why: str) -> None:
        cases.append(AttackCase(name, _write(out / name, data), expected, why, group="container"))

    add(
        "app11-length-ffff.jpg",
        jpg[: app11.start + 2] + b"\xff\xff" + jpg[app11.start + 4 :],
        lenient,
        "APP11 segment length set to 65535: the segment now swallows the next markers",
    )
    add(
        "app11-length-short.jpg",
        jpg[: app11.start + 2] + b"\x00\x02" + jpg[app11.start + 4 :],
        lenient,
        "APP11 segment length set to 2 (empty): the JUMBF bytes become garbage markers",
    )
    add(
        "app11-jumbf-lbox-huge.jpg",
        _set_u32(jpg, app11.start + 12, 0xFFFFFFFF),
        lenient | {"valid"},
        "the JUMBF LBox inside APP11 declares 4 GiB: bounded by the segment; the header is "
        "not signed, the claim inside is intact",
    )
    many = jpg[:2] + (b"\xff\xeb\x00\x10JP\x02\x11\x00\x01" + b"\x00" * 8) * 20000 + jpg[2:]
    add(
        "app11-20000-segments.jpg",
        many,
        lenient | {"valid"},
        "20,000 tiny APP11 segments before the real one: linear work, no blow-up",
    )
    png = wb.signed("png").read_bytes()
    cabx = next(c for c in png_chunks(png) if c.kind == "caBX")
    add(
        "cabx-length-huge.png",
        _set_u32(png, cabx.start, 0x7FFFFFFF),
        lenient,
        "caBX chunk length set to 2^31-1",
    )
    mp4 = wb.signed("mp4").read_bytes()
    uuid = next(b for b in bmff_boxes(mp4) if b.kind == "uuid:c2pa")
    add(
        "uuid-size-ffffffff.mp4",
        _set_u32(mp4, uuid.start, 0xFFFFFFFF),
        lenient,
        "C2PA uuid box size set to 0xFFFFFFFF",
    )
    add(
        "uuid-largesize-huge.mp4",
        mp4[: uuid.start]
        + struct.pack(">I", 1)
        + b"uuid"
        + struct.pack(">Q", 0x7FFF_FFFF_FFFF_FFFF)
        + mp4[uuid.start + 8 :],
        lenient,
        "C2PA uuid box as a 64-bit largesize of 2^63-1 bytes",
    )
    mdat = next(b for b in bmff_boxes(mp4) if b.kind == "mdat")
    add(
        "mdat-size-ffffffff.mp4",
        _set_u32(mp4, mdat.start, 0xFFFFFFFF),
        lenient,
        "mdat size set to 0xFFFFFFFF: the box claims bytes the file does not have",
    )
    add(
        "mdat-largesize-huge.mp4",
        mp4[: mdat.start]
        + struct.pack(">I", 1)
        + b"mdat"
        + struct.pack(">Q", 0xFFFF_FFFF_FFFF_FFF0)
        + mp4[mdat.start + 16 :],
        lenient,
        "mdat as a 64-bit largesize of ~2^64 bytes",
    )
    moov = next(b for b in bmff_boxes(mp4) if b.kind == "moov")
    add(
        "moov-size-zero.mp4",
        _set_u32(mp4, moov.start, 0),
        lenient | {"valid"},
        "moov size 0 ('to end of file'): legal for the last box, odd elsewhere",
    )
    add(
        "box-size-7.mp4",
        _set_u32(mp4, moov.start, 7),
        lenient,
        "a box size smaller than its own header (7): must not loop forever",
    )
    return cases


def zlib_bomb_png(width: int, height: int) -> bytes:
    """A real, fully decodable RGB PNG of zeros: ~1/1000 of its decoded size on disk."""
    comp = zlib.compressobj(6)
    row = b"\x00" * (1 + 3 * width)
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def dimension_attacks(wb: Workbench, out: Path) -> list[AttackCase]:
    """Decompression bombs: small files declaring (or really holding) enormous images."""
    cases: list[AttackCase] = []

    def add(name: str, expected: str, why: str) -> None:
        path = out / name
        cases.append(AttackCase(name, path, frozenset({expected}), why, group="dimensions"))

    _write(out / "bomb-100000x100000.png", _dimension_bomb_png(100_000, 100_000))
    add(
        "bomb-100000x100000.png",
        "unsigned",
        "PNG declaring 100000x100000 over 1 KB of data, unsigned: verification reads only "
        "the manifest, never decodes pixels",
    )
    sources = {
        "bomb-signed-100000x100000.png": _dimension_bomb_png(100_000, 100_000),
        "bomb-signed-65500x65500.jpg": _dimension_bomb_jpeg(
            wb.original("jpg").read_bytes(), 65500, 65500
        ),
        "bomb-signed-zlib-12000x12000.png": zlib_bomb_png(12000, 12000),
    }
    # A genuine signed PNG's manifest (with our region fingerprints) on a bomb: the verdict
    # is 'tampered', which is when verification decodes pixels to localize the change.
    _write(
        out / "transplant-onto-bomb.png",
        transplant(wb.signed("png").read_bytes(), zlib_bomb_png(12000, 12000)),
    )
    cases.append(
        AttackCase(
            "transplant-onto-bomb.png",
            out / "transplant-onto-bomb.png",
            frozenset({"tampered"}),
            "a signed manifest carrying region fingerprints moved onto a 420 KB PNG of "
            "12000x12000 zeros: tampered, and change localization is skipped (over 50 "
            "megapixels) instead of decoding ~1.5 GB",
            group="dimensions",
            codes=frozenset({"assertion.dataHash.mismatch"}),
        )
    )
    for name, data in sources.items():
        src = _write(out / f"src-{name}", data)
        dst = out / name
        dst.unlink(missing_ok=True)
        # The thumbnail is skipped; signing succeeds.
        sign(src, dst, identity=wb.a, source_type=MADE)
        add(
            name,
            "valid",
            f"{name.split('-', 2)[2]} image, signed: signing skips the thumbnail past "
            "50 megapixels (provenance._limits) and verification never decodes pixels",
        )
    return cases


def input_attacks(wb: Workbench, out: Path) -> list[AttackCase]:
    """Special files behind innocent names: devices and FIFOs must be refused at once."""
    cases: list[AttackCase] = []
    for dev in ("/dev/zero", "/dev/urandom"):
        link = out / f"link-to-{Path(dev).name}.jpg"
        link.unlink(missing_ok=True)
        link.symlink_to(dev)
        cases.append(
            AttackCase(
                link.name,
                link,
                frozenset({"error"}),
                f"symlink to {dev}: not a regular file, refused before reading (else endless)",
                group="special-file",
            )
        )
    fifo = out / "fifo.mp4"
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    cases.append(
        AttackCase(
            fifo.name,
            fifo,
            frozenset({"error"}),
            "a FIFO: opening it would block forever; refused from stat alone",
            group="special-file",
        )
    )
    link = out / "link-to-fifo.jpg"
    link.unlink(missing_ok=True)
    link.symlink_to(fifo)
    cases.append(
        AttackCase(
            link.name,
            link,
            frozenset({"error"}),
            "a symlink to a FIFO: same, through the link",
            group="special-file",
        )
    )
    return cases


def sidecar_attacks(wb: Workbench, out: Path) -> list[AttackCase]:
    """Sidecar manifests that try to come from outside the asset's folder."""
    cases: list[AttackCase] = []
    outside = out / "outside"
    inside = out / "album"
    for d in (outside, inside):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
    # A genuine sidecar for the asset, kept outside the album, reached through a symlink.
    asset = inside / "photo.jpg"
    shutil.copyfile(wb.original("jpg"), asset)
    real = outside / "photo.jpg.c2pa"
    sign(asset, real, identity=wb.a, sidecar=True, source_type=MADE)
    (inside / "photo.jpg.c2pa").symlink_to(real)
    cases.append(
        AttackCase(
            "sidecar-symlink-outside.jpg",
            asset,
            frozenset({"unsigned"}),
            "the sidecar NAME.c2pa is a symlink to a file outside the folder: a sidecar must be "
            "a regular file in the asset's own folder, so it is ignored",
            group="sidecar",
        )
    )
    # A sidecar that is a symlink to a device.
    asset2 = inside / "clip.jpg"
    shutil.copyfile(wb.original("jpg"), asset2)
    (inside / "clip.jpg.c2pa").symlink_to("/dev/zero")
    cases.append(
        AttackCase(
            "sidecar-symlink-dev-zero.jpg",
            asset2,
            frozenset({"unsigned"}),
            "the sidecar is a symlink to /dev/zero: ignored, never read",
            group="sidecar",
        )
    )
    # A sidecar that is a FIFO.
    asset3 = inside / "tune.jpg"
    shutil.copyfile(wb.original("jpg"), asset3)
    os.mkfifo(inside / "tune.jpg.c2pa")
    cases.append(
        AttackCase(
            "sidecar-fifo.jpg",
            asset3,
            frozenset({"unsigned"}),
            "the sidecar is a FIFO: ignored (opening it would block)",
            group="sidecar",
        )
    )
    # A name with a path separator cannot be made; '..' in the asset name itself is a
    # different file name ('..photo.jpg.c2pa'), still in the folder: check it stays there.
    asset4 = inside / "..dots.jpg"
    shutil.copyfile(wb.original("jpg"), asset4)
    sign(asset4, inside / "..dots.jpg.c2pa", identity=wb.a, sidecar=True, source_type=MADE)
    cases.append(
        AttackCase(
            "sidecar-dotted-name.jpg",
            asset4,
            frozenset({"valid"}),
            "an asset named '..dots.jpg' with its regular sidecar beside it: a legitimate "
            "sidecar in the same folder is still used",
            group="sidecar",
        )
    )
    # A symlinked sidecar inside the same folder (relative link): also refused, by rule.
    asset5 = inside / "same.jpg"
    shutil.copyfile(wb.original("jpg"), asset5)
    sign(asset5, inside / "same-real.c2pa", identity=wb.a, sidecar=True, source_type=MADE)
    (inside / "same.jpg.c2pa").symlink_to("same-real.c2pa")
    cases.append(
        AttackCase(
            "sidecar-symlink-same-folder.jpg",
            asset5,
            frozenset({"unsigned"}),
            "the sidecar is a symlink even within the folder: the rule is simply 'no symlinks', "
            "which cannot be raced or fooled by '..' components",
            group="sidecar",
        )
    )
    return cases


def frames_table_bomb(wb: Workbench, path: Path, frames: int = 2_000_000) -> Path:
    """A signed, then tampered, MP4 whose frames assertion declares `frames` frames with a
    table of zlib-compressed zeros (~500 KB): a custom signer, as an attacker would use.
    Decoding the table costs ~600 bytes of memory a frame before its digest is checked."""
    from unittest import mock

    from provenance.frames import assertion as frames_assertion
    from provenance.frames import table

    comp = zlib.compressobj(6)
    size = frames * table.RECORD_SIZE + table.group_count(frames) * table.GROUP_RECORD_SIZE
    left, block, parts = size, bytes(1 << 20), []
    while left > 0:
        parts.append(comp.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(comp.flush())
    data = {
        "version": frames_assertion.VERSION,
        "frame_count": frames,
        "frame_rate": "30/1",
        "width": 160,
        "height": 120,
        "duration": frames / 30,
        "grid": "8x8",
        "fine_grid": "64x32",
        "group": table.GROUP,
        "analysis_size": 256,
        "hash": table.HASH_ALGORITHM,
        "record_size": table.RECORD_SIZE,
        "group_record_size": table.GROUP_RECORD_SIZE,
        "encoding": frames_assertion.ENCODING,
        "table": base64.b64encode(b"".join(parts)).decode("ascii"),
        "digest": "00" * 32,
    }
    hostile = [{"label": frames_assertion.LABEL, "data": data}]
    signed = path.with_name("src-" + path.name)
    signed.unlink(missing_ok=True)
    with mock.patch.object(
        sys.modules["provenance._fingerprints"], "assertions_for", return_value=(hostile, frames)
    ):
        sign(wb.original("mp4"), signed, identity=wb.b, source_type=MADE)
    raw = signed.read_bytes()
    mdat = next(b for b in bmff_boxes(raw) if b.kind == "mdat")
    return _write(path, _flip(raw, mdat.start + 200, 0xFF))


def video_attacks(wb: Workbench, out: Path) -> list[AttackCase]:
    src = many_frames_mp4(out / "many-frames-src.mp4")
    signed = out / "many-frames-5000.mp4"
    signed.unlink(missing_ok=True)
    sign(src, signed, identity=wb.a, source_type=MADE)
    bomb = frames_table_bomb(wb, out / "frames-table-bomb.mp4")
    return [
        AttackCase(
            signed.name,
            signed,
            frozenset({"valid"}),
            "5000 frames of 16x16 at 1000 fps, signed: thousands of samples to hash and "
            "fingerprint, within the time limit",
            group="video",
        ),
        AttackCase(
            bomb.name,
            bomb,
            frozenset({"tampered"}),
            "signed (by an unknown key) with a frames assertion declaring 2 million frames "
            "in a 500 KB table, then edited: tampered; localization is skipped (over a "
            "million frames) instead of inflating ~1.3 GB",
            group="video",
            codes=frozenset({"assertion.bmffHash.mismatch"}),
        ),
    ]


def size_attacks(wb: Workbench, out: Path) -> list[AttackCase]:
    """Sparse files: gigabytes by size, nothing on disk."""
    path = out / "sparse-2gib.jpg"
    path.write_bytes(wb.signed("jpg").read_bytes())
    os.truncate(path, 2 << 30)
    return [
        AttackCase(
            path.name,
            path,
            frozenset({"error"}),
            "a signed JPEG extended to 2 GiB (sparse): c2pa-rs holds JPEGs in memory twice "
            "over (4 GiB here), so it is refused up front past 512 MiB (provenance._limits)",
            group="size",
        )
    ]


MANIFEST_CASES = (
    "control-signed",
    "transplant-unsigned-target",
    "transplant-signed-target",
    "stripped",
    "signature-flipped",
    "claim-title-edited",
    "resigned-keep-cert",
    "cert-swapped",
    "cert-swapped-resigned",
    "manifest-truncated",
    "store-lbox-huge",
    "claim-lbox-huge",
    "claim-xlbox-huge",
    "claim-cbor-huge-length",
    "signature-cbor-huge-bstr",
    "store-random-bytes",
    "claim-random-block",
    "signature-padding-random",
    "two-stores",
    "resigned-untrusted",
)
OTHER_CASES = (
    "app11-length-ffff.jpg",
    "app11-length-short.jpg",
    "app11-jumbf-lbox-huge.jpg",
    "app11-20000-segments.jpg",
    "cabx-length-huge.png",
    "uuid-size-ffffffff.mp4",
    "uuid-largesize-huge.mp4",
    "mdat-size-ffffffff.mp4",
    "mdat-largesize-huge.mp4",
    "moov-size-zero.mp4",
    "box-size-7.mp4",
    "bomb-100000x100000.png",
    "bomb-signed-100000x100000.png",
    "bomb-signed-65500x65500.jpg",
    "bomb-signed-zlib-12000x12000.png",
    "transplant-onto-bomb.png",
    "link-to-zero.jpg",
    "link-to-urandom.jpg",
    "fifo.mp4",
    "link-to-fifo.jpg",
    "sidecar-symlink-outside.jpg",
    "sidecar-symlink-dev-zero.jpg",
    "sidecar-fifo.jpg",
    "sidecar-dotted-name.jpg",
    "sidecar-symlink-same-folder.jpg",
    "many-frames-5000.mp4",
    "frames-table-bomb.mp4",
    "sparse-2gib.jpg",
)


def case_names() -> list[str]:
    """Every case `build_all` makes, known without building (for test parametrization)."""
    return [f"{n}.{ext}" for ext in ("jpg", "png", "mp4") for n in MANIFEST_CASES] + list(
        OTHER_CASES
    )


BUILDERS: dict[str, Builder] = {
    "manifest": manifest_attacks,
    "container": container_attacks,
    "dimensions": dimension_attacks,
    "special-file": input_attacks,
    "sidecar": sidecar_attacks,
    "video": video_attacks,
    "size": size_attacks,
}


def build_all(wb: Workbench, out: Path) -> list[AttackCase]:
    out.mkdir(parents=True, exist_ok=True)
    cases: list[AttackCase] = []
    for build in BUILDERS.values():
        cases += build(wb, out)
    return cases


def iter_corpus() -> Iterator[tuple[Path, Any]]:
    """(path, expected verdict) of the public conformance corpus, by test_conformance's rules."""
    from test_conformance import CORPUS, _entries, expected_verdict

    for entry in _entries():
        yield CORPUS / entry["file"], expected_verdict(entry["expected"])


def large_mp4(path: Path, frames: int = 100, size: tuple[int, int] = (640, 480)) -> Path:
    """An MP4 of lossless H.264 noise (~0.7 MB a frame): big enough that signing takes a
    while, made in about a second."""
    import av
    import numpy as np

    w, h = size
    rng = np.random.default_rng(1)
    noise = [rng.integers(0, 256, (h * 3 // 2, w), dtype=np.uint8) for _ in range(8)]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.time_base = Fraction(1, 30)
        stream.options = {"preset": "ultrafast", "qp": "0"}
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(noise[i % 8] ^ np.uint8(i), format="yuv420p")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


# --------------------------------------------------------------------------------------
# Fuzzing: Hypothesis mutates a signed file; `provenance.verify` must return a report or
# raise ProvenanceError, never anything else, never hang, never touch the file.
# Each batch runs in a child process (`python attacks.py fuzz ...`) so that a crash in
# native code (c2pa-rs) kills the child, not the test run, and is reported as a failure.

FUZZ_FORMATS = ("jpg", "png", "mp4", "c2pa")  # c2pa: a sidecar store beside a JPEG
FUZZ_BATCH = 2000  # inputs per child process
FUZZ_DEFAULT_EXAMPLES = 6000  # total across formats: the CI run (~15 s on 2 cores)
FUZZ_DEADLINE = 10.0  # seconds per input (Hypothesis deadline); verify takes ~5 ms


@dataclass(frozen=True)
class FuzzResult:
    fmt: str
    seed: int
    inputs: int  # verify calls made
    returncode: int | None  # None: the batch timed out (a hang)
    seconds: float
    verdicts: dict[str, int]
    output: str  # the child's stderr tail: the falsifying example, a traceback, ...
    saved: tuple[str, ...] = ()  # inputs saved for reproduction (failures, hang, crash)

    @property
    def crashed(self) -> bool:
        return self.returncode != 0


def _structure_offsets(data: bytes) -> list[int]:
    """Offsets of every JUMBF box header in the manifest store: length fields worth hitting."""
    try:
        store = manifest_store(data)
    except ValueError:
        return []
    out: list[int] = []

    def walk(box: JBox) -> None:
        out.append(box.start)
        for c in box.children:
            walk(c)

    walk(store)
    return out


def _fuzz_child(base: Path, work: Path, examples: int, seed: int, deadline: float) -> int:
    import datetime as dt
    from collections import Counter

    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hyp_seed
    from hypothesis import strategies as st

    from provenance import ProvenanceError, VerificationReport, verify

    data = base.read_bytes()
    lo, hi = manifest_region(data)
    headers = _structure_offsets(data)
    target = work / f"input{base.suffix}"
    checked = target
    if base.suffix == ".c2pa":  # a sidecar store: mutate it beside an untouched asset
        asset = base.with_suffix("")
        checked = work / f"input{asset.suffix}"
        target = checked.with_name(checked.name + ".c2pa")
        shutil.copyfile(asset, checked)
    counts: Counter[str] = Counter()
    selftest = os.environ.get("PROVENANCE_FUZZ_SELFTEST", "")

    @st.composite
    def mutated(draw: st.DrawFn) -> bytes:
        buf = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            if not buf:
                break
            kind = draw(
                st.sampled_from(
                    ["flip", "byte", "insert", "delete", "truncate", "splice", "u32", "header"]
                )
            )
            if kind == "header" and headers:
                pos = draw(st.sampled_from(headers))
                kind = "u32"
            elif draw(st.integers(0, 9)) < 8:  # 80 %: inside the manifest store
                pos = draw(st.integers(lo, max(lo, min(hi, len(buf)) - 1)))
            else:
                pos = draw(st.integers(0, len(buf) - 1))
            pos = min(pos, len(buf) - 1)
            if kind == "flip":
                buf[pos] ^= 1 << draw(st.integers(0, 7))
            elif kind == "byte":
                buf[pos] = draw(st.integers(0, 255))
            elif kind == "insert":
                buf[pos:pos] = draw(st.binary(min_size=1, max_size=64))
            elif kind == "delete":
                del buf[pos : pos + draw(st.integers(1, 512))]
            elif kind == "truncate":
                del buf[pos:]
            elif kind == "splice":  # copy a piece of the file over another place
                src = draw(st.integers(0, len(buf) - 1))
                n = draw(st.integers(1, 1024))
                buf[pos : pos + n] = bytes(buf[src : src + n])
            else:  # a length field set to an extreme value
                value = draw(
                    st.sampled_from([0, 1, 7, 8, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFF])
                )
                buf[pos : pos + 4] = value.to_bytes(4, "big")
        return bytes(buf)

    @hyp_seed(seed)
    @settings(
        max_examples=examples,
        deadline=dt.timedelta(seconds=deadline),
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(mutated())
    def run(blob: bytes) -> None:
        target.write_bytes(blob)
        counts["inputs"] += 1
        if selftest == "crash" and counts["inputs"] == 5:
            os.abort()  # what a native crash looks like from outside: death by signal
        try:
            if selftest == "raise" and counts["inputs"] == 5:
                raise KeyError("self-test: a non-ProvenanceError exception")
            report = verify(checked)
        except ProvenanceError as e:
            assert str(e), "a ProvenanceError must carry a message for users"
            counts["error"] += 1
        except BaseException:
            saved = work / f"failure-{hashlib.sha256(blob).hexdigest()[:16]}{base.suffix}"
            saved.write_bytes(blob)
            raise
        else:
            assert isinstance(report, VerificationReport)
            counts[report.verdict.value] += 1
        assert target.read_bytes() == blob, "verify changed its input"

    try:
        run()
    finally:
        print(json.dumps(dict(counts)), flush=True)
    return 0


def run_fuzz_batch(
    fmt: str,
    base: Path,
    work: Path,
    *,
    examples: int,
    seed: int,
    deadline: float = FUZZ_DEADLINE,
    env: dict[str, str] | None = None,
) -> FuzzResult:
    """One child process fuzzing `base`; a timeout (hang) or a signal (crash) is a result."""
    work.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "fuzz",
        str(base),
        str(work),
        str(examples),
        str(seed),
        str(deadline),
    ]
    limit = 120.0 + examples * 0.25  # far beyond ~10 ms an input: only a hang gets here
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=limit,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            cwd=work,  # Hypothesis keeps a .hypothesis/ folder in the working directory
        )
        code: int | None = proc.returncode
        out, err = proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:
        code = None
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = f"batch timed out after {limit:.0f} s: the input being verified hangs"
    seconds = time.monotonic() - t0
    verdicts: dict[str, int] = {}
    for line in reversed(out.strip().splitlines()):
        try:
            verdicts = json.loads(line)
            break
        except ValueError:
            continue
    saved = sorted(str(p) for p in work.glob("failure-*"))
    if code != 0:
        for current in sorted(work.glob("input*")):  # the input in flight when it died or hung
            keep = work / f"last-{fmt}-{seed}-{current.name}"
            shutil.copyfile(current, keep)
            saved.append(str(keep))
    return FuzzResult(
        fmt,
        seed,
        verdicts.pop("inputs", 0),
        code,
        seconds,
        verdicts,
        err.strip()[-4000:],
        tuple(saved),
    )


def fuzz_plan(total: int) -> list[tuple[str, int, int]]:
    """(format, seed, examples) batches sharing `total` inputs across the formats."""
    per_format = max(1, total // len(FUZZ_FORMATS))
    plan = []
    for fmt in FUZZ_FORMATS:
        left, batch = per_format, 0
        while left > 0:
            n = min(FUZZ_BATCH, left)
            plan.append((fmt, 1000 * FUZZ_FORMATS.index(fmt) + batch, n))
            left -= n
            batch += 1
    return plan


def fuzz_examples_from_env() -> int:
    return int(os.environ.get("PROVENANCE_FUZZ_EXAMPLES", FUZZ_DEFAULT_EXAMPLES))


if __name__ == "__main__" and sys.argv[1:] == ["serve"]:
    sys.exit(_serve())
if __name__ == "__main__" and len(sys.argv) == 7 and sys.argv[1] == "fuzz":
    _base, _work, _n, _seed, _deadline = sys.argv[2:]
    sys.exit(_fuzz_child(Path(_base), Path(_work), int(_n), int(_seed), float(_deadline)))
