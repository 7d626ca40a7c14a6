"""Hostile inputs on the signing side, the sidecar rule, and the harness's own alarms.

- Signing refuses devices and FIFOs at once (exit 2, nothing written).
- Decompression bombs (images and video): signing skips the thumbnail and fingerprints, and
  verification skips change localization, past `provenance._limits.MAX_DECODE_PIXELS`
  instead of decoding gigabytes; memory stays bounded.
- Sidecars: only a regular file beside the asset counts; a symlinked store is still usable
  when named explicitly with --reference.
- Outputs that are symlinks are never written through.
- Files the C2PA library would hold whole in memory (JPEG, TIFF, MP3, FLAC) are refused past
  1 GiB of expected memory, on both sides.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import attacks
import pytest
from attacks import (
    AttackCase,
    Outcome,
    VerifyServer,
    Workbench,
    _dimension_bomb_jpeg,
    _dimension_bomb_png,
    run_cli,
    sha256,
    zlib_bomb_png,
)

from provenance import InputError, Verdict, sign, verify
from provenance._limits import (
    MAX_DECODE_PIXELS,
    check_memory_cost,
    decodable,
    pixels_within_limit,
)


def _sign_args(wb: Workbench, src: Path, dst: Path, *extra: str) -> list[str]:
    key, cert = wb.dev_a.key, wb.dev_a.cert
    return ["sign", str(src), "-o", str(dst), "--key", str(key), "--cert", str(cert),
            "--source-type", "digitalCreation", *extra]  # fmt: skip


@pytest.mark.parametrize(
    "name", ["link-to-zero.jpg", "link-to-urandom.jpg", "fifo.mp4", "link-to-fifo.jpg"]
)
def test_sign_refuses_special_files(
    name: str, attack_cases: dict[str, AttackCase], workbench: Workbench, tmp_path: Path
) -> None:
    dst = tmp_path / "out.jpg"
    code, out, err, secs = run_cli(_sign_args(workbench, attack_cases[name].path, dst))
    assert code == 2, (out, err)
    assert "not a regular file" in err and "Traceback" not in out + err
    assert not dst.exists() and not list(tmp_path.glob("*.partial"))
    assert secs < 10


def test_library_sign_refuses_device(workbench: Workbench, tmp_path: Path) -> None:
    link = tmp_path / "zero.png"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError, match="not a regular file"):
        sign(link, tmp_path / "out.png", identity=workbench.a, source_type="digitalCreation")


def _thumbnail(path: Path) -> bytes | None:
    from provenance._write import thumbnail as make

    return make(path)


def test_thumbnail_skipped_for_bombs(workbench: Workbench, tmp_path: Path) -> None:
    bombs = {
        "declared.png": _dimension_bomb_png(100_000, 100_000),
        "declared.jpg": _dimension_bomb_jpeg(workbench.original("jpg").read_bytes(), 65500, 65500),
        "real-zeros.png": zlib_bomb_png(12000, 12000),  # 144 MP: Pillow only warns
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning may escape
        for name, data in bombs.items():
            (tmp_path / name).write_bytes(data)
            assert _thumbnail(tmp_path / name) is None, name
        assert _thumbnail(workbench.original("jpg"))  # ordinary images keep their preview
        assert _thumbnail(workbench.original("png"))


def test_decodable_limit() -> None:
    assert decodable((8000, 6000))  # 48 MP camera
    assert not decodable((12000, 12000))
    assert not decodable((0, 10)) and not decodable((100_000, 100_000))
    assert MAX_DECODE_PIXELS < 89_478_485  # below Pillow's own warning threshold


_MEASURE = """
import json, sys
from pathlib import Path
from provenance import sign, verify
from provenance.identity import Identity
if sys.argv[1] == "sign":
    ident = Identity.from_pem(sys.argv[4], sys.argv[5])
    sign(Path(sys.argv[2]), Path(sys.argv[3]), identity=ident, source_type="digitalCreation")
    verdict = None
else:
    verdict = verify(Path(sys.argv[2])).verdict.value
# VmHWM: this process's own peak. (ru_maxrss would include the forked parent's RSS.)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"peak_mb": int(hwm.split()[1]) // 1024, "verdict": verdict}))
"""


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="peak memory is read from /proc"
)


def _measure(*args: str | Path) -> tuple[int, str | None, str]:
    """Peak memory (MB) of signing or verifying in a fresh process, the verdict, stderr."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout.splitlines()[-1])
    return doc["peak_mb"], doc["verdict"], proc.stderr


@needs_proc
def test_signing_a_real_bomb_stays_small(workbench: Workbench, tmp_path: Path) -> None:
    """A 420 KB PNG that decodes to 432 MB of pixels: signing must not decode it
    (without the limit, the thumbnail alone peaked at ~630 MB, fingerprints at ~1.45 GB)."""
    src = tmp_path / "zeros.png"
    src.write_bytes(zlib_bomb_png(12000, 12000))
    dst = tmp_path / "signed.png"
    peak, _, err = _measure("sign", src, dst, workbench.dev_a.key, workbench.dev_a.cert)
    assert peak < 400, f"signing a decompression bomb peaked at {peak} MB"
    assert "DecompressionBomb" not in err and "too large to analyse" in err
    assert verify(dst).verdict is Verdict.VALID


@needs_proc
def test_verifying_a_tampered_bomb_stays_small(attack_cases: dict[str, AttackCase]) -> None:
    """Localizing changes decodes the checked image: not past the limit
    (it peaked at ~1.47 GB for this 440 KB file)."""
    peak, verdict, err = _measure("verify", attack_cases["transplant-onto-bomb.png"].path)
    assert verdict == "tampered"
    assert peak < 400, f"verifying a decompression bomb peaked at {peak} MB"
    assert "too large to analyse" in err


@needs_proc
def test_verifying_a_frames_table_bomb_stays_small(attack_cases: dict[str, AttackCase]) -> None:
    """A 500 KB table declaring 2 million frames: not inflated (it peaked at ~1.3 GB;
    3 million frames, ~2 GB)."""
    peak, verdict, err = _measure("verify", attack_cases["frames-table-bomb.mp4"].path)
    assert verdict == "tampered"
    assert peak < 400, f"verifying a frames-table bomb peaked at {peak} MB"
    assert "over the limit" in err


@needs_proc
@pytest.mark.slow
def test_signing_a_video_bomb_stays_small(workbench: Workbench, tmp_path: Path) -> None:
    """8 frames of 8192x8192 in a 200 KB MP4: fingerprinting them peaked at ~820 MB."""
    src = tmp_path / "bomb.mp4"
    subprocess.run(  # encoding 8192x8192 frames takes ~1 GB: not in the test process
        [sys.executable, "-c", "import sys; from pathlib import Path; import attacks; "
         f"attacks.video_bomb_mp4(Path({str(src)!r}))"],
        cwd=Path(attacks.__file__).parent,
        check=True,
        timeout=120,
    )  # fmt: skip
    assert not pixels_within_limit(src, "video")
    dst = tmp_path / "signed.mp4"
    peak, _, err = _measure("sign", src, dst, workbench.dev_a.key, workbench.dev_a.cert)
    assert peak < 500, f"signing a video bomb peaked at {peak} MB"
    assert verify(dst).verdict is Verdict.VALID


def test_pixels_within_limit(workbench: Workbench, tmp_path: Path) -> None:
    assert pixels_within_limit(workbench.original("jpg"), "image")
    assert pixels_within_limit(workbench.original("mp4"), "video")
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_dimension_bomb_png(100_000, 100_000))
    assert not pixels_within_limit(bomb, "image")
    assert pixels_within_limit(bomb, "audio")  # not a kind we decode
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    assert pixels_within_limit(junk, "image")  # unreadable: the decoder will say so


def test_symlinked_sidecar_needs_reference(
    attack_cases: dict[str, AttackCase], attack_outcomes: dict[str, Outcome]
) -> None:
    """Ignored when found beside the asset; accepted when the user names it."""
    asset = attack_cases["sidecar-symlink-outside.jpg"].path
    assert attack_outcomes["sidecar-symlink-outside.jpg"].verdict == "unsigned"
    link = asset.with_name(asset.name + ".c2pa")
    assert link.is_symlink()
    report = verify(asset, reference=link)
    assert report.verdict is Verdict.VALID and report.manifest_source == "reference"


def test_regular_sidecar_still_found(workbench: Workbench, tmp_path: Path) -> None:
    asset = tmp_path / "photo.jpg"
    asset.write_bytes(workbench.original("jpg").read_bytes())
    sign(asset, tmp_path / "photo.jpg.c2pa", identity=workbench.a, sidecar=True,
         source_type="digitalCreation")  # fmt: skip
    report = verify(asset)
    assert report.verdict is Verdict.VALID and report.manifest_source == "sidecar"


def test_output_symlink_never_written_through(workbench: Workbench, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "out"
    folder.mkdir()
    src = workbench.original("jpg")
    # A dangling link to a file outside: refused (it exists as a link), nothing created.
    dangling = folder / "dangling.jpg"
    dangling.symlink_to(outside / "created.jpg")
    code, out, err, _ = run_cli(_sign_args(workbench, src, dangling))
    assert code == 2 and "already exists" in err, (out, err)
    assert not (outside / "created.jpg").exists()
    # A link to an existing file, with --force: the link is replaced, its target untouched.
    victim = outside / "victim.jpg"
    victim.write_bytes(b"precious")
    link = folder / "link.jpg"
    link.symlink_to(victim)
    code, out, err, _ = run_cli(_sign_args(workbench, src, link, "--force"))
    assert code == 0, (out, err)
    assert victim.read_bytes() == b"precious"
    assert not link.is_symlink() and verify(link).verdict is Verdict.VALID


def test_harness_reports_crash_and_hang(workbench: Workbench, tmp_path: Path) -> None:
    """The per-file runner turns a dead or stuck child into a failing outcome, then goes on."""
    good = workbench.signed("jpg")
    crash = tmp_path / "crash-me"
    hang = tmp_path / "hang-me"
    for p in (crash, hang):
        p.write_bytes(good.read_bytes())
    with VerifyServer(env={"PROVENANCE_FUZZ_SELFTEST": "crash"}) as server:
        assert server.verify(crash).verdict == "crash"
        assert server.verify(good).verdict == "valid"
    with VerifyServer(timeout=2, env={"PROVENANCE_FUZZ_SELFTEST": "hang"}) as server:
        out = server.verify(hang)
        assert out.verdict == "timeout" and out.seconds < 10
        assert server.verify(good).verdict == "valid"
    assert sha256(good) == sha256(crash)


def test_verify_json_for_special_file_is_clean(attack_cases: dict[str, AttackCase]) -> None:
    code, out, err, _ = run_cli(["verify", "--json", str(attack_cases["link-to-zero.jpg"].path)])
    assert code == 2
    (report,) = json.loads(out)["reports"]
    assert report["verdict"] == "error" and "\n" not in report["message"]
    assert os.path.islink(attack_cases["link-to-zero.jpg"].path)


def test_memory_cost_limit(tmp_path: Path) -> None:
    p = tmp_path / "x"
    check_memory_cost(p, "image/jpeg", 400 << 20)
    check_memory_cost(p, "video/mp4", 100 << 30)  # streamed: no limit
    with pytest.raises(InputError, match="too large to check safely"):
        check_memory_cost(p, "image/jpeg", 600 << 20)
    with pytest.raises(InputError, match="limit 1024 MiB"):
        check_memory_cost(p, "audio/flac", 2 << 30)


def test_sign_refuses_sparse_giant(
    attack_cases: dict[str, AttackCase], workbench: Workbench, tmp_path: Path
) -> None:
    dst = tmp_path / "out.jpg"
    code, out, err, secs = run_cli(_sign_args(workbench, attack_cases["sparse-2gib.jpg"].path, dst))
    assert code == 2 and "too large" in err, (out, err)
    assert not dst.exists() and secs < 10


def test_trust_anchor_path_that_is_a_fifo(workbench: Workbench, tmp_path: Path) -> None:
    fifo = tmp_path / "anchors.pem"
    os.mkfifo(fifo)
    code, out, err, _ = run_cli(
        ["verify", str(workbench.signed("jpg")), "--trust", str(fifo)], timeout=5
    )
    assert code == 2 and "not a regular file" in err, (code, err)
