"""Interop: BMFF files signed in one pass (provenance._single_pass: Merkle map of
variable-size leaves, mdat with a 64-bit header) validate in @trustnxt/c2pa-ts, and a
changed media byte fails there too. As shipped, c2pa-ts reads only heic/mif1 brands, so
MP4/MOV/M4A go through --force-bmff (see test_c2pa_ts.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import c2pa
import pytest
from mediautil import CREATED, flip_media_byte, make_mp4, sign_single_pass

from provenance import Identity
from provenance.keygen import DevIdentity

Validator = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="module")
def signed(
    tmp_path_factory: pytest.TempPathFactory, media_dir: Path, dev: DevIdentity
) -> dict[str, tuple[Path, Path]]:
    """(original, signed) per case: the sample formats and an 11 MB MP4 of three leaves."""
    identity = dev.load()
    root = tmp_path_factory.mktemp("single_pass_ts")
    sources = {ext: media_dir / f"sample.{ext}" for ext in ("mp4", "mov", "m4a")}
    sources["mp4-3-leaves"] = make_mp4(root / "big.mp4", 3, noise=True)
    out = {}
    for name, src in sources.items():
        dst = root / f"signed-{name}{src.suffix}"
        sign_single_pass(src, dst, identity)
        out[name] = (src, dst)
    return out


def test_single_pass_outputs_validate(
    c2pa_ts: Validator, signed: dict[str, tuple[Path, Path]]
) -> None:
    names = sorted(signed)
    verdicts = c2pa_ts([signed[n][1] for n in names], force_bmff=True)
    for name, v in zip(names, verdicts, strict=True):
        why = f"{name}: failures={v['failure_codes']} error={v['error']!r}"
        assert v["has_manifest"] and v["error"] is None, why
        assert v["signature_valid"] is True and v["hash_valid"] is True and v["valid"], why
        assert "assertion.bmffHash.match" in v["status_codes"], why


def test_a_changed_media_byte_fails_in_c2pa_ts_too(
    c2pa_ts: Validator, signed: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    src, out = signed["mp4-3-leaves"]
    copy = tmp_path / "tampered.mp4"
    copy.write_bytes(out.read_bytes())
    flip_media_byte(copy, src)
    (v,) = c2pa_ts([copy], force_bmff=True)
    assert v["signature_valid"] is True, v
    assert v["hash_valid"] is False and v["failure_codes"] == ["assertion.bmffHash.mismatch"], v


def test_library_merkle_with_an_8_byte_mdat_header_fails_in_c2pa_ts(
    c2pa_ts: Validator, media_dir: Path, identity: Identity, tmp_path: Path
) -> None:
    """Why the single pass widens every mdat header to 16 bytes. The library's own Merkle
    mode (`core.merkle_tree_chunk_size_in_kb`) leaves the 8-byte header, and hashes leaves
    from the mdat's 16th byte, while c2pa-ts hashes them from the end of the header: c2pa-ts
    rejects the file that c2pa-rs accepts. If this starts to pass, c2pa-ts changed."""
    out = tmp_path / "library-merkle.mp4"
    settings = {"core": {"merkle_tree_chunk_size_in_kb": 4, "merkle_tree_max_proofs": 0}}
    actions = {"actions": [CREATED]}
    definition = {
        "claim_generator_info": [{"name": "t"}],
        "assertions": [{"label": "c2pa.actions", "data": actions}],
    }
    signer = c2pa.Signer.from_callback(
        identity.sign, c2pa.C2paSigningAlg[identity.alg.upper()], identity.chain_pem
    )
    with (
        c2pa.Builder(definition, context=c2pa.Context.from_dict(settings)) as builder,
        signer,
        open(media_dir / "sample.mp4", "rb") as f,
        open(out, "w+b") as o,
    ):
        builder.sign(signer, "video/mp4", f, o)
    with open(out, "rb") as f, c2pa.Reader("video/mp4", f) as r:
        codes = [s["code"] for s in json.loads(r.json()).get("validation_status", [])]
    assert codes == ["signingCredential.untrusted"], "c2pa-rs accepts it"
    (v,) = c2pa_ts([out], force_bmff=True)
    assert v["signature_valid"] is True, v
    assert v["failure_codes"] == ["assertion.bmffHash.mismatch"], v
