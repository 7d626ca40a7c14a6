from __future__ import annotations

import numpy as np
from support import synth
from support.synth import ClipSet as Clips

from provenance.frames import fingerprint_video


def test_stream_facts_and_shapes(clips: Clips) -> None:
    fp = clips.fingerprint(clips.original)
    assert (fp.frame_count, fp.width, fp.height) == (Clips.N, Clips.W, Clips.H)
    assert fp.frame_rate == 30
    assert abs(fp.duration - Clips.N / 30) < 0.05
    assert fp.exact.shape == (Clips.N, 16)
    assert fp.luma.shape == fp.detail.shape == (Clips.N, 64)
    assert np.all(np.diff(fp.pts_us) > 0)
    assert abs(int(fp.pts_us[30]) - 1_000_000) <= 1000
    # moving content: consecutive frames differ exactly but stay perceptually close
    assert len({bytes(r) for r in fp.exact}) == Clips.N
    ham = np.bitwise_count(fp.dct[1:] ^ fp.dct[:-1])
    assert np.median(ham) < 16
    d = fp.to_dict()
    assert set(d) == {"frame_count", "frame_rate", "width", "height", "duration", "digest"}
    assert len(d["digest"]) == 64


def test_deterministic_and_progress(clips: Clips) -> None:
    calls: list[tuple[int, int | None]] = []
    a = fingerprint_video(clips.original, progress=lambda done, total: calls.append((done, total)))
    b = clips.fingerprint(clips.original)
    assert a.digest == b.digest
    assert calls[-1] == (Clips.N, Clips.N)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


def test_exact_hash_ignores_line_padding(clips: Clips) -> None:
    # 170 px rows are padded in the decoder's buffers; padding must not leak into the hash
    frames = [f[:96, :170] for f in clips.frames[:12]]
    path = clips.root / "odd.mkv"
    synth.write_video(path, frames, codec="ffv1")
    a, b = fingerprint_video(path), fingerprint_video(path)
    assert (a.width, a.height) == (170, 96)
    assert a.digest == b.digest
    assert len({bytes(r) for r in a.exact}) == 12


def test_exact_hash_matches_lossless_decode_across_containers(clips: Clips) -> None:
    # same frames written twice: identical decoded pictures give identical exact hashes
    path = clips.root / "copy.mkv"
    synth.write_video(path, clips.frames, codec="ffv1")
    assert np.array_equal(fingerprint_video(path).exact, clips.fingerprint(clips.original).exact)
